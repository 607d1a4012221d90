"""Writing planned segments into the project: one transaction, in bulk, with progress.

The segments go in in batches of :data:`BATCH` rows (a multi-row INSERT for
the segments and one for their revisions), so 100,000 segments take seconds
and memory stays bounded; between batches the job's progress is reported and
a cancel honoured. Everything is one transaction: a cancel, a locked
database or a full disk rolls it all back and the user gets a message (the
project is left as it was).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import DatabaseError, IntegrityError
from sqlalchemy.orm import Session

from desktop_app.core.errors import (
    ProjectBusyError,
    ProjectError,
    ProjectReadOnlyError,
    StorageError,
)
from desktop_app.core.interop.checks import ImportOptions, Planned
from desktop_app.core.jobs import Progress
from desktop_app.core.project import Project
from desktop_app.core.services import revisions
from desktop_app.core.store.schema import Segment, Speaker, Tier

BATCH = 2_000


@dataclass(frozen=True)
class Written:
    operation_id: int
    replaced: int
    tiers_created: tuple[str, ...]
    speakers_created: tuple[str, ...]


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
) -> Written:
    """Write ``(recording id, segment)`` pairs as one undoable import operation."""
    lo, hi = progress
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
                speakers[seg.speaker] = Speaker(name=seg.speaker)
                s.add(speakers[seg.speaker])
                new_speakers.append(seg.speaker)
        s.flush()
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
        for first in range(0, len(planned), BATCH):
            state.set_progress(lo + (hi - lo) * first / total)
            recorder.create_many(
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
                    }
                    for rid, seg in planned[first : first + BATCH]
                ]
            )
        result = recorder.result()
    return Written(result.operation_id, replaced, tuple(new_tiers), tuple(new_speakers))


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
