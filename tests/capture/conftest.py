"""Helpers for the capture tests: reading recorded audio back, comparing it
with the synthetic signal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from desktop_app.core.capture import synthetic_samples


def read_int16(path: Path) -> np.ndarray:
    data, _rate = sf.read(path, dtype="int16", always_2d=True)
    return data


def assert_matches_signal(
    data: np.ndarray, rate: int, start: int = 0, gain: int = 1, chunk: int = 1 << 22
) -> None:
    """``data`` is exactly the synthetic signal from frame ``start`` on."""
    channels = data.shape[1]
    for pos in range(0, len(data), chunk):
        part = data[pos : pos + chunk]
        want = synthetic_samples(start + pos, len(part), rate, channels, gain)
        if not np.array_equal(part, want):
            bad = int(np.nonzero((part != want).any(axis=1))[0][0]) + pos
            raise AssertionError(f"sample mismatch at frame {bad} of {len(data)}")
