"""Streaming downmix to mono and resampling to the models' 16 kHz.

Feed blocks of any size to :class:`MonoResampler`; it keeps only soxr's small
filter state between calls, so a file of any length goes through in constant
memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import soxr

MODEL_RATE = 16_000
"""Sample rate every ASR model in Jazba expects."""


def downmix(block: np.ndarray) -> np.ndarray:
    """Average the channels of a ``(frames, channels)`` block into a 1-D float32 array."""
    if block.ndim == 1:
        return block.astype(np.float32, copy=False)
    channels = block.shape[1]
    out = np.array(block[:, 0], dtype=np.float32)  # a contiguous copy
    if channels == 1:
        return out
    # Column by column: about 20× faster than ``mean(axis=1)`` on interleaved data.
    for c in range(1, channels):
        out += block[:, c]
    out *= np.float32(1.0 / channels)
    return out


class MonoResampler:
    """Downmix to mono, then resample ``in_rate`` → ``out_rate`` block by block.

    Call :meth:`process` for every block and :meth:`flush` once at the end to
    get the filter's tail; together they return ``frames * out_rate / in_rate``
    samples (rounded).
    """

    def __init__(self, in_rate: int, out_rate: int = MODEL_RATE, quality: str = "HQ") -> None:
        if in_rate <= 0 or out_rate <= 0:
            raise ValueError(f"sample rates must be positive, got {in_rate} → {out_rate}")
        self.in_rate = in_rate
        self.out_rate = out_rate
        self._stream = (
            None
            if in_rate == out_rate
            else soxr.ResampleStream(in_rate, out_rate, 1, dtype="float32", quality=quality)
        )
        self._flushed = False

    def process(self, block: np.ndarray) -> np.ndarray:
        """Resample one block; may return fewer (or zero) samples while the filter fills."""
        if self._flushed:
            raise RuntimeError("MonoResampler.process() called after flush()")
        mono = downmix(block)
        if self._stream is None:
            return mono
        return self._stream.resample_chunk(mono)

    def flush(self) -> np.ndarray:
        """Return the last samples held in the filter. Call once, at the end."""
        if self._flushed:
            return np.zeros(0, dtype=np.float32)
        self._flushed = True
        if self._stream is None:
            return np.zeros(0, dtype=np.float32)
        return self._stream.resample_chunk(np.zeros(0, dtype=np.float32), last=True)


def to_model_rate(
    blocks: Iterable[np.ndarray], in_rate: int, out_rate: int = MODEL_RATE
) -> Iterator[np.ndarray]:
    """Yield mono ``out_rate`` float32 blocks for a stream of ``(frames, channels)`` blocks."""
    resampler = MonoResampler(in_rate, out_rate)
    for block in blocks:
        out = resampler.process(block)
        if len(out):
            yield out
    tail = resampler.flush()
    if len(tail):
        yield tail
