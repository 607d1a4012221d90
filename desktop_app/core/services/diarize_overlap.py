"""Overlapped speech in a project: an "Overlap" tier of second speakers.

A diarization with an overlap detector gives turns that overlap: where two
people speak at once, the main speaker's turn and a second speaker's turn.
The transcript keeps one speaker per segment (what a segment's text is, is
what its speaker said); the second speakers go to an independent tier named
:data:`OVERLAP_TIER`, one annotation per overlap, its speaker the second
speaker and its text that speaker's name, so the overlap shows as a box
under the waveform. Exports carry it as they carry any tier: RTTM writes both
speakers' turns (so they overlap), ELAN a tier ``Overlap@<speaker>`` per
second speaker.

The annotations are written in the diarization's operation (one undo step).
A re-run replaces the earlier run's overlap annotations of the recording
(those still ``auto``); an annotation a person edited or approved is kept, and
no new one is laid over it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop_app.core.services import revisions
from desktop_app.core.services.segments import MIN_SEGMENT_MS
from desktop_app.core.store.schema import Segment, Speaker, Tier

OVERLAP_TIER = "Overlap"
OVERLAP_KIND = "other"


class Turn(Protocol):
    start_ms: int
    end_ms: int
    speaker_id: int


def overlap_tier(s: Session) -> Tier:
    """The project's overlap tier, made when first needed (an independent tier)."""
    tier = s.scalar(select(Tier).where(Tier.name == OVERLAP_TIER))
    if tier is None:
        position = (s.scalar(select(func.max(Tier.position))) or 0) + 1
        tier = Tier(name=OVERLAP_TIER, kind=OVERLAP_KIND, position=position)
        s.add(tier)
        s.flush()
    return tier


def write_overlaps(
    s: Session, rec: revisions.Recorder, recording_id: int, overlaps: Sequence[Turn]
) -> tuple[int, int]:
    """Replace the recording's automatic overlap annotations with ``overlaps``.

    Returns ``(written, kept)``: new annotations, and annotations a person set
    that were left as they are."""
    tier = overlap_tier(s)
    existing = list(
        s.scalars(
            select(Segment).where(
                Segment.recording_id == recording_id,
                Segment.tier_id == tier.id,
                Segment.deleted.is_(False),
            )
        )
    )
    people = [seg for seg in existing if seg.status != "auto"]
    wanted = {
        (t.start_ms, t.end_ms, t.speaker_id)
        for t in overlaps
        if t.end_ms - t.start_ms >= MIN_SEGMENT_MS
        and not any(p.start_ms < t.end_ms and t.start_ms < p.end_ms for p in people)
    }  # where a person's annotation is, it wins
    for seg in existing:
        key = (seg.start_ms, seg.end_ms, seg.speaker_id)
        if seg.status == "auto" and key in wanted:
            wanted.discard(key)  # the same as the last run found: left alone
        elif seg.status == "auto":
            rec.change(seg, deleted=True)
    names = {i: n for i, n in s.execute(select(Speaker.id, Speaker.name))}
    values = []
    for start, end, speaker in sorted(wanted):
        values.append(
            {
                "recording_id": recording_id,
                "tier_id": tier.id,
                "start_ms": start,
                "end_ms": end,
                "speaker_id": speaker,
                "text": names.get(speaker, ""),
            }
        )
    rec.create_many(values)
    return len(values), len(people)
