"""Silence and speech edges from a peak pyramid (snapping, 'to the next silence')."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_app.core.audio.peaks import PeakPyramidBuilder
from desktop_app.gui.review.silence import snap_to_silence, sound_span

RATE = 16_000


def pyramid(noise: float = 0.0):
    """0–1 s quiet, 1–2 s a tone, 2–2.1 s quiet, 2.1–2.5 s tone, 2.5–4 s quiet."""
    t = np.arange(4 * RATE) / RATE
    loud = ((t >= 1) & (t < 2)) | ((t >= 2.1) & (t < 2.5))
    x = np.where(loud, 0.5 * np.sin(2 * np.pi * 200 * t), 0.0)
    x += noise * np.random.default_rng(0).standard_normal(len(t))
    b = PeakPyramidBuilder(RATE)
    b.add(x.astype(np.float32))
    return b.finish()


@pytest.mark.parametrize("noise", [0.0, 0.01])
def test_snap_moves_a_time_inside_sound_to_the_nearest_silence(noise: float) -> None:
    p = pyramid(noise)
    assert snap_to_silence(p, 1.04, 0.1) == pytest.approx(1.0, abs=0.011)
    assert snap_to_silence(p, 1.97, 0.1) == pytest.approx(2.0, abs=0.011)
    assert snap_to_silence(p, 0.5, 0.1) == 0.5  # already quiet: stays
    assert snap_to_silence(p, 1.5, 0.1) == 1.5  # no silence within the radius
    assert 2.0 <= snap_to_silence(p, 2.13, 0.1) <= 2.1  # the short pause


def test_sound_span_runs_to_the_next_long_pause() -> None:
    p = pyramid()
    start, end = sound_span(p, 0.2, 4.0)
    assert start == pytest.approx(1.0, abs=0.011)
    assert end == pytest.approx(2.5, abs=0.011)  # the 100 ms pause does not end it
    start, end = sound_span(p, 0.2, 4.0, min_gap_s=0.05)
    assert end == pytest.approx(2.0, abs=0.011)
    start, end = sound_span(p, 1.3, 1.8)
    assert (start, end) == (1.3, 1.8)  # sound from the start to the limit
    assert sound_span(p, 2.6, 4.0) is None
