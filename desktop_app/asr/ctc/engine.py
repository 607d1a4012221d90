"""Transcribe 16 kHz mono audio with a CTC model (wav2vec2, XLS-R, MMS) exported to ONNX.

The same surface as :class:`~desktop_app.asr.transcribe.WhisperOnnx`:
:meth:`CtcOnnx.transcribe` returns ``(segments, info)`` at once and the
segments are decoded lazily, one window at a time, so whoever iterates owns
progress and cancellation.

Audio is cut into windows of at most ``max_window_s`` seconds: the VAD
chunks (``options.vad_filter``) or the whole audio, long ones cut at their
quietest moments. Each window is normalised (zero mean, unit variance, as
Wav2Vec2FeatureExtractor's ``do_normalize``) and run through ``model.onnx``
once; its frame posteriors are decoded greedily (``beam_size=1``) or by
prefix beam search, and the words get their times from the CTC alignment
(:mod:`desktop_app.asr.ctc.words`; ``Word.estimated`` is false). A window
gives one segment, or several where the speaker pauses longer than
``split_pause_s``. The language is the model's own (``ctc_config.json``):
a CTC model has no language detection, and ``options.language`` only fills
in when the folder does not say.

Of the decoding options only ``beam_size``, ``vad_filter``, ``vad`` and
``bias`` apply; Whisper's temperatures, prompts and token budgets have no CTC
counterpart. A word list (``options.bias``) is used by the prefix beam search
(:class:`~desktop_app.asr.ctc.decoding.WordBias`): with one, a greedy preset
searches with ``bias.ctc_beam_size`` beams; without one, greedy stays greedy.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

from desktop_app.asr.bias import BiasOptions, ctc_bonuses
from desktop_app.asr.ctc.decoding import (
    WordBias,
    forced_align,
    greedy_path,
    log_softmax,
    prefix_beam_search,
)
from desktop_app.asr.ctc.vocab import CtcConfig
from desktop_app.asr.ctc.words import TimedWord, split_at_pauses, timed_words
from desktop_app.asr.manifest import CTC_INT8_FILE, CTC_MODEL_FILE
from desktop_app.asr.options import DecodeOptions
from desktop_app.asr.ort_session import (
    choose_device,
    input_dtype,
    load_session,
    make_session_options,
)
from desktop_app.asr.transcribe import Segment, TranscriptionInfo, Word
from desktop_app.asr.vad import (
    SpeechChunk,
    chunks_to_decode,
    energy_probabilities,
    merge_into_chunks,
)
from desktop_app.core.errors import ModelError

#: Shortest window worth decoding: wav2vec2's convolutions need 400 samples for one frame.
MIN_WINDOW_SAMPLES = 800
UNKNOWN_LANGUAGE = "und"


class CtcOnnx:
    """A CTC model directory (``model.onnx`` + vocabulary) ready to transcribe."""

    def __init__(
        self,
        model_dir: str | Path,
        device: str = "auto",
        threads: int | None = None,
        *,
        quantized: bool = False,
        max_window_s: float = 30.0,
        split_pause_s: float = 0.8,
        word_bias: Mapping[str, float] | None = None,
    ) -> None:
        """Open ``model_dir``.

        ``quantized`` runs ``model_int8.onnx`` (the folder must have it).
        ``word_bias`` maps words to a log-probability bonus the beam search
        gives them (names, terms); greedy decoding ignores it.
        """
        model_dir = Path(model_dir)
        if not model_dir.is_dir():
            raise ModelError(f"The model folder '{model_dir}' does not exist.")
        self.model_dir = model_dir
        self.config = CtcConfig.from_model_dir(model_dir)
        name = CTC_INT8_FILE if quantized else CTC_MODEL_FILE
        if quantized and not (model_dir / name).is_file():
            raise ModelError(
                f"This model has no int8 variant ('{name}' is missing in {model_dir}); "
                "use the full-precision model."
            )
        options = make_session_options(threads)
        self.threads = options.intra_op_num_threads
        self.quantized = quantized
        self.model_file = name
        self.session, self.choice = load_session(model_dir / name, options, choose_device(device))
        inputs = {arg.name for arg in self.session.get_inputs()}
        if "input_values" not in inputs:
            raise ModelError(f"'{name}' in {model_dir} is not a CTC model: no 'input_values'.")
        self._dtype = input_dtype(self.session, "input_values")
        self._output = self.session.get_outputs()[0].name
        self.max_window_s = max_window_s
        self.split_pause_s = split_pause_s
        self.word_bias = (
            WordBias(word_bias, self.config.tokens, self.config.word_delimiter_id)
            if word_bias
            else None
        )
        self._biases: dict[BiasOptions, WordBias] = {}

    def bias_for(self, options: DecodeOptions) -> tuple[WordBias | None, int]:
        """The word bias and beam width for ``options`` (the word list, else the engine's own)."""
        bias = options.bias
        if bias is None or not bias:
            return self.word_bias, options.beam_size
        if bias not in self._biases:
            if len(self._biases) > 8:
                self._biases.clear()
            tokens, delimiter = self.config.tokens, self.config.word_delimiter_id
            self._biases[bias] = WordBias(ctc_bonuses(bias), tokens, delimiter)
        width = options.beam_size if options.beam_size > 1 else bias.ctc_beam_size
        return self._biases[bias], width

    @property
    def device(self) -> str:
        """``"cpu"`` or ``"cuda"``: where the model actually runs."""
        return self.choice.device

    @property
    def device_warning(self) -> str | None:
        """Why the requested device is not used, for the user; ``None`` if it is."""
        return self.choice.warning

    @property
    def language(self) -> str | None:
        """The language the model transcribes, when its folder says."""
        return self.config.language

    def detect_language(self, audio: np.ndarray) -> dict[str, float]:
        """A CTC model knows one language: ``{language: 1.0}`` whatever ``audio`` is."""
        return {self.language or UNKNOWN_LANGUAGE: 1.0}

    def logprobs(self, audio: np.ndarray) -> np.ndarray:
        """``(frames, vocab)`` log-posteriors of one window of 16 kHz audio."""
        x = np.asarray(audio, dtype=np.float32)
        if self.config.do_normalize:
            x = (x - x.mean()) / np.sqrt(x.var() + 1e-7)
        feeds = {"input_values": x[None].astype(self._dtype, copy=False)}
        logits = self.session.run([self._output], feeds)[0][0]
        return log_softmax(logits)

    # -------------------------------------------------------------- transcribe
    def transcribe(
        self, audio: np.ndarray, options: DecodeOptions | None = None
    ) -> tuple[Iterator[Segment], TranscriptionInfo]:
        """Start transcribing ``audio`` (float32, 16 kHz, mono); VAD runs now."""
        options = options or DecodeOptions()
        audio, vad, chunks = chunks_to_decode(audio, options.vad_filter, options.vad)
        windows = self.windows(audio, chunks)
        language = self.language or options.language or UNKNOWN_LANGUAGE
        rate = self.config.sample_rate
        info = TranscriptionInfo(
            language=language,
            language_probability=1.0,
            language_probs=None,
            duration=audio.shape[0] / rate,
            duration_after_vad=sum(c.end - c.start for c in chunks) / rate,
            device=self.device,
            device_warning=self.device_warning,
            vad_backend=vad.backend if vad else None,
            vad_message=vad.message if vad else None,
            options=options,
        )
        return self._segments(audio, windows, options, language), info

    def windows(self, audio: np.ndarray, chunks: list[SpeechChunk]) -> list[SpeechChunk]:
        """``chunks`` with the ones longer than ``max_window_s`` cut at quiet moments."""
        limit = int(self.max_window_s * self.config.sample_rate)
        if all(c.end - c.start <= limit for c in chunks):
            return chunks
        probs = energy_probabilities(audio)
        out: list[SpeechChunk] = []
        for chunk in chunks:
            if chunk.end - chunk.start <= limit:
                out.append(chunk)
            else:
                out += merge_into_chunks([chunk], probs, self.max_window_s)
        return out

    def _segments(
        self,
        audio: np.ndarray,
        windows: list[SpeechChunk],
        options: DecodeOptions,
        language: str,
    ) -> Iterator[Segment]:
        next_id = 0
        rate = self.config.sample_rate
        bias, width = self.bias_for(options)
        for window in windows:
            if window.end - window.start < MIN_WINDOW_SAMPLES:
                continue
            words = self.decode_window(audio[window.start : window.end], width, bias)
            offset, limit = window.start / rate, window.end / rate
            for group in split_at_pauses(words, self.split_pause_s):
                yield _segment(next_id, group, offset, limit, language)
                next_id += 1

    def decode_window(
        self, audio: np.ndarray, beam_size: int = 1, bias: WordBias | None = None
    ) -> list[TimedWord]:
        """The timed words of one window (times from its start); ``bias`` defaults to the
        engine's own ``word_bias``."""
        lp = self.logprobs(audio)
        blank = self.config.blank_id
        if beam_size <= 1:
            path = greedy_path(lp)
        else:
            bias = bias if bias is not None else self.word_bias
            best = prefix_beam_search(lp, blank, beam_width=beam_size, bias=bias)
            path = forced_align(lp, best.labels, blank)
        return timed_words(path, lp, self.config)


def _segment(
    segment_id: int, words: list[TimedWord], offset: float, limit: float, language: str
) -> Segment:
    """One segment of a window's words (times moved to the whole audio's clock)."""
    timed = tuple(
        Word(
            " " + w.text,
            round(min(offset + w.start, limit), 3),
            round(min(offset + w.end, limit), 3),
            w.probability,
            estimated=False,
        )
        for w in words
    )
    text = "".join(w.text for w in timed)
    tokens = tuple(label for w in words for label in w.labels)
    logprobs = tuple(lp for w in words for lp in w.logprobs)
    data = text.encode("utf-8")
    return Segment(
        id=segment_id,
        start=timed[0].start or 0.0,
        end=timed[-1].end or 0.0,
        text=text,
        tokens=tokens,
        token_logprobs=logprobs,
        avg_logprob=float(np.mean(logprobs)) if logprobs else 0.0,
        no_speech_prob=0.0,  # CTC has no such output; blank frames are not "no speech"
        compression_ratio=len(data) / len(zlib.compress(data)) if data else 0.0,
        temperature=0.0,
        language=language,
        confidence=float(np.mean([w.probability for w in timed])),
        words=timed,
    )
