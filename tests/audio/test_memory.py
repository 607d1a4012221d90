"""A long recording imports in bounded memory (a 2-hour file must not need GBs)."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from desktop_app.core.audio import PeakPyramid, import_audio
from desktop_app.core.jobs import JobState

MINUTES = 10
RATE = 44_100


@pytest.mark.slow
def test_ten_minute_stereo_file_imports_in_bounded_memory(audio, dest) -> None:
    src = audio.tone(
        "long.wav", seconds=MINUTES * 60, rate=RATE, channels=2, freq=220.0, amps=(0.6, 0.2)
    )
    source_bytes = src.stat().st_size  # about 106 MB of PCM

    tracemalloc.start()
    try:
        result = import_audio(src, dest, JobState())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # Decoded to float32 the file would be 212 MB; we hold a few 64k-frame
    # blocks plus the peak pyramid (1.6 MB for 10 minutes).
    assert peak < 10 * 2**20, f"peak traced memory {peak / 2**20:.1f} MiB"
    assert peak < source_bytes / 5
    assert result.frames == MINUTES * 60 * RATE
    assert result.duration_s == MINUTES * 60
    pyramid = PeakPyramid.load(result.peaks_path)
    assert pyramid.n_samples == MINUTES * 60 * 16_000
    assert pyramid.duration_s == pytest.approx(MINUTES * 60)
    mins, maxs = pyramid.query(0, pyramid.duration_s, 1200)
    np.testing.assert_allclose(maxs, 0.4, atol=0.005)  # (0.6 + 0.2) / 2
    np.testing.assert_allclose(mins, -0.4, atol=0.005)
    assert sf.info(result.model_audio_path).frames == MINUTES * 60 * 16_000


# --- hostile inputs, measured in a child process ------------------------------------

PEAK_LIMIT_MB = 500


def _zeros(path: Path, size: int, then: bytes = b"") -> Path:
    """``size`` zero bytes, then ``then``; sparse, so the zeros take no disk space."""
    with open(path, "wb") as fh:
        fh.truncate(size)
        fh.seek(size)
        fh.write(then)
    return path


@pytest.mark.skipif(os.name == "nt", reason="needs the resource module")
def test_hostile_inputs_are_refused_quickly_in_bounded_memory(audio, dest, python_child) -> None:
    rng = np.random.default_rng(0)
    flac = audio.tone("tone.flac", seconds=2.0).read_bytes()
    mp3 = audio.tone("tone.mp3", seconds=2.0, rate=44_100).read_bytes()
    streaminfo = int.from_bytes(flac[18:26], "big") | ((1 << 36) - 1)  # 2^36 frames
    hostile = [
        # The three: 1 Hz, 2^36 frames, 2 GB of zeros (as every extension).
        audio.pcm_wav("one-hertz.wav", 1, 1, bytes(65_536)),
        audio.raw("frames.flac", flac[:18] + streaminfo.to_bytes(8, "big") + flac[26:]),
        *(_zeros(audio.root / f"zeros.{ext}", 2 << 30) for ext in ("wav", "mp3", "flac", "m4a")),
        # Not audio at all.
        audio.raw("random.mp3", rng.bytes(8 << 20)),
        audio.raw("random.wav", rng.bytes(8 << 20)),
        audio.raw("notes.wav", "Бұл аудио емес.\n".encode() * 500_000),
        # Real audio after a gigabyte of nothing.
        _zeros(audio.root / "late.mp3", 1 << 30, then=mp3),
    ]

    results = python_child.import_each(dest, hostile, timeout=300)

    for result in results:
        name = Path(result["file"]).name
        assert result["outcome"] == "AudioImportError", (name, result)
        assert f"'{name}'" in result["message"]
        assert result["seconds"] < 10, (name, result)
        assert result["peak_mb"] < PEAK_LIMIT_MB, (name, result)
