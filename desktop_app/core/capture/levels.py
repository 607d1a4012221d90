"""Level meter values per block (peak and RMS in dBFS, clipping) and a live
energy VAD that marks utterances while recording.

Blocks are int16 (16-bit recording) or int32 (24-bit recording: PortAudio's
32-bit samples with the converter's 24 bits at the top); both are measured
against their own full scale."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

FLOOR_DB = -96.0  # below what 16-bit audio can hold
CLIP_SAMPLE = 32_700  # |sample| at or above this counts as clipping (-0.02 dBFS)
FULL_SCALE = 32_768.0
CLIP_FRACTION = CLIP_SAMPLE / FULL_SCALE


def full_scale(dtype: np.dtype) -> float:
    """Full scale of an integer sample type (32768 for int16, 2**31 for int32)."""
    return float(np.iinfo(dtype).max) + 1.0


def to_db(amplitude: float) -> float:
    """Amplitude (0..1 of full scale) in dBFS, floored at :data:`FLOOR_DB`."""
    return FLOOR_DB if amplitude <= 10 ** (FLOOR_DB / 20) else 20.0 * math.log10(amplitude)


@dataclass(frozen=True)
class Level:
    """The level of some audio, per channel."""

    peak_db: tuple[float, ...]
    rms_db: tuple[float, ...]
    clipped: bool

    @classmethod
    def silent(cls, channels: int) -> Level:
        return cls((FLOOR_DB,) * channels, (FLOOR_DB,) * channels, False)

    @property
    def max_peak_db(self) -> float:
        return max(self.peak_db)


def measure(block: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Peak amplitude, mean square (both 0..1, per channel) and clipping of an
    int16 or int32 block."""
    if not len(block):
        ch = block.shape[1]
        return np.zeros(ch), np.zeros(ch), False
    scale = full_scale(block.dtype)
    hi = block.max(axis=0).astype(np.int64)
    lo = block.min(axis=0).astype(np.int64)
    peak = np.maximum(hi, -lo) / scale
    x = block.astype(np.float32) / np.float32(scale)
    ms = np.einsum("ij,ij->j", x, x) / len(block)
    return peak, ms.astype(np.float64), bool((peak >= CLIP_FRACTION).any())


class LevelAccumulator:
    """Gathers block levels between two reads of the meter (so no peak is missed)."""

    def __init__(self, channels: int) -> None:
        self.channels = channels
        self._reset()
        self.clipped_blocks = 0

    def _reset(self) -> None:
        self._peak = np.zeros(self.channels)
        self._ms_sum = np.zeros(self.channels)
        self._n = 0
        self._clipped = False

    def add(self, block: np.ndarray) -> None:
        peak, ms, clipped = measure(block)
        self._peak = np.maximum(self._peak, peak)
        self._ms_sum += ms * len(block)
        self._n += len(block)
        if clipped:
            self._clipped = True
            self.clipped_blocks += 1

    def take(self) -> Level | None:
        """The level since the last call (None if no audio came in between)."""
        if not self._n:
            return None
        rms = np.sqrt(self._ms_sum / self._n)
        level = Level(
            tuple(to_db(float(p)) for p in self._peak),
            tuple(to_db(float(r)) for r in rms),
            self._clipped,
        )
        self._reset()
        return level


class LiveVad:
    """Energy VAD over 30 ms frames with hysteresis; finds utterances as they end.

    The threshold follows the noise floor (the quietest recent frames) so it
    works with quiet and noisy microphones alike. Positions are frames of the
    recorded audio.
    """

    FRAME_S = 0.03

    def __init__(
        self,
        rate: int,
        *,
        margin_db: float = 12.0,
        min_speech_s: float = 0.25,
        min_silence_s: float = 0.5,
        pad_s: float = 0.1,
        min_threshold_db: float = -55.0,
    ) -> None:
        self.rate = rate
        self.hop = round(rate * self.FRAME_S)
        self.margin_db = margin_db
        self.min_speech = round(min_speech_s / self.FRAME_S)
        self.min_silence = round(min_silence_s / self.FRAME_S)
        self.pad = round(pad_s * rate)
        self.min_threshold_db = min_threshold_db
        self.noise_db = -60.0
        self._carry = np.zeros(0, dtype=np.float32)
        self._pos = 0  # frame index of the start of _carry
        self._start: int | None = None  # frame where the current speech run began
        self._voiced_run = 0
        self._silent_run = 0
        self._last_voiced_end = 0
        self.utterances: list[tuple[int, int]] = []

    def add(self, block: np.ndarray) -> list[tuple[int, int]]:
        """Feed recorded int16 or int32 frames; returns utterances that just ended."""
        mono = block.astype(np.float32).mean(axis=1) / np.float32(full_scale(block.dtype))
        data = np.concatenate([self._carry, mono])
        n = len(data) // self.hop
        done: list[tuple[int, int]] = []
        if n:
            frames = data[: n * self.hop].reshape(n, self.hop)
            energy_db = 10 * np.log10(np.mean(frames * frames, axis=1) + 1e-12)
            for k, e in enumerate(energy_db):
                start = self._pos + k * self.hop
                ended = self._step(float(e), start)
                if ended is not None:
                    done.append(ended)
        self._carry = data[n * self.hop :]
        self._pos += n * self.hop
        self.utterances.extend(done)
        return done

    def _step(self, e: float, start: int) -> tuple[int, int] | None:
        # the noise floor falls fast and rises slowly
        self.noise_db = min(e, self.noise_db) if e < self.noise_db else self.noise_db + 0.02
        threshold = max(self.noise_db + self.margin_db, self.min_threshold_db)
        if e >= threshold:
            self._silent_run = 0
            self._voiced_run += 1
            if self._start is None:
                self._start = start
            self._last_voiced_end = start + self.hop
            return None
        self._silent_run += 1
        if self._start is not None and self._silent_run >= self.min_silence:
            return self._close()
        short = self._start is not None and self._voiced_run < self.min_speech
        if short and self._silent_run > 2:  # a click, not speech
            self._start, self._voiced_run = None, 0
        return None

    def _close(self) -> tuple[int, int] | None:
        assert self._start is not None
        span = None
        if self._voiced_run >= self.min_speech:
            span = (max(0, self._start - self.pad), self._last_voiced_end + self.pad)
        self._start, self._voiced_run = None, 0
        return span

    def finish(self) -> list[tuple[int, int]]:
        """Close an utterance still open at the end of the recording."""
        if self._start is None:
            return []
        span = self._close()
        if span is None:
            return []
        end = min(span[1], self._pos + len(self._carry))
        span = (span[0], end)
        self.utterances.append(span)
        return [span]
