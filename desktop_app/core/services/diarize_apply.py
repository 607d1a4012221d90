"""Writing speaker turns onto a recording's segments, as one undoable operation.

A diarization gives turns (who spoke when). On a recording with segments each
segment gets the speaker it overlaps most; a draft (``auto``) segment that
clearly holds two or more speakers is split where the speaker changes. On an
empty recording each turn becomes a new (empty-text) segment. A speaker a
person set (on an ``edited`` or ``approved`` segment) is never changed, and
such segments are never split; a person's segment without a speaker only gets
one filled in. Second speakers where two people speak at once (``overlaps``)
go to the overlap tier in the same operation (see :mod:`.diarize_overlap`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.core.project import Project
from desktop_app.core.services import revisions, tier_children
from desktop_app.core.services.diarize_overlap import write_overlaps
from desktop_app.core.services.segments import MIN_SEGMENT_MS, default_tier_id, split_text
from desktop_app.core.store.schema import Segment

MIN_PIECE_MS = 1_000  # a split leaves no piece (nor speaker run) shorter than this


@dataclass(frozen=True)
class SpeakerTurn:
    start_ms: int
    end_ms: int
    speaker_id: int


@dataclass(frozen=True)
class ApplyResult:
    operation_id: int | None  # None when nothing changed
    labelled: int = 0  # segments whose speaker was set
    split: int = 0  # segments split at a speaker change
    created: int = 0  # new segments (on a recording without any)
    kept: int = 0  # segments whose speaker a person set
    overlaps: int = 0  # second-speaker annotations written on the overlap tier


def speaker_runs(start: int, end: int, turns: list[SpeakerTurn]) -> list[tuple[int, int, int]]:
    """``(start, end, speaker)`` runs inside ``[start, end)``: the turns clipped to it,
    gaps between them cut in the middle, runs under :data:`MIN_PIECE_MS` folded
    into a neighbour."""
    inside = [
        (max(start, t.start_ms), min(end, t.end_ms), t.speaker_id)
        for t in turns
        if t.end_ms > start and t.start_ms < end
    ]
    if not inside:
        return []
    runs: list[list[int]] = []
    for a, b, spk in inside:
        if runs and runs[-1][2] == spk:
            runs[-1][1] = b
        else:
            runs.append([a, b, spk])
    runs[0][0] = start
    runs[-1][1] = end
    for left, right in itertools.pairwise(runs):
        mid = (left[1] + right[0]) // 2
        left[1], right[0] = mid, mid
    while len(runs) > 1:
        i = min(range(len(runs)), key=lambda k: runs[k][1] - runs[k][0])
        if runs[i][1] - runs[i][0] >= MIN_PIECE_MS:
            break
        last = i == len(runs) - 1
        j = i - 1 if last or (i > 0 and _len(runs[i - 1]) >= _len(runs[i + 1])) else i + 1
        lo, hi = min(i, j), max(i, j)
        runs[lo] = [runs[lo][0], runs[hi][1], runs[j][2]]
        del runs[hi]
        merged: list[list[int]] = []
        for r in runs:
            if merged and merged[-1][2] == r[2]:
                merged[-1][1] = r[1]
            else:
                merged.append(r)
        runs = merged
    return [(a, b, s) for a, b, s in runs]


def _len(run: list[int]) -> int:
    return run[1] - run[0]


def dominant(start: int, end: int, turns: list[SpeakerTurn]) -> int | None:
    overlap: dict[int, int] = {}
    for t in turns:
        o = min(end, t.end_ms) - max(start, t.start_ms)
        if o > 0:
            overlap[t.speaker_id] = overlap.get(t.speaker_id, 0) + o
    return max(overlap, key=lambda k: overlap[k]) if overlap else None


def apply_turns(
    project: Project,
    recording_id: int,
    turns: list[SpeakerTurn],
    *,
    tier_id: int | None = None,
    model_id: str = "",
    split: bool = True,
    overlaps: list[SpeakerTurn] | None = None,
) -> ApplyResult:
    """Label (or create) the recording's segments from ``turns`` (one speaker at a time)
    and, when ``overlaps`` is given, write the second speakers to the overlap tier:
    one undo step."""
    turns = sorted(turns, key=lambda t: t.start_ms)
    with project.unit() as s:
        tier = tier_id if tier_id is not None else default_tier_id(s)
        segs = list(
            s.scalars(
                select(Segment)
                .where(
                    Segment.recording_id == recording_id,
                    Segment.tier_id == tier,
                    Segment.deleted.is_(False),
                )
                .order_by(Segment.start_ms, Segment.id)
            )
        )
        rec = revisions.Recorder(
            s, "diarize", "Identify speakers", source="model", source_detail=model_id or None
        )
        if not segs:
            result = _create(s, rec, recording_id, tier, turns)
        else:
            result = _label(s, rec, segs, turns, split)
        n_overlaps = 0
        if overlaps is not None:
            n_overlaps = write_overlaps(s, rec, recording_id, overlaps)[0]
        if not rec.touched:
            s.flush()
            s.delete(rec.op)  # nothing changed: no empty undo step
            return ApplyResult(None, kept=result.kept)
        op = rec.result()
        return ApplyResult(
            op.operation_id, result.labelled, result.split, result.created, result.kept, n_overlaps
        )


def _create(
    s: Session, rec: revisions.Recorder, recording_id: int, tier: int, turns: list[SpeakerTurn]
) -> ApplyResult:
    values = [
        {
            "recording_id": recording_id,
            "tier_id": tier,
            "start_ms": t.start_ms,
            "end_ms": t.end_ms,
            "speaker_id": t.speaker_id,
        }
        for t in turns
        if t.end_ms - t.start_ms >= MIN_SEGMENT_MS
    ]
    rec.create_many(values)
    return ApplyResult(None, created=len(values))


def _label(
    s: Session,
    rec: revisions.Recorder,
    segs: list[Segment],
    turns: list[SpeakerTurn],
    split: bool,
) -> ApplyResult:
    labelled = splits = kept = 0
    for seg in segs:
        human = seg.status != "auto"
        if human and seg.speaker_id is not None:
            kept += 1
            continue
        runs = speaker_runs(seg.start_ms, seg.end_ms, turns) if split and not human else []
        if len(runs) > 1:
            _split(rec, seg, runs)
            splits += 1
            continue
        speaker = dominant(seg.start_ms, seg.end_ms, turns)
        if speaker is not None and speaker != seg.speaker_id:
            rec.change(seg, speaker_id=speaker)
            labelled += 1
    return ApplyResult(None, labelled=labelled, split=splits, kept=kept)


def _split(rec: revisions.Recorder, seg: Segment, runs: list[tuple[int, int, int]]) -> None:
    """Cut ``seg`` into one segment per run (the first keeps its id), text and words with them.

    With word times each word goes to the run holding its middle; without them the
    text is cut at the word boundaries nearest to the run boundaries.
    """
    texts: list[str] = []
    words_per: list[list | None] = []
    words = seg.words or None
    if words:
        for a, b, _ in runs:
            mine = [w for w in words if a <= 500 * (w.get("s", 0) + w.get("e", 0)) < b]
            words_per.append(mine)
            texts.append(" ".join(str(w.get("w", "")).strip() for w in mine).strip())
    else:
        rest = seg.text
        for i, (_, b, _) in enumerate(runs):
            if i == len(runs) - 1:
                texts.append(rest)
            else:
                left, rest = split_text(rest, (b - runs[i][0]) / max(1, seg.end_ms - runs[i][0]))
                texts.append(left)
            words_per.append(None)
    old = (seg.start_ms, seg.end_ms)
    rec.change(seg, end_ms=runs[0][1], text=texts[0], words=words_per[0], speaker_id=runs[0][2])
    pieces = []
    for (start, end, spk), text, piece_words in zip(
        runs[1:], texts[1:], words_per[1:], strict=True
    ):
        piece = rec.create(
            Segment(
                recording_id=seg.recording_id,
                tier_id=seg.tier_id,
                start_ms=start,
                end_ms=end,
                speaker_id=spk,
                text=text,
                language=seg.language,
                status=seg.status,
                confidence=seg.confidence,
                model_version_id=seg.model_version_id,
                words=piece_words,
            )
        )
        pieces.append(piece)
    tier_children.on_pieces(rec.session, rec, seg, pieces, old)  # child tiers follow
