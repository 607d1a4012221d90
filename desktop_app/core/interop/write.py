"""Writing planned segments into the project: one transaction, in bulk, with progress.

The segments go in in batches of :data:`BATCH` rows (a multi-row INSERT for
the segments and one for their revisions), so 100,000 segments take seconds
and memory stays bounded; between batches the job's progress is reported and
a cancel honoured. Everything is one transaction: a cancel, a locked
database or a full disk rolls it all back and the user gets a message (the
project is left as it was).

Child tiers are written after their parents (a batch never holds a child
before its parent), so each child segment's ``parent_id`` is known when it
is inserted. A new tier takes its parent, constraint and controlled
vocabulary from the file; vocabularies the file brings are added to the
project (by name: an existing one gains the values it lacks). Parent segments
on a tier with association child tiers that the file does not fill get the
empty child annotations a new segment gets.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import DatabaseError, IntegrityError
from sqlalchemy.orm import Session

from desktop_app.core.errors import (
    JazbaError,
    ProjectBusyError,
    ProjectError,
    ProjectReadOnlyError,
    StorageError,
)
from desktop_app.core.interop.checks import ImportOptions, Planned
from desktop_app.core.interop.model import Vocabulary
from desktop_app.core.jobs import Progress
from desktop_app.core.project import Project
from desktop_app.core.services import revisions
from desktop_app.core.services import tier_children as tc
from desktop_app.core.services.participants import METADATA_FIELDS, check_fields
from desktop_app.core.store.schema import ControlledVocabulary, CvEntry, Segment, Speaker, Tier

BATCH = 2_000


@dataclass(frozen=True)
class Written:
    operation_id: int
    replaced: int
    tiers_created: tuple[str, ...]
    speakers_created: tuple[str, ...]
    warnings: tuple[str, ...] = ()


@contextlib.contextmanager
def database_errors(file_name: str) -> Iterator[None]:
    """A locked, full or read-only project database as a message, not a traceback."""
    nothing = f"Nothing from '{file_name}' was imported; the project is as it was."
    try:
        yield
    except (ProjectBusyError, ProjectReadOnlyError) as exc:  # worded by the project already
        raise type(exc)(f"{exc} {nothing}") from exc
    except (IntegrityError, sqlite3.IntegrityError):
        raise  # a constraint the checks before writing should have kept: a bug, not the disk
    except (DatabaseError, sqlite3.DatabaseError) as exc:  # OperationalError is one too
        orig = getattr(exc, "orig", None)
        detail = str(orig if orig is not None else exc).lower()
        if "locked" in detail or "busy" in detail:
            raise ProjectError(
                f"The project is busy: another Jazba window or command is writing to it. "
                f"{nothing} Try again when it has finished."
            ) from exc
        if "full" in detail:
            raise StorageError(
                f"The disk is full: the project database cannot grow. {nothing} "
                "Free some space and import again."
            ) from exc
        if "readonly" in detail or "read-only" in detail:
            raise StorageError(
                f"The project is read-only (a read-only folder or medium). {nothing}"
            ) from exc
        raise StorageError(
            f"The project database refused the import ({detail[:200]}). {nothing}"
        ) from exc


def write_planned(
    project: Project,
    file_name: str,
    planned: Sequence[tuple[int, Planned]],
    options: ImportOptions,
    state: Progress,
    progress: tuple[float, float] = (0.0, 1.0),
    vocabularies: Sequence[Vocabulary] = (),
    participants: Mapping[str, Mapping[str, str]] | None = None,
) -> Written:
    """Write ``(recording id, segment)`` pairs as one undoable import operation.

    A speaker the import creates takes the ``participants`` metadata the file
    holds for it (checked; a value that does not pass is left out); speakers
    already in the project keep theirs."""
    lo, hi = progress
    warnings: list[str] = []
    with database_errors(file_name), project.unit() as s:  # all of it or nothing
        tiers = {t.name: t for t in s.scalars(select(Tier))}
        speakers = {sp.name: sp for sp in s.scalars(select(Speaker))}
        new_tiers, new_speakers = [], []
        position = s.scalar(select(func.max(Tier.position))) or 0
        for _, seg in planned:
            if seg.tier not in tiers:
                position += 1
                tiers[seg.tier] = Tier(name=seg.tier, kind=seg.kind, position=position)
                s.add(tiers[seg.tier])
                new_tiers.append(seg.tier)
            if seg.speaker and seg.speaker not in speakers:
                metadata = _participant((participants or {}).get(seg.speaker, {}))
                speakers[seg.speaker] = Speaker(name=seg.speaker, **metadata)
                s.add(speakers[seg.speaker])
                new_speakers.append(seg.speaker)
        s.flush()
        cvs = _vocabularies(s, vocabularies, {seg.vocabulary for _, seg in planned})
        levels = _hierarchy(s, planned, tiers, set(new_tiers), cvs, warnings)
        speaker_ids = {name: _merged(s, sp).id for name, sp in speakers.items()}
        recorder = revisions.Recorder(s, "import", f"Import {file_name}", "import", file_name)
        replaced = 0
        if options.replace:
            for rid in sorted({rid for rid, _ in planned}):
                target_ids = {tiers[seg.tier].id for r, seg in planned if r == rid}
                old = s.scalars(
                    select(Segment).where(
                        Segment.recording_id == rid,
                        Segment.tier_id.in_(target_ids),
                        Segment.deleted.is_(False),
                    )
                )
                replaced += recorder.change_many(list(old), deleted=True)
        total = max(1, len(planned))
        ids: dict[tuple[int, str], int] = {}
        orphans = 0
        done = 0
        for batch in (lv[k : k + BATCH] for lv in levels for k in range(0, len(lv), BATCH)):
            state.set_progress(lo + (hi - lo) * done / total)
            done += len(batch)
            parents = [
                ids.get((rid, seg.parent_ref)) if seg.parent_ref else None for rid, seg in batch
            ]
            orphans += sum(
                1
                for (_, seg), p in zip(batch, parents, strict=True)
                if seg.parent_ref and p is None
            )
            made = recorder.create_many(
                [
                    {
                        "recording_id": rid,
                        "tier_id": tiers[seg.tier].id,
                        "start_ms": seg.start_ms,
                        "end_ms": seg.end_ms,
                        "speaker_id": speaker_ids[seg.speaker] if seg.speaker else None,
                        "text": seg.text,
                        "language": seg.language,
                        "status": seg.status,
                        "words": seg.words,
                        "word_langs": seg.word_langs,
                        "parent_id": parent,
                        "ordinal": seg.ordinal,
                    }
                    for (rid, seg), parent in zip(batch, parents, strict=True)
                ]
            )
            for (rid, seg), sid in zip(batch, made, strict=True):
                if seg.ref:
                    ids[(rid, seg.ref)] = sid
        if orphans:
            warnings.append(
                f"{orphans} annotation(s) whose parent annotation was not imported were "
                "imported without a parent."
            )
        rids = sorted({rid for rid, _ in planned})
        for tier in {tiers[seg.tier] for _, seg in planned}:
            for child in tc.child_tiers(s, tier.id):
                if child.constraint == tc.ASSOCIATION:
                    tc.fill_association(s, recorder, tier.id, child, rids)
        result = recorder.result()
    return Written(
        result.operation_id, replaced, tuple(new_tiers), tuple(new_speakers), tuple(warnings)
    )


def _vocabularies(
    s: Session, vocabularies: Sequence[Vocabulary], used: set[str | None]
) -> dict[str, int]:
    """The file's vocabularies that imported tiers use, added to the project; name -> id."""
    out: dict[str, int] = {}
    for voc in vocabularies:
        if voc.name not in used:
            continue
        cv = s.scalar(select(ControlledVocabulary).where(ControlledVocabulary.name == voc.name))
        if cv is None:
            cv = ControlledVocabulary(name=voc.name, description=voc.description)
            s.add(cv)
            s.flush()
        have = set(s.scalars(select(CvEntry.value).where(CvEntry.cv_id == cv.id)))
        position = s.scalar(select(func.max(CvEntry.position)).where(CvEntry.cv_id == cv.id)) or 0
        for value, description in voc.entries:
            if value not in have:
                position += 1
                s.add(CvEntry(cv_id=cv.id, value=value, description=description, position=position))
                have.add(value)
        out[voc.name] = cv.id
    s.flush()
    return out


def _hierarchy(
    s: Session,
    planned: Sequence[tuple[int, Planned]],
    tiers: dict[str, Tier],
    new: set[str],
    cvs: dict[str, int],
    warnings: list[str],
) -> list[list[tuple[int, Planned]]]:
    """Give new tiers their parent, constraint and vocabulary; keep a parent link only
    where the project tier hangs under the same tier. Returns the segments by depth
    of their tier (parents before children: a child's parent is written first)."""
    seen: set[str] = set()
    for _, seg in planned:
        if seg.tier in seen:
            continue
        seen.add(seg.tier)
        tier = tiers[seg.tier]
        if seg.tier in new:
            if seg.parent_tier in tiers:
                tier.parent_id = tiers[seg.parent_tier].id
                tier.constraint = seg.constraint
            if seg.vocabulary in cvs:
                tier.cv_id = cvs[seg.vocabulary]
        elif seg.vocabulary in cvs and tier.cv_id is None:
            tier.cv_id = cvs[seg.vocabulary]
    s.flush()
    tc.forget_tiers(s)
    by_id = {t.id: t for t in s.scalars(select(Tier))}
    unlinked: set[str] = set()
    out = []
    for rid, seg in planned:
        tier = tiers[seg.tier]
        parent = by_id.get(tier.parent_id) if tier.parent_id is not None else None
        if seg.parent_tier and (parent is None or parent.name != seg.parent_tier):
            unlinked.add(seg.tier)
            seg = replace(seg, parent_ref=None, ordinal=None)
        out.append((rid, seg))
    for name in sorted(unlinked):
        warnings.append(
            f"The project's tier '{name}' does not hang under the tier the file's parent goes "
            "to; its annotations were imported without their parent links."
        )

    def depth(tier: Tier) -> int:
        d, up = 0, tier.parent_id
        while up is not None and up in by_id and d < len(by_id):
            d, up = d + 1, by_id[up].parent_id
        return d

    depths = {name: depth(t) for name, t in tiers.items()}
    levels: dict[int, list[tuple[int, Planned]]] = {}
    for pair in out:
        levels.setdefault(depths[pair[1].tier], []).append(pair)
    return [levels[d] for d in sorted(levels)]


def _participant(fields: Mapping[str, str]) -> dict[str, Any]:
    """The metadata fields that pass the same checks as typed ones (others are left out)."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key in METADATA_FIELDS:
            with contextlib.suppress(JazbaError):
                out.update(check_fields({key: value}).values)
    return out


def _merged(session: Session, speaker: Speaker) -> Speaker:
    """The speaker that ``speaker`` was merged into (itself if never merged)."""
    seen = {speaker.id}
    while speaker.merged_into_id is not None and speaker.merged_into_id not in seen:
        nxt = session.get(Speaker, speaker.merged_into_id)
        if nxt is None:
            break
        seen.add(nxt.id)
        speaker = nxt
    return speaker
