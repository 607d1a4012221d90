"""Laying out a recording's tiers for ELAN and Praat: parents first, children beside them.

An independent tier becomes one file tier per speaker (``tier@speaker``, with
overflow tiers ``~2``… where its segments overlap, see
:func:`~desktop_app.core.interop.model.lay_out_tracks`). A child tier becomes
one file tier per parent file tier: ``translation@Aigerim`` under
``transcription@Aigerim`` (and ``translation@Aigerim~2`` under its ``~2``),
named after the parent's speaker, so ELAN shows each participant's
translation under that participant's transcription.

A child tier is written as a child only when every exported annotation of it
has its parent among the exported ones (a filter may leave parents out: by
status, speaker or tier); otherwise it is written flat, as an independent
time-aligned tier, so nothing is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from desktop_app.core.interop.model import (
    ExportRecording,
    ExportTier,
    Item,
    base_track,
    lay_out_tracks,
    track_name,
)


@dataclass
class Track:
    """One tier of the file."""

    name: str
    tier: ExportTier
    speaker: str | None
    parent: str | None = None  # the parent track's name (a child track)
    items: list[Item] = field(default_factory=list)

    @property
    def constraint(self) -> str | None:
        """The child's constraint; None for an independent (or flattened) track."""
        return self.tier.constraint if self.parent is not None else None


def plan_tracks(rec: ExportRecording) -> list[Track]:
    """The file's tiers for ``rec``, each parent before its children."""
    known = {t.name: t for t in rec.tiers}
    by_tier: dict[str, list[Item]] = {}
    for item in rec.items:
        by_tier.setdefault(item.tier, []).append(item)
    meta = {
        name: known.get(name) or ExportTier(name, items[0].tier_kind)
        for name, items in by_tier.items()
    }
    dependent = _dependent(meta, by_tier)
    flat = [i for name, items in by_tier.items() if name not in dependent for i in items]
    tracks: list[Track] = []
    track_of: dict[int, Track] = {}
    for name, items in lay_out_tracks(flat).items():
        track = Track(name, meta[items[0].tier], items[0].speaker, None, items)
        tracks.append(track)
        for item in items:
            if item.segment_id is not None:
                track_of[item.segment_id] = track
    for tier_name in _parents_first(dependent, meta):
        own: dict[str, Track] = {}
        for item in sorted(by_tier[tier_name], key=lambda i: (i.start_ms, i.ordinal or 0)):
            assert item.parent_segment_id is not None
            up = track_of[item.parent_segment_id]
            suffix = up.name[len(base_track(up.name)) :]
            name = track_name(tier_name, up.speaker) + suffix
            if name not in own:
                own[name] = Track(name, meta[tier_name], up.speaker, up.name)
                tracks.insert(tracks.index(up) + 1 + _after(tracks, up), own[name])
            own[name].items.append(item)
            if item.segment_id is not None:
                track_of[item.segment_id] = own[name]
    return tracks


def _after(tracks: list[Track], up: Track) -> int:
    """How many tracks already follow ``up`` as its descendants (keep siblings in order)."""
    names, k = {up.name}, tracks.index(up) + 1
    count = 0
    while k < len(tracks) and tracks[k].parent in names:
        names.add(tracks[k].name)
        count += 1
        k += 1
    return count


def _dependent(meta: dict[str, ExportTier], by_tier: dict[str, list[Item]]) -> set[str]:
    """The tiers that can be written as children: parent written and every parent present."""
    ids = {
        name: {i.segment_id for i in items if i.segment_id is not None}
        for name, items in by_tier.items()
    }
    out: set[str] = set()
    for name in _parents_first(set(meta), meta):
        tier = meta[name]
        parent = tier.parent
        if tier.constraint is None or parent is None or parent not in by_tier:
            continue
        if all(i.parent_segment_id in ids[parent] for i in by_tier[name]):
            out.add(name)
    return out


def _parents_first(names: set[str], meta: dict[str, ExportTier]) -> list[str]:
    def depth(name: str) -> int:
        d, seen = 0, {name}
        up = meta[name].parent
        while up in meta and up not in seen:
            seen.add(up)
            d += 1
            up = meta[up].parent
        return d

    return sorted(names, key=lambda n: (depth(n), n))
