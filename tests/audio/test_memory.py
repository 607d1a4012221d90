"""A long recording imports in bounded memory (a 2-hour file must not need GBs)."""

from __future__ import annotations

import tracemalloc

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
