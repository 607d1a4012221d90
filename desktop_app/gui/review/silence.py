"""Where the sound is: silence and speech edges read from a peak pyramid.

Used to snap segment boundaries to nearby silence and to find where a new
segment should end. Works on 10 ms frames of the recording's
:class:`~desktop_app.core.audio.peaks.PeakPyramid` (no audio is decoded), so it
is instant on a recording of any length. Qt-free.

A frame is *quiet* when its peak amplitude is below a threshold set from the
neighbourhood's noise floor (twice its 10th percentile), kept between 0.01 and
0.1 of full scale, so a hissy field recording still has silences.
"""

from __future__ import annotations

import numpy as np

from desktop_app.core.audio.peaks import PeakPyramid

FRAME_S = 0.01
CONTEXT_S = 1.0  # the noise floor is measured this far around the point of interest
MIN_QUIET = 0.01
MAX_QUIET = 0.1
MIN_GAP_S = 0.25  # a pause this long ends a stretch of speech


def _levels(peaks: PeakPyramid, start_s: float, end_s: float) -> tuple[float, np.ndarray]:
    """``(t0, levels)``: the peak amplitude of each 10 ms frame from ``t0``."""
    t0 = max(0.0, start_s)
    t1 = min(peaks.duration_s, end_s)
    n = int((t1 - t0) / FRAME_S)
    if n <= 0:
        return t0, np.zeros(0, dtype=np.float32)
    mins, maxs = peaks.query(t0, t0 + n * FRAME_S, n)
    return t0, np.maximum(-mins, maxs)


def _threshold(levels: np.ndarray) -> float:
    if not len(levels):
        return MIN_QUIET
    return float(np.clip(2.0 * np.percentile(levels, 10), MIN_QUIET, MAX_QUIET))


def snap_to_silence(peaks: PeakPyramid, t_s: float, radius_s: float) -> float:
    """The nearest quiet point to ``t_s`` within ``radius_s``.

    A time already in silence stays where it is; a time inside sound moves to
    the nearest edge of a quiet stretch (where the speech starts or ends). With
    no silence within the radius, ``t_s`` is returned unchanged.
    """
    t0, levels = _levels(peaks, t_s - CONTEXT_S, t_s + CONTEXT_S)
    if not len(levels):
        return t_s
    quiet = levels < _threshold(levels)
    # frame k covers [t0 + k*F, t0 + (k+1)*F): the closest point of each quiet frame
    starts = t0 + np.arange(len(levels)) * FRAME_S
    nearest = np.clip(t_s, starts, starts + FRAME_S)
    dist = np.where(quiet, np.abs(nearest - t_s), np.inf)
    k = int(np.argmin(dist))
    if not np.isfinite(dist[k]) or dist[k] > radius_s:
        return t_s
    return float(nearest[k])


def sound_span(
    peaks: PeakPyramid, start_s: float, limit_s: float, min_gap_s: float = MIN_GAP_S
) -> tuple[float, float] | None:
    """The stretch of sound at or after ``start_s``, before ``limit_s``.

    Starts at ``start_s`` if there is sound there, else where the sound
    begins; ends where the next pause of at least ``min_gap_s`` begins (or at
    ``limit_s``). ``None`` when everything up to ``limit_s`` is silent.
    """
    t0, levels = _levels(peaks, start_s, limit_s)
    if not len(levels):
        return None
    _, around = _levels(peaks, start_s - CONTEXT_S, limit_s + CONTEXT_S)
    loud = levels >= _threshold(around)
    if not loud.any():
        return None
    first = int(np.argmax(loud))
    gap = max(1, round(min_gap_s / FRAME_S))
    end = len(levels)
    run = 0
    for k in range(first, len(levels)):
        run = 0 if loud[k] else run + 1
        if run >= gap:
            end = k - run + 1
            break
    begin = start_s if first == 0 else t0 + first * FRAME_S
    return begin, min(limit_s, t0 + end * FRAME_S)
