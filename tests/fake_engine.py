"""A fake speech model for tests of the transcription job (no Qt, no PyTorch).

:class:`FakeEngine` stands in for ``WhisperOnnx`` inside the real job: one
segment per stretch of sound, with placeholder words a reviewer must correct.
:func:`fake_model` gives the registry and engine cache that make it the
installed, active model (patch them into ``desktop_app.services.transcription``).
Used by the GUI tests and by the kill -9 harness's child processes.
"""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np


class FakeEngine:
    """One segment per stretch of sound (20 ms frames louder than -40 dBFS, split
    at pauses of 300 ms). ``delay`` seconds pass before each segment (to cancel
    or kill mid-job)."""

    device = "cpu"
    device_warning = None

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.calls = 0

    def transcribe(self, audio: np.ndarray, options: object):
        from desktop_app.asr.transcribe import Segment, Word

        self.calls += 1
        frame = 320
        n = len(audio) // frame
        rms = np.sqrt((audio[: n * frame].reshape(n, frame) ** 2).mean(axis=1))
        regions: list[tuple[int, int]] = []
        start = end = None
        for i, loud in enumerate(rms > 0.01):
            if loud:
                start = i if start is None else start
                end = i + 1
            elif start is not None and end is not None and i - end >= 15:
                regions.append((start, end))
                start = None
        if start is not None and end is not None:
            regions.append((start, end))

        def segments():
            for k, (a, b) in enumerate(regions):
                time.sleep(self.delay)
                s, e = a * 0.02, b * 0.02
                words = tuple(
                    Word(f" сөз{k}{j}", s + j * (e - s) / 2, s + (j + 1) * (e - s) / 2, p)
                    for j, p in enumerate((0.9, 0.4))
                )
                yield Segment(
                    id=k,
                    start=s,
                    end=e,
                    text=f"сөз{k}0 сөз{k}1",
                    tokens=(),
                    token_logprobs=(),
                    avg_logprob=-0.5,
                    no_speech_prob=0.01,
                    compression_ratio=1.0,
                    temperature=0.0,
                    language="kk",
                    confidence=0.55,
                    words=words,
                )

        return segments(), SimpleNamespace(language="kk")


def fake_registry(folder: Path, name: str = "fake model", source: str = "test") -> type:
    """A ``ModelRegistry`` replacement whose active model is one fake version
    (``source="pypi-default"``: as if it were the untuned default model)."""
    manifest = SimpleNamespace(id="fake-1", name=name, source=source, parent_id=None)

    class Registry:
        def __init__(self, *_args: object) -> None:
            pass

        def active(self):
            return manifest

        def get(self, model_id: str):
            return manifest

        def path(self, model_id: str) -> Path:
            return folder

    return Registry


def fake_model(
    engine: FakeEngine, folder: Path, name: str = "fake model", source: str = "test"
) -> tuple[type, object]:
    """``(ModelRegistry replacement class, engine cache)`` serving ``engine``."""

    class Engines:
        def get(self, *_args: object) -> FakeEngine:
            return engine

        def loaded(self, *_args: object) -> bool:
            return True

    return fake_registry(folder, name, source), Engines()
