"""Where long audio is cut into pieces that are decoded on their own.

A recording longer than twice the piece target is cut near every multiple of
the target, in the middle of a pause found by the voice detector
(:func:`~desktop_app.asr.vad.detect_speech`) in a short window around that
point; only those windows are read, so planning a long file needs little
memory. Each piece is then decoded as an audio of its own (its own voice
detection, its own decoding state), so a piece's segments depend on nothing
outside it: ``jazba transcribe`` decodes the pieces one after the other, a
batch run spreads them across workers, and both give the same segments.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from desktop_app.asr.options import VadOptions
from desktop_app.asr.vad import SAMPLE_RATE, detect_speech
from desktop_app.core.audio.importer import load_model_audio

PIECE_S = 120.0  # target length of a piece (bounded memory; a batch's unit of work)
SEARCH_S = 20.0  # a pause is looked for within ± half of this around each target point
MIN_PAUSE_S = 0.3
FRAME = 320  # 20 ms: the step of the quietest-moment fallback


def plan_pieces(
    audio_path: Path, total_s: float, piece_s: float = PIECE_S
) -> list[tuple[float, float]]:
    """``[(start_s, end_s), ...]`` covering ``[0, total_s]``, cut at pauses.

    A file of at most ``2 * piece_s`` is one piece; longer ones get pieces of
    about ``piece_s`` (the last one up to ``1.5 * piece_s``). Deterministic: the
    same audio and target always give the same cuts (times in whole ms).
    """
    if piece_s <= 0 or total_s <= 2 * piece_s:
        return [(0.0, total_s)]
    half = min(SEARCH_S, piece_s / 2) / 2
    cuts = [0.0]
    while total_s - cuts[-1] > 1.5 * piece_s:
        target = cuts[-1] + piece_s
        lo, hi = target - half, target + half
        audio = load_model_audio(audio_path, lo, hi)
        cuts.append(round(lo + pause_in(audio, target - lo), 3))
    cuts.append(total_s)
    return list(itertools.pairwise(cuts))


def pause_in(audio: np.ndarray, target_s: float) -> float:
    """Seconds into ``audio`` of the middle of the pause nearest ``target_s``.

    Pauses are the gaps between the voice detector's speech regions (at least
    :data:`MIN_PAUSE_S` long, else the longest gap); without any gap, the
    quietest 20 ms of the window.
    """
    n = int(audio.shape[0])
    if n < FRAME:
        return min(target_s, n / SAMPLE_RATE)
    regions = detect_speech(audio, VadOptions()).regions
    if not regions:
        return target_s
    edges = [0, *(x for r in regions for x in (r.start, r.end)), n]
    gaps = [(a, b) for a, b in zip(edges[::2], edges[1::2], strict=True) if b > a]
    if gaps:
        long = [g for g in gaps if g[1] - g[0] >= MIN_PAUSE_S * SAMPLE_RATE]
        if long:
            a, b = min(long, key=lambda g: abs((g[0] + g[1]) / 2 / SAMPLE_RATE - target_s))
        else:
            a, b = max(gaps, key=lambda g: g[1] - g[0])
        return (a + b) // 2 / SAMPLE_RATE
    frames = audio[: n - n % FRAME].reshape(-1, FRAME)
    quiet = int(np.argmin(np.mean(frames.astype(np.float64) ** 2, axis=1)))
    return (quiet * FRAME + FRAME // 2) / SAMPLE_RATE
