"""Audio -> unit ids in the app process, and the per-project unit cache.

Units are derived data: one int16 array per recording (one unit per 20 ms
frame, *not* collapsed) in ``<project>/cache/units/<codebook key>/<audio
sha256[:16]>.npy``. The key is the codebook's checksum, so a unit LM trained on
a codebook shares the cache of the version that fitted it. Files are written
through a temporary name and renamed, so a cancelled job leaves none half
written.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop_app.core.errors import ModelError
from desktop_app.units.codebook import assign
from desktop_app.units.features import (
    FEATURES_FILE,
    FRAME_SAMPLES,
    SAMPLE_RATE,
    WHISPER_KIND,
    WhisperLayerFeatures,
    check_audio,
)
from desktop_app.units.registry import UnitVersion

CACHE_SUBDIR = "units"


@dataclass(frozen=True)
class ExtractStats:
    audio_seconds: float
    wall_seconds: float

    @property
    def x_real_time(self) -> float:
        """How many seconds of audio are processed per second of wall time."""
        return self.audio_seconds / self.wall_seconds if self.wall_seconds > 0 else float("inf")


class UnitExtractor:
    """Units of 16 kHz audio with a version's cut Whisper encoder and codebook (ORT only)."""

    def __init__(self, version: UnitVersion, device: str = "cpu", threads: int | None = None):
        if version.config.features.kind != WHISPER_KIND:
            raise ModelError(
                f"'{version.name}' uses {version.config.features.describe()}, which runs in the "
                "unit-LM subprocess (PyTorch); use extract_project_units, which starts it."
            )
        self.version = version
        self.features = WhisperLayerFeatures(version.folder / FEATURES_FILE, device, threads)
        self.centroids = version.codebook()

    def __call__(
        self, audio: np.ndarray, progress: Callable[[float], None] | None = None
    ) -> np.ndarray:
        audio = check_audio(audio)
        total = max(1, -(-audio.size // self.features.window_samples))
        parts = []
        for i, feats in enumerate(self.features.windows(audio)):
            parts.append(assign(feats, self.centroids))
            if progress is not None:
                progress((i + 1) / total)
        return np.concatenate(parts)

    def timed(self, audio: np.ndarray) -> tuple[np.ndarray, ExtractStats]:
        t0 = time.perf_counter()
        units = self(audio)
        return units, ExtractStats(audio.size / SAMPLE_RATE, time.perf_counter() - t0)


def cache_dir(project_path: Path, cache_key: str) -> Path:
    return project_path / "cache" / CACHE_SUBDIR / cache_key


def cache_file(project_path: Path, cache_key: str, audio_sha256: str) -> Path:
    return cache_dir(project_path, cache_key) / f"{audio_sha256[:16]}.npy"


def save_units(path: Path, units: np.ndarray) -> None:
    """Write atomically (temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".units-", suffix=".npy", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.save(fh, np.asarray(units, dtype=np.int16), allow_pickle=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_units(path: Path) -> np.ndarray | None:
    """The cached frame units, or None when absent or unreadable (then re-extract)."""
    try:
        units = np.load(path, allow_pickle=False)
    except (FileNotFoundError, OSError, ValueError):
        return None
    return units if units.ndim == 1 else None


PIECE_S = 600  # a multiple of the 30 s encoder window: pieces split no window


def audio_pieces(path: Path, piece_s: int = PIECE_S) -> Iterator[np.ndarray]:
    """16 kHz model audio of ``path`` in pieces of ``piece_s`` seconds (bounded memory).

    A last piece shorter than one unit frame is dropped (it has no unit).
    """
    from desktop_app.core.audio.importer import load_model_audio

    start = 0.0
    while True:
        audio = load_model_audio(path, start, start + piece_s)
        if audio.size < FRAME_SAMPLES:
            return
        yield audio
        if audio.size < piece_s * SAMPLE_RATE:
            return
        start += piece_s
