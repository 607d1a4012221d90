"""Voice activity detection and cutting speech into ≤ 30 s chunks.

Silero VAD's ONNX model is run directly with ONNX Runtime. The model file is
located inside the installed ``silero_vad`` distribution *without importing
it* (its Python package imports PyTorch, which the GUI process must not load).
When the file is not installed an energy-based detector is used instead, and
:attr:`VadResult.message` says so.

Speech regions are then merged into chunks of at most ``max_chunk_s``; chunks
end at pauses, and a region longer than that is cut at its least speech-like
moment.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

from desktop_app.asr.options import VadOptions
from desktop_app.asr.ort_session import make_session_options

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
WINDOW = 512  # samples per Silero step at 16 kHz (32 ms)
CONTEXT = 64  # samples of the previous window that Silero sees with each step


@dataclass(frozen=True)
class SpeechChunk:
    """A stretch of audio to decode, in samples (``end`` exclusive)."""

    start: int
    end: int

    @property
    def start_s(self) -> float:
        return self.start / SAMPLE_RATE

    @property
    def duration_s(self) -> float:
        return (self.end - self.start) / SAMPLE_RATE


@dataclass(frozen=True)
class VadResult:
    chunks: tuple[SpeechChunk, ...]
    regions: tuple[SpeechChunk, ...]  # detected speech before merging
    backend: str  # "silero" or "energy"
    message: str | None = None

    @property
    def speech_seconds(self) -> float:
        return sum(r.duration_s for r in self.regions)


def silero_model_path() -> Path | None:
    """Path of ``silero_vad.onnx`` in the installed package, found without importing it."""
    try:
        spec = importlib.util.find_spec("silero_vad")
    except (ImportError, ValueError):
        return None
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / "data" / "silero_vad.onnx"
        if candidate.is_file():
            return candidate
    return None


class SileroVad:
    """Speech probability per 32 ms window from Silero's ONNX model."""

    def __init__(self, model_path: Path) -> None:
        opts = make_session_options(threads=1)
        self._session = ort.InferenceSession(
            str(model_path), sess_options=opts, providers=["CPUExecutionProvider"]
        )

    def probabilities(self, audio: np.ndarray) -> np.ndarray:
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        n = -(-audio.shape[0] // WINDOW)
        padded = np.zeros(n * WINDOW + CONTEXT, dtype=np.float32)
        padded[CONTEXT : CONTEXT + audio.shape[0]] = audio
        state = np.zeros((2, 1, 128), dtype=np.float32)
        sr = np.array(SAMPLE_RATE, dtype=np.int64)
        probs = np.empty(n, dtype=np.float32)
        for i in range(n):
            frame = padded[i * WINDOW : (i + 1) * WINDOW + CONTEXT][None]
            out, state = self._session.run(None, {"input": frame, "state": state, "sr": sr})
            probs[i] = out[0, 0]
        return probs


def energy_probabilities(audio: np.ndarray) -> np.ndarray:
    """A crude stand-in for Silero: 1 where a window is well above the noise floor."""
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    n = -(-audio.shape[0] // WINDOW)
    frames = np.zeros(n * WINDOW, dtype=np.float32)
    frames[: audio.shape[0]] = audio
    rms = np.sqrt(np.mean(frames.reshape(n, WINDOW) ** 2, axis=1) + 1e-12)
    db = 20.0 * np.log10(rms)
    floor = np.percentile(db, 10) if n else -100.0
    threshold = max(floor + 12.0, -50.0)
    return (db > threshold).astype(np.float32)


def speech_regions(probs: np.ndarray, n_samples: int, opts: VadOptions) -> list[SpeechChunk]:
    """Hysteresis over window probabilities, then minimum lengths and padding."""
    neg = opts.neg_threshold if opts.neg_threshold is not None else max(opts.threshold - 0.15, 0.01)
    min_silence = opts.min_silence_ms * SAMPLE_RATE // 1000
    min_speech = opts.min_speech_ms * SAMPLE_RATE // 1000
    pad = opts.speech_pad_ms * SAMPLE_RATE // 1000
    regions: list[list[int]] = []
    start: int | None = None
    silence_from: int | None = None
    for i, p in enumerate(probs.tolist()):
        pos = i * WINDOW
        if p >= opts.threshold:
            silence_from = None
            if start is None:
                start = pos
        elif p < neg and start is not None:
            silence_from = pos if silence_from is None else silence_from
            if pos + WINDOW - silence_from >= min_silence:
                regions.append([start, silence_from])
                start, silence_from = None, None
    if start is not None:
        regions.append([start, n_samples])
    raw = [r for r in regions if r[1] - r[0] >= min_speech]
    padded: list[SpeechChunk] = []
    for i, (s, e) in enumerate(raw):  # pad, but never past the middle of a pause
        left = pad if i == 0 else min(pad, (s - raw[i - 1][1]) // 2)
        right = pad if i == len(raw) - 1 else min(pad, (raw[i + 1][0] - e) // 2)
        padded.append(SpeechChunk(max(0, s - left), min(n_samples, e + right)))
    return padded


def _split_long(region: SpeechChunk, probs: np.ndarray, max_len: int) -> list[SpeechChunk]:
    """Cut a region longer than ``max_len`` at its least speech-like windows."""
    pieces: list[SpeechChunk] = []
    start = region.start
    while region.end - start > max_len:
        lo = (start + max_len // 2) // WINDOW
        hi = max(lo + 1, (start + max_len) // WINDOW)
        window = probs[lo:hi]
        cut = (lo + int(np.argmin(window))) * WINDOW if window.size else start + max_len
        cut = min(max(cut, start + WINDOW), start + max_len)
        pieces.append(SpeechChunk(start, cut))
        start = cut
    pieces.append(SpeechChunk(start, region.end))
    return pieces


def merge_into_chunks(
    regions: list[SpeechChunk], probs: np.ndarray, max_chunk_s: float
) -> list[SpeechChunk]:
    """Greedily join neighbouring regions (pauses included) while a chunk fits."""
    max_len = int(max_chunk_s * SAMPLE_RATE)
    chunks: list[SpeechChunk] = []
    current: SpeechChunk | None = None
    for region in regions:
        for piece in _split_long(region, probs, max_len):
            if current is None:
                current = piece
            elif piece.end - current.start <= max_len:
                current = SpeechChunk(current.start, piece.end)
            else:
                chunks.append(current)
                current = piece
    if current is not None:
        chunks.append(current)
    return chunks


@functools.cache
def _silero() -> SileroVad | None:
    path = silero_model_path()
    if path is None:
        return None
    try:
        return SileroVad(path)
    except Exception:  # a broken install must not stop transcription
        log.warning("Cannot load Silero VAD from %s", path, exc_info=True)
        return None


def detect_speech(
    audio: np.ndarray, opts: VadOptions | None = None, use_silero: bool = True
) -> VadResult:
    """Speech regions of 16 kHz mono ``audio`` and the ≤ 30 s chunks to decode."""
    opts = opts or VadOptions()
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    message = None
    backend = "silero"
    silero = _silero() if use_silero else None
    if silero is not None:
        probs = silero.probabilities(audio)
    else:
        backend = "energy"
        message = (
            "Silero VAD is not installed (the 'vad' extra); a simple energy-based "
            "voice detector is used instead."
        )
        probs = energy_probabilities(audio)
    regions = speech_regions(probs, audio.shape[0], opts)
    chunks = merge_into_chunks(regions, probs, opts.max_chunk_s)
    return VadResult(tuple(chunks), tuple(regions), backend, message)


def chunks_to_decode(
    audio: np.ndarray, vad_filter: bool, opts: VadOptions | None = None
) -> tuple[np.ndarray, VadResult | None, list[SpeechChunk]]:
    """``(audio as float32, the VAD result or None, the chunks to decode)`` for an engine.

    Without ``vad_filter`` the whole audio is one chunk (none when it is empty).
    Raises ValueError unless ``audio`` is mono.
    """
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim != 1:
        raise ValueError("Audio must be mono: a 1-D array of 16 kHz samples.")
    vad = detect_speech(audio, opts) if vad_filter else None
    if vad is not None:
        return audio, vad, list(vad.chunks)
    return audio, None, [SpeechChunk(0, audio.shape[0])] if audio.shape[0] else []
