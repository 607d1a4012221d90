"""Transcribe 16 kHz mono audio with a Whisper model exported to ONNX.

:meth:`WhisperOnnx.transcribe` returns ``(segments, info)`` at once: ``info``
(language, duration, device) is worked out eagerly, ``segments`` is a lazy
generator that decodes one window at a time. Whoever iterates owns progress
(``segment.end / info.duration``) and cancellation (stop iterating).

Language: with ``options.language=None`` the language is detected on the
first window of every VAD chunk (a recording may switch between Kazakh and
Russian) and stored on each segment; ``info.language`` is the first chunk's.

Long audio: with ``batch_size`` above 1 (the default on CUDA) the first
windows of up to that many VAD chunks are encoded and greedily decoded
together (:mod:`desktop_app.asr.batching`); segments still come in time order.

Word timings: when the model folder has ``decoder_align.onnx`` the words of
each window are aligned to the audio with the cross-attention weights of the
alignment heads and DTW (:mod:`desktop_app.asr.alignment`), as Whisper does.
Folders exported before that keep an *estimate*: the segment's span spread
over its words by length (``Word.estimated`` is true).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from desktop_app.asr.alignment import CrossAttentionAligner, snap_to_sound, tidy_spans
from desktop_app.asr.batching import WindowRun, batched_segments, can_batch, default_batch_size
from desktop_app.asr.decoding import DecodingResult, ModelSettings, WindowDecoder, is_silence
from desktop_app.asr.features import SAMPLE_RATE, FeatureConfig, LogMelSpectrogram
from desktop_app.asr.options import DecodeOptions
from desktop_app.asr.ort_session import WhisperSessions
from desktop_app.asr.tokenizer import TIME_PRECISION, WhisperTokenizer
from desktop_app.asr.vad import SpeechChunk, chunks_to_decode
from desktop_app.core.errors import ModelError

SAMPLES_PER_TIMESTAMP = int(TIME_PRECISION * SAMPLE_RATE)  # 320 samples = 20 ms


@dataclass(frozen=True)
class Word:
    """A word with its confidence: the mean probability of its tokens (as Whisper)."""

    text: str
    start: float | None
    end: float | None
    probability: float
    estimated: bool = True  # start/end spread over the segment, not aligned


@dataclass(frozen=True)
class Segment:
    """One decoded segment; times in seconds from the start of the audio.

    ``tokens`` include the segment's timestamp tokens and line up with
    ``token_logprobs``. ``avg_logprob``, ``compression_ratio``,
    ``no_speech_prob`` and ``temperature`` describe the whole window the
    segment was decoded in (as in Whisper); ``confidence`` is this segment's
    own: exp of the mean log-probability of its text tokens.
    """

    id: int
    start: float
    end: float
    text: str
    tokens: tuple[int, ...]
    token_logprobs: tuple[float, ...]
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float
    temperature: float
    language: str
    confidence: float
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class TranscriptionInfo:
    language: str | None  # None only when there was no speech to detect it from
    language_probability: float
    language_probs: dict[str, float] | None  # set when the language was detected
    duration: float
    duration_after_vad: float
    device: str
    device_warning: str | None
    vad_backend: str | None
    vad_message: str | None
    options: DecodeOptions


class WordAligner(Protocol):
    """Word timings for one window; see :class:`~desktop_app.asr.alignment.CrossAttentionAligner`.

    Returns window-relative ``(start, end)`` seconds for each entry of
    ``word_tokens``, or ``None`` to fall back to the estimate.
    """

    def __call__(
        self,
        *,
        encoder_output: Any,
        sot_sequence: Sequence[int],
        no_timestamps: int,
        eot: int,
        word_tokens: Sequence[Sequence[int]],
        num_frames: int,
    ) -> list[tuple[float, float]] | None: ...


class WhisperOnnx:
    """A Whisper model directory (optimum ONNX export) ready to transcribe."""

    def __init__(
        self,
        model_dir: str | Path,
        device: str = "auto",
        threads: int | None = None,
        *,
        io_binding: bool | None = None,
        word_aligner: WordAligner | None = None,
        quantized: bool = False,
        batch_size: int | None = None,
    ) -> None:
        """Open ``model_dir``.

        ``batch_size`` is how many VAD chunks are decoded together (greedy
        search, see :mod:`desktop_app.asr.batching`); ``None`` picks the
        device's default: 1 (chunk by chunk) on the CPU, 8 on CUDA.

        ``word_aligner`` replaces the folder's own aligner (``decoder_align.onnx``,
        used when present). ``quantized`` runs the int8 decoder
        (``decoder_model_merged_int8.onnx``) instead of the fp32 one; the folder
        must have it.
        """
        model_dir = Path(model_dir)
        if not model_dir.is_dir():
            raise ModelError(f"The model folder '{model_dir}' does not exist.")
        self.model_dir = model_dir
        self.settings = ModelSettings.from_model_dir(model_dir)
        self.tokenizer = WhisperTokenizer.from_file(
            model_dir / "tokenizer.json", self.settings.lang_to_id
        )
        pre = model_dir / "preprocessor_config.json"
        if pre.is_file():
            try:
                config = FeatureConfig.from_preprocessor_config(pre)
            except (ValueError, TypeError) as exc:
                raise ModelError(f"Cannot read '{pre.name}': {exc}") from exc
        else:
            config = FeatureConfig(n_mels=self.settings.num_mel_bins)
        self.sessions = WhisperSessions(model_dir, device, threads, io_binding, quantized=quantized)
        if self.sessions.n_mels != config.n_mels:
            raise ModelError(
                f"'{WhisperSessions.ENCODER}' expects {self.sessions.n_mels} mel bins but the "
                f"model's configuration says {config.n_mels}."
            )
        self.mel = LogMelSpectrogram(config)
        self.batch_size = default_batch_size(self.device) if batch_size is None else batch_size
        if self.batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.decoder = WindowDecoder(self.sessions, self.tokenizer, self.settings)
        self.word_aligner: WordAligner | None = (
            word_aligner
            if word_aligner is not None
            else CrossAttentionAligner.from_model_dir(model_dir, self.sessions)
        )

    @property
    def device(self) -> str:
        """``"cpu"`` or ``"cuda"``: where the model actually runs."""
        return self.sessions.device

    @property
    def device_warning(self) -> str | None:
        """Why the requested device is not used, for the user; ``None`` if it is."""
        return self.sessions.choice.warning

    def encode(self, audio: np.ndarray) -> Any:
        """Encoder output for the first 30 s of ``audio``."""
        return self.sessions.encode(self.mel(audio))

    def detect_language(self, audio: np.ndarray) -> dict[str, float]:
        """Language probabilities for the first 30 s of ``audio``, most likely first."""
        return self.decoder.detect_language(self.encode(audio))

    # -------------------------------------------------------------- transcribe
    def transcribe(
        self, audio: np.ndarray, options: DecodeOptions | None = None
    ) -> tuple[Iterator[Segment], TranscriptionInfo]:
        """Start transcribing ``audio`` (float32, 16 kHz, mono).

        VAD and language detection run now; the returned iterator decodes
        lazily, one window per step, yielding segments as they are ready.
        """
        options = options or DecodeOptions()
        audio, vad, chunks = chunks_to_decode(audio, options.vad_filter, options.vad)
        language, probs, first = options.language, None, None
        if language is not None:
            self.tokenizer.language_token(language)  # fail now on an unknown code
        elif not self.tokenizer.is_multilingual:
            language = next(iter(self.tokenizer.languages), "en")
        elif chunks:
            first = self._detect_chunk(audio, chunks[0])
            probs = first[1]
            language = next(iter(probs))
        info = TranscriptionInfo(
            language=language,
            language_probability=probs[language] if probs and language else 1.0,
            language_probs=probs,
            duration=audio.shape[0] / SAMPLE_RATE,
            duration_after_vad=sum(c.end - c.start for c in chunks) / SAMPLE_RATE,
            device=self.device,
            device_warning=self.device_warning,
            vad_backend=vad.backend if vad else None,
            vad_message=vad.message if vad else None,
            options=options,
        )
        fixed = language if probs is None else None  # None: detect per chunk
        return self._segments(audio, chunks, options, fixed or "en", fixed is None, first), info

    def _detect_chunk(
        self, audio: np.ndarray, chunk: SpeechChunk
    ) -> tuple[tuple[int, int, Any], dict[str, float]]:
        """Encode the chunk's first window; detect its language.

        Returns ``((start, size, encoded), probs)``: the encoding is reused.
        """
        size = min(chunk.end - chunk.start, self.mel.config.n_samples)
        encoded = self.encode(audio[chunk.start : chunk.start + size])
        return (chunk.start, size, encoded), self.decoder.detect_language(encoded)

    def _segments(
        self,
        audio: np.ndarray,
        chunks: list[SpeechChunk],
        options: DecodeOptions,
        language: str,
        detect: bool,
        first: tuple[tuple[int, int, Any], dict[str, float]] | None,
    ) -> Iterator[Segment]:
        tok = self.tokenizer
        run = WindowRun(
            options=options,
            rng=np.random.default_rng(options.seed),
            previous=tok.prompt_tokens(options.initial_prompt) if options.initial_prompt else [],
        )
        if can_batch(options, self.batch_size):
            yield from batched_segments(self, audio, chunks, run, language, detect, first)
            return
        for index, chunk in enumerate(chunks):
            cached: tuple[int, int, Any] | None = None
            if detect:  # the language of each chunk, from its first window
                detected = first if index == 0 and first is not None else None
                detected = detected or self._detect_chunk(audio, chunk)
                cached, probs = detected
                language = next(iter(probs))
            yield from self._chunk_segments(audio, chunk, run, language, cached=cached)

    def _chunk_segments(
        self,
        audio: np.ndarray,
        chunk: SpeechChunk,
        run: WindowRun,
        language: str,
        *,
        cached: tuple[int, int, Any] | None = None,
        decoded: tuple[Any, DecodingResult] | None = None,
    ) -> Iterator[Segment]:
        """Decode ``chunk`` window by window from its start.

        ``cached`` is ``(seek, size, encoded)`` of a window already encoded;
        ``decoded`` is ``(encoded, result)`` of the chunk's first window,
        already decoded (in a batch, fallback included).
        """
        options = run.options
        n_samples = self.mel.config.n_samples
        limit = self.settings.max_target_positions // 2
        seek = chunk.start
        while chunk.end - seek >= self.mel.config.hop_length:
            size = min(n_samples, chunk.end - seek)
            if decoded is not None:
                encoded, result = decoded
                decoded = cached = None
            else:
                if cached is not None and cached[:2] == (seek, size):
                    encoded = cached[2]
                else:
                    encoded = self.encode(audio[seek : seek + size])
                cached = None
                result = self.decoder.decode_with_fallback(
                    encoded, options, language=language,
                    max_new_tokens=options.token_budget(size / SAMPLE_RATE, limit),
                    previous_tokens=tuple(run.previous), rng=run.rng,
                )  # fmt: skip
            if is_silence(result, options):
                seek += size
                continue
            pieces, advance = self._split(result, size, options.without_timestamps)
            offset = seek / SAMPLE_RATE
            chunk_end = chunk.end / SAMPLE_RATE
            spans = [
                (min(offset + start, chunk_end), min(offset + end, chunk_end), toks, lps)
                for start, end, toks, lps in pieces
            ]
            window = audio[seek : seek + size]
            for seg in self._window_segments(
                run.next_id, offset, window, spans, result, encoded, options
            ):
                run.next_id += 1
                yield seg
            seek += advance
            if options.condition_on_previous_text and (
                result.temperature <= options.prompt_reset_on_temperature
            ):
                run.previous.extend(t for piece in pieces for t in piece[2])
            else:
                run.previous = []

    def _split(
        self, result: DecodingResult, size: int, without_timestamps: bool
    ) -> tuple[list[tuple[float, float, list[int], list[float]]], int]:
        """Cut a window's tokens at timestamp pairs; also how far to move on (samples).

        As in Whisper: if the last timestamp closes a segment without a lone
        timestamp after it, the next window starts at that timestamp, so a
        sentence cut by the window's end is decoded again in full.
        """
        tokens, lps = list(result.tokens), list(result.token_logprobs)
        tb = self.tokenizer.timestamp_begin
        window_s = size / SAMPLE_RATE
        if without_timestamps:
            return [(0.0, window_s, tokens, lps)], size
        is_ts = [t >= tb for t in tokens]
        single_ending = len(tokens) >= 2 and is_ts[-2:] == [False, True]
        boundaries = [i for i in range(1, len(tokens)) if is_ts[i - 1] and is_ts[i]]
        if not boundaries:
            stamps = [t for t in tokens if t >= tb]
            end = window_s
            if stamps and stamps[-1] != tb:
                end = min(window_s, (stamps[-1] - tb) * TIME_PRECISION)
            start = (stamps[0] - tb) * TIME_PRECISION if stamps and stamps[0] != stamps[-1] else 0
            return [(min(start, end), end, tokens, lps)], size
        if single_ending:
            boundaries.append(len(tokens))
        pieces = []
        last = 0
        for cut in boundaries:
            part = tokens[last:cut]
            start = (part[0] - tb) * TIME_PRECISION if part[0] >= tb else 0.0
            end = (part[-1] - tb) * TIME_PRECISION if part[-1] >= tb else window_s
            pieces.append((start, max(start, end), part, lps[last:cut]))
            last = cut
        advance = size
        if not single_ending:
            advance = (tokens[last - 1] - tb) * SAMPLES_PER_TIMESTAMP
            if advance <= 0 or advance > size:
                advance = size
        return pieces, advance

    def _window_segments(
        self,
        first_id: int,
        offset: float,
        window: np.ndarray,
        pieces: list[tuple[float, float, list[int], list[float]]],
        result: DecodingResult,
        encoded: Any,
        options: DecodeOptions,
    ) -> list[Segment]:
        """The window's segments, with its words aligned together (as Whisper does)."""
        tok = self.tokenizer
        drafts = []
        for start, end, tokens, logprobs in pieces:
            text_idx = [i for i, t in enumerate(tokens) if t < tok.eot]
            text_tokens = [tokens[i] for i in text_idx]
            text = tok.decode(text_tokens)
            if not text.strip():
                continue
            text_lps = [logprobs[i] for i in text_idx]
            words, word_tokens = tok.split_to_words(text_tokens, result.language)
            drafts.append((start, end, tokens, logprobs, text, text_lps, words, word_tokens))
        all_words = [w for d in drafts for w in d[6]]
        all_word_tokens = [t for d in drafts for t in d[7]]
        spans = None
        if options.word_timestamps and self.word_aligner is not None and all_words:
            spans = self.word_aligner(
                encoder_output=encoded,
                sot_sequence=tok.sot_sequence(result.language, options.task),
                no_timestamps=tok.no_timestamps,
                eot=tok.eot,
                word_tokens=all_word_tokens,
                num_frames=window.shape[0] // self.mel.config.hop_length,
            )
            if spans is not None and len(spans) == len(all_words):
                spans = snap_to_sound(tidy_spans(all_words, spans), window, SAMPLE_RATE)
                spans = [(offset + s, offset + e) for s, e in spans]
            else:
                spans = None
        segments = []
        k = 0
        for start, end, tokens, logprobs, text, text_lps, words, word_tokens in drafts:
            word_spans = spans[k : k + len(words)] if spans is not None else None
            k += len(words)
            confidence = math.exp(sum(text_lps) / len(text_lps)) if text_lps else 0.0
            segments.append(
                Segment(
                    id=first_id + len(segments),
                    start=start,
                    end=end,
                    text=text,
                    tokens=tuple(tokens),
                    token_logprobs=tuple(logprobs),
                    avg_logprob=result.avg_logprob,
                    no_speech_prob=result.no_speech_prob,
                    compression_ratio=result.compression_ratio,
                    temperature=result.temperature,
                    language=result.language or "",
                    confidence=confidence,
                    words=_words(words, word_tokens, text_lps, start, end, word_spans),
                )
            )
        return segments


def _words(
    words: list[str],
    word_tokens: list[list[int]],
    text_lps: list[float],
    start: float,
    end: float,
    spans: list[tuple[float, float]] | None,
) -> tuple[Word, ...]:
    """Words with their mean token probability; aligned spans are kept inside the segment."""
    probs: list[float] = []
    i = 0
    for toks in word_tokens:
        lps = text_lps[i : i + len(toks)]
        i += len(toks)
        probs.append(float(np.mean(np.exp(lps))) if lps else 0.0)
    if spans is None:
        estimates = estimate_word_times(words, start, end)
        return tuple(Word(w, s, e, p) for w, (s, e), p in zip(words, estimates, probs, strict=True))
    out = []
    previous_end = start
    for w, (s, e), p in zip(words, spans, probs, strict=True):
        s = round(min(max(s, previous_end), end), 3)
        e = round(min(max(e, s), end), 3)
        out.append(Word(w, s, e, p, estimated=False))
        previous_end = e
    return tuple(out)


def estimate_word_times(
    words: Sequence[str], start: float, end: float
) -> list[tuple[float, float]]:
    """Spread ``[start, end]`` over ``words`` in proportion to their length (an estimate)."""
    weights = [max(1, len(w.strip())) for w in words]
    total = sum(weights) or 1
    spans = []
    t = start
    for weight in weights:
        nxt = t + (end - start) * weight / total
        spans.append((round(t, 3), round(nxt, 3)))
        t = nxt
    return spans
