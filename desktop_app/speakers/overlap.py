"""A second speaker where two people speak at once (numpy-free, on turns).

Clustering gives every moment one speaker. Where an overlap detector says two
people speak, the main speaker stays and the second is *the other speaker
whose turn is nearest in time* (Bullock, Bredin & Garcia-Perera, 2020,
"Overlap-aware diarization: resegmentation using neural end-to-end overlapped
speech detection", ICASSP): in a conversation an overlap is nearly always
someone cutting in or a speaker running on into the next turn, and both are
next to the overlap. Each overlap region is cut where the main speaker
changes, and each piece gets its own second speaker.
"""

from __future__ import annotations

import itertools

from desktop_app.speakers.cluster import Turn

MIN_PIECE_S = 0.05  # shorter pieces of an overlap region get no second speaker


def _gap(turn: Turn, start: float, end: float) -> float:
    """Seconds between ``turn`` and ``[start, end]`` (0 when they touch or overlap)."""
    return max(0.0, turn.start_s - end, start - turn.end_s)


def second_speakers(turns: list[Turn], overlaps: list[tuple[float, float]]) -> list[Turn]:
    """Turns of the second speaker in each overlap region (they overlap ``turns``)."""
    turns = sorted(turns, key=lambda t: t.start_s)
    out: list[Turn] = []
    for a, b in overlaps:
        for main in turns:
            start, end = max(a, main.start_s), min(b, main.end_s)
            if end - start < MIN_PIECE_S:
                continue
            others = [t for t in turns if t.label != main.label]
            if not others:
                continue
            # nearest in time; a tie goes to the turn that shares more of the region
            near = min(
                others,
                key=lambda t: (
                    _gap(t, start, end),
                    -(min(end, t.end_s) - max(start, t.start_s)),
                    t.start_s,
                ),
            )
            if out and out[-1].label == near.label and abs(out[-1].end_s - start) < 1e-6:
                out[-1] = Turn(out[-1].start_s, end, near.label)
            else:
                out.append(Turn(start, end, near.label))
    return out


def with_overlaps(turns: list[Turn], seconds: list[Turn]) -> list[Turn]:
    """All turns, sorted by start (they may overlap)."""
    return sorted([*turns, *seconds], key=lambda t: (t.start_s, t.end_s, t.label))


def regions_from_turns(turns: list[tuple[float, float, str]]) -> list[tuple[float, float]]:
    """Where two or more of the reference ``(start, end, speaker)`` turns overlap: an
    oracle overlap detector (the benchmark uses it to score the assignment alone)."""
    edges = sorted({x for a, b, _ in turns for x in (a, b)})
    out: list[tuple[float, float]] = []
    for lo, hi in itertools.pairwise(edges):
        mid = (lo + hi) / 2
        active = {who for a, b, who in turns if a <= mid < b}
        if len(active) >= 2:
            if out and abs(out[-1][1] - lo) < 1e-9:
                out[-1] = (out[-1][0], hi)
            else:
                out.append((lo, hi))
    return out
