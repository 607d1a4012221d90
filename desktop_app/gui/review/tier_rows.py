"""What the stacked-tier view shows, without Qt: one row of boxes per tier.

Tiers are ordered as a tree (each child tier right under its parent, indented
by its depth). Each row keeps its boxes sorted by start time, with a running
maximum of their ends, so the boxes inside a time range are found by binary
search however many the row holds. On a child tier, every parent annotation
without a child shows an empty *placeholder* box at the parent's time (ready
to type: typing there creates the child annotation).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate

import numpy as np

from desktop_app.core.services.dto import SegmentInfo, TierInfo

CONSTRAINT_LABELS = {
    "symbolic_association": "symbolic association",
    "symbolic_subdivision": "symbolic subdivision",
    "included_in": "included in",
    "time_subdivision": "time subdivision",
}


@dataclass(frozen=True)
class Box:
    """One annotation drawn on a row (``segment_id`` None: a placeholder under
    the parent annotation ``parent_id``, not stored yet)."""

    start_ms: int
    end_ms: int
    text: str
    status: str
    segment_id: int | None
    parent_id: int | None = None

    @property
    def key(self) -> tuple[str, int]:
        """What identifies the box across reloads."""
        if self.segment_id is not None:
            return ("segment", self.segment_id)
        return ("placeholder", self.parent_id or 0)


@dataclass
class TierRow:
    tier: TierInfo
    depth: int
    boxes: list[Box] = field(default_factory=list)
    collapsed: bool = False
    starts: list[int] = field(default_factory=list)
    reach: list[int] = field(default_factory=list)  # running max of the ends
    stored: int = 0  # boxes that are annotations (not placeholders)
    _arrays: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    def index(self) -> None:
        self.boxes.sort(key=lambda b: (b.start_ms, b.end_ms))
        self.starts = [b.start_ms for b in self.boxes]
        self.reach = list(accumulate((b.end_ms for b in self.boxes), max))
        self.stored = sum(1 for b in self.boxes if b.segment_id is not None)
        self._arrays = None

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Starts and running-max ends as arrays (made on first use)."""
        if self._arrays is None or len(self._arrays[0]) != len(self.starts):
            self._arrays = (
                np.asarray(self.starts, dtype=np.float64),
                np.asarray(self.reach, dtype=np.float64),
            )
        return self._arrays

    @property
    def is_child(self) -> bool:
        return self.tier.parent_id is not None

    def label(self, parent_name: str | None = None) -> str:
        if not self.is_child:
            return self.tier.name
        kind = CONSTRAINT_LABELS.get(self.tier.constraint or "", "child tier")
        under = f" of {parent_name}" if parent_name else ""
        return f"{self.tier.name}  ·  {kind}{under}"

    def visible_range(self, t0_ms: float, t1_ms: float) -> tuple[int, int]:
        """Indices ``[i, j)`` of the boxes that overlap ``(t0_ms, t1_ms)``."""
        i = bisect_right(self.reach, t0_ms)
        j = bisect_left(self.starts, t1_ms)
        return i, max(i, j)

    def box_at(self, ms: float) -> int:
        """Index of a box containing ``ms`` (the last to start), or -1."""
        j = bisect_right(self.starts, ms) - 1
        while j >= 0 and self.reach[j] > ms:
            if self.boxes[j].end_ms > ms:
                return j
            j -= 1
        return -1

    def nearest(self, ms: float) -> int:
        """The box containing ``ms``, else the one nearest to it; -1 if none."""
        if not self.boxes:
            return -1
        hit = self.box_at(ms)
        if hit >= 0:
            return hit
        j = bisect_right(self.starts, ms)
        candidates = [k for k in (j - 1, j) if 0 <= k < len(self.boxes)]
        return min(candidates, key=lambda k: _distance(self.boxes[k], ms))

    def find(self, key: tuple[str, int] | None) -> int:
        if key is None:
            return -1
        return next((k for k, b in enumerate(self.boxes) if b.key == key), -1)


def _distance(box: Box, ms: float) -> float:
    if box.start_ms <= ms < box.end_ms:
        return 0.0
    return min(abs(box.start_ms - ms), abs(box.end_ms - ms))


def tier_order(tiers: Sequence[TierInfo]) -> list[tuple[TierInfo, int]]:
    """Tiers depth first (children right after their parent), with their depth.
    A tier whose parent is missing (or a cycle) shows at the top level."""
    ids = {t.id for t in tiers}
    children: dict[int | None, list[TierInfo]] = {}
    for t in tiers:
        parent = t.parent_id if t.parent_id in ids and t.parent_id != t.id else None
        children.setdefault(parent, []).append(t)
    out: list[tuple[TierInfo, int]] = []
    seen: set[int] = set()

    def walk(parent: int | None, depth: int) -> None:
        for t in children.get(parent, []):
            if t.id not in seen:
                seen.add(t.id)
                out.append((t, depth))
                walk(t.id, depth + 1)

    walk(None, 0)
    for t in tiers:  # cycles: nothing reached them from the top
        if t.id not in seen:
            seen.add(t.id)
            out.append((t, 0))
            walk(t.id, 1)
    return out


def _box(seg: SegmentInfo) -> Box:
    return Box(
        seg.start_ms, seg.end_ms, seg.text, seg.status, seg.id, getattr(seg, "parent_id", None)
    )


def build_rows(
    tiers: Sequence[TierInfo],
    segments: Iterable[SegmentInfo],
    collapsed: Iterable[int] = (),
) -> list[TierRow]:
    """The rows for one recording: ``segments`` of all its tiers."""
    by_tier: dict[int, list[SegmentInfo]] = {}
    for seg in segments:
        by_tier.setdefault(seg.tier_id, []).append(seg)
    folded = set(collapsed)
    rows = []
    for tier, depth in tier_order(tiers):
        row = TierRow(tier, depth, [_box(s) for s in by_tier.get(tier.id, [])])
        row.collapsed = tier.id in folded
        if tier.parent_id is not None:
            row.boxes += _placeholders(by_tier.get(tier.parent_id, []), row.boxes)
        row.index()
        rows.append(row)
    return rows


def _placeholders(parents: list[SegmentInfo], children: list[Box]) -> list[Box]:
    """An empty box under each parent annotation that has no child yet. A child
    belongs to a parent by its ``parent_id`` where stored, else by lying inside it."""
    linked = {b.parent_id for b in children if b.parent_id is not None}
    spans = sorted((b.start_ms, b.end_ms) for b in children if b.parent_id is None)
    starts = [s for s, _ in spans]
    out = []
    for p in parents:
        if p.id in linked:
            continue
        k = bisect_left(starts, p.start_ms)
        if k < len(spans) and spans[k][0] < p.end_ms and spans[k][1] <= p.end_ms:
            continue  # an unlinked child inside it
        out.append(Box(p.start_ms, p.end_ms, "", "placeholder", None, p.id))
    return out
