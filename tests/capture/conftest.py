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


class FakeSoundDevice:
    """The sounddevice module as far as the capture sources use it.

    ``inputs`` are (name, input channels) of the devices; the first is the
    default input. ``refuse`` holds sample formats its check rejects;
    ``opened`` collects the arguments of every stream opened.
    """

    def __init__(self, inputs: list[tuple[str, int]]) -> None:
        self.inputs = inputs
        self.default = type("D", (), {"device": [0 if inputs else -1, -1]})()
        self.refuse: set[str] = set()
        self.opened: list[dict] = []

    def query_devices(self) -> list:
        return [{"name": n, "max_input_channels": ch, "hostapi": 0} for n, ch in self.inputs]

    @staticmethod
    def query_hostapis() -> list:
        return [{"name": "ALSA"}]

    def check_input_settings(self, *, device, channels, dtype, samplerate) -> None:
        if dtype in self.refuse:
            raise ValueError(f"Invalid sample format ({dtype})")

    def InputStream(self, **kwargs):  # sounddevice's name
        self.opened.append(kwargs)
        return type("S", (), {"start": lambda self: None})()
