"""Choosing what an export contains: filters over the project's segments."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.core.errors import InteropError
from desktop_app.core.interop.model import ExportRecording, ExportTier, Item, Vocabulary
from desktop_app.core.langtag import tags_for
from desktop_app.core.project import Project
from desktop_app.core.services.participants import METADATA_FIELDS
from desktop_app.core.store.schema import (
    SEGMENT_STATUSES,
    ControlledVocabulary,
    Recording,
    Segment,
    Speaker,
    Tier,
)

UnitProvider = Callable[[int], Sequence[int] | None]
"""Segment id → its unit sequence, or None (set by the unit-LM side when it has them)."""


@dataclass(frozen=True)
class ExportFilter:
    """Which segments to export; ``None`` (or empty) means no restriction.

    Names, not ids, so the same filter works from the CLI and on another
    project. ``languages`` may contain ``""`` for segments without a language.
    """

    recordings: frozenset[int] | None = None
    statuses: frozenset[str] | None = None
    speakers: frozenset[str] | None = None
    tiers: frozenset[str] | None = None
    languages: frozenset[str] | None = None
    kinds: frozenset[str] | None = None  # tier kinds (training sets: only transcriptions)
    skip_empty: bool = True
    include_edited: bool = False  # datasets: add edited (not yet approved) segments
    include_drafts: bool = False  # datasets: add model drafts too (every status)

    @classmethod
    def approved_only(cls) -> ExportFilter:
        return cls(statuses=frozenset({"approved"}))

    def for_training(self) -> ExportFilter:
        """This filter for a training set: transcription tiers only, unless tiers are named
        (translations, glosses or comments are not what was said)."""
        if self.tiers or self.kinds:
            return self
        return replace(self, kinds=frozenset({"transcription"}))

    def reviewed_statuses(self) -> frozenset[str]:
        """The statuses a dataset holds when none are named: what a person checked."""
        if self.include_drafts:
            return frozenset(SEGMENT_STATUSES)
        return frozenset({"approved", *(("edited",) if self.include_edited else ())})

    def for_dataset(self) -> ExportFilter:
        """The safe default of a dataset: transcription tiers (unless tiers are named)
        and segments a person has checked (unless statuses are named or drafts asked)."""
        flt = self.for_training()
        if flt.statuses:
            return flt
        return replace(flt, statuses=self.reviewed_statuses())

    def check(self) -> None:
        unknown = set(self.statuses or ()) - set(SEGMENT_STATUSES)
        if unknown:
            raise InteropError(
                f"Unknown status {', '.join(sorted(unknown))} "
                f"(use one of {', '.join(SEGMENT_STATUSES)})."
            )


def gather(
    project: Project, flt: ExportFilter, units: UnitProvider | None = None
) -> list[ExportRecording]:
    """The recordings and their segments that ``flt`` selects, in time order."""
    flt.check()
    with project.unit() as s:
        known_tiers = set(s.scalars(select(Tier.name)))
        known_speakers = set(s.scalars(select(Speaker.name)))
        for what, wanted, known in (
            ("tier", flt.tiers, known_tiers),
            ("speaker", flt.speakers, known_speakers),
        ):
            missing = set(wanted or ()) - known
            if missing:
                raise InteropError(
                    f"The project has no {what} named {', '.join(sorted(map(repr, missing)))}."
                )
        q = (
            select(Segment, Tier.name, Tier.kind, Speaker.name)
            .join(Tier, Tier.id == Segment.tier_id)
            .outerjoin(Speaker, Speaker.id == Segment.speaker_id)
            .where(Segment.deleted.is_(False))
        )
        if flt.recordings:
            q = q.where(Segment.recording_id.in_(flt.recordings))
        if flt.statuses:
            q = q.where(Segment.status.in_(flt.statuses))
        if flt.tiers:
            q = q.where(Tier.name.in_(flt.tiers))
        if flt.kinds:
            q = q.where(Tier.kind.in_(flt.kinds))
        if flt.speakers:
            q = q.where(Speaker.name.in_(flt.speakers))
        by_rec: dict[int, list[Item]] = {}
        for seg, tier, kind, speaker in s.execute(q.order_by(Segment.start_ms, Segment.id)):
            if flt.languages and (seg.language or "") not in flt.languages:
                continue
            if flt.skip_empty and not seg.text.strip():
                continue
            seq = units(seg.id) if units is not None else None
            by_rec.setdefault(seg.recording_id, []).append(
                Item(
                    start_ms=seg.start_ms,
                    end_ms=seg.end_ms,
                    text=seg.text,
                    speaker=speaker,
                    tier=tier,
                    tier_kind=kind,
                    language=seg.language,
                    status=seg.status,
                    words=list(seg.words) if seg.words else None,
                    confidence=seg.confidence,
                    segment_id=seg.id,
                    units=tuple(int(u) for u in seq) if seq is not None else None,
                    word_langs=_word_langs(seg),
                    parent_segment_id=seg.parent_id,
                    ordinal=seg.ordinal,
                )
            )
        people = _participants(s, {i.speaker for items in by_rec.values() for i in items})
        rq = select(Recording).order_by(Recording.id)
        if flt.recordings:
            missing_ids = set(flt.recordings) - set(
                s.scalars(select(Recording.id).where(Recording.id.in_(flt.recordings)))
            )
            if missing_ids:
                raise InteropError(
                    f"There is no recording #{', #'.join(map(str, sorted(missing_ids)))}."
                )
            rq = rq.where(Recording.id.in_(flt.recordings))
        tiers, vocabularies = _tiers(s)
        return [
            ExportRecording(
                id=r.id,
                title=r.title,
                original_filename=r.original_filename,
                audio_path=project.abspath(r.audio_path),
                model_audio_path=project.abspath(r.model_audio_path),
                duration_ms=r.duration_ms,
                languages=r.languages,
                items=by_rec.get(r.id, []),
                participants={
                    name: people[name]
                    for name in sorted({i.speaker for i in by_rec.get(r.id, []) if i.speaker})
                },
                tiers=tiers,
                vocabularies=vocabularies,
            )
            for r in s.scalars(rq)
        ]


def _participants(s: Session, names: set[str | None]) -> dict[str, dict[str, Any]]:
    """Participant metadata of the named speakers (name → fields)."""
    wanted = {n for n in names if n}
    if not wanted:
        return {}
    rows = s.scalars(select(Speaker).where(Speaker.name.in_(wanted)))
    return {sp.name: {k: getattr(sp, k) for k in METADATA_FIELDS} for sp in rows}


def _word_langs(seg: Segment) -> list[dict[str, str]] | None:
    """The segment's stored word language tags, re-aligned if its text changed since."""
    if not seg.word_langs:
        return None
    return tags_for(seg.word_langs, seg.text, seg.language, seg.words) or None


def _tiers(s: Session) -> tuple[tuple[ExportTier, ...], tuple[Vocabulary, ...]]:
    """The project's tier hierarchy and the vocabularies its tiers use."""
    rows = list(s.scalars(select(Tier).order_by(Tier.position, Tier.id)))
    names = {t.id: t.name for t in rows}
    cvs = {
        cv.id: cv
        for cv in s.scalars(
            select(ControlledVocabulary).where(
                ControlledVocabulary.id.in_({t.cv_id for t in rows if t.cv_id is not None})
            )
        )
    }
    tiers = tuple(
        ExportTier(
            name=t.name,
            kind=t.kind,
            parent=names.get(t.parent_id) if t.parent_id is not None else None,
            constraint=t.constraint if t.parent_id is not None else None,
            vocabulary=cvs[t.cv_id].name if t.cv_id in cvs else None,
            language=t.language,
        )
        for t in rows
    )
    vocabularies = tuple(
        Vocabulary(
            cv.name, cv.description or "", tuple((e.value, e.description or "") for e in cv.entries)
        )
        for cv in cvs.values()
    )
    return tiers, vocabularies
