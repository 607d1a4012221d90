"""Recordings: import audio into a project, list, update metadata, remove,
and who speaks in each (the ``recording_speakers`` table)."""

from __future__ import annotations

import logging
import shutil
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Protocol

from sqlalchemy import delete, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from desktop_app.core.audio.importer import ImportedAudio, import_audio, remove_imported
from desktop_app.core.dates import date_problem
from desktop_app.core.errors import AudioImportError, EditError, NotFoundError, StorageError
from desktop_app.core.jobs import JobState, Progress
from desktop_app.core.project import Project
from desktop_app.core.services.dto import RecordingInfo, SpeakerRef
from desktop_app.core.store.schema import Recording, RecordingSpeaker, Segment, Speaker, Tier

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordingMeta:
    """User-editable metadata of a recording (``None`` = leave unchanged/unset)."""

    title: str | None = None
    recorded_on: str | None = None
    place: str | None = None
    languages: str | None = None
    consent: str | None = None
    notes: str | None = None
    speaker_ids: tuple[int, ...] | None = None  # who speaks in it (replaces the list)

    def values(self) -> dict[str, str]:
        """The recording's own columns to set (not the speakers)."""
        return {
            f.name: v
            for f in fields(self)
            if f.name != "speaker_ids" and (v := getattr(self, f.name)) is not None
        }


def to_info(
    r: Recording,
    counts: dict[str, int] | None = None,
    speakers: Sequence[SpeakerRef] = (),
) -> RecordingInfo:
    return RecordingInfo(
        id=r.id,
        title=r.title,
        original_filename=r.original_filename,
        audio_path=r.audio_path,
        model_audio_path=r.model_audio_path,
        peaks_path=r.peaks_path,
        sha256=r.sha256,
        duration_ms=r.duration_ms,
        sample_rate=r.sample_rate,
        channels=r.channels,
        format=r.format,
        origin=r.origin,
        recorded_on=r.recorded_on,
        place=r.place,
        languages=r.languages,
        consent=r.consent,
        notes=r.notes,
        created_at=r.created_at,
        counts=counts or {},
        speakers=tuple(speakers),
    )


# -- telling recordings apart ------------------------------------------------------
class Titled(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def title(self) -> str: ...


def _title_key(title: str) -> str:
    return " ".join(title.split()).casefold()


def display_labels(recordings: Iterable[Titled]) -> dict[int, str]:
    """A label per recording id that tells it apart from every other one.

    A title no other recording has is its own label. Recordings sharing a title
    (three files called ``interview``; case and spacing ignored) are numbered in
    the order they were added: ``interview (1)``, ``interview (2)``, … A numbered
    label that is also another recording's own title gets the id as well
    (``interview (2) #7``). Everything that shows recordings to a user (the
    list, search hits, job names, the review queue, dialogs) uses these labels.
    """
    groups: dict[str, list[Titled]] = {}
    for r in recordings:
        groups.setdefault(_title_key(r.title), []).append(r)
    labels: dict[int, str] = {}
    for members in groups.values():
        if len(members) == 1:
            labels[members[0].id] = members[0].title
            continue
        for k, r in enumerate(sorted(members, key=lambda m: m.id), start=1):
            labels[r.id] = f"{r.title} ({k})"
    clashes = Counter(_title_key(label) for label in labels.values())
    for rid, label in labels.items():
        if clashes[_title_key(label)] > 1:
            labels[rid] = f"{label} #{rid}"
    return labels


def import_label(path: Path, batch: Sequence[Path]) -> str:
    """How an audio file being imported is named (e.g. in the Jobs panel): its
    file name, after its folder's (``day2/interview.wav``) when another file of
    ``batch`` has the same name."""
    same = [p for p in batch if p.name.casefold() == path.name.casefold()]
    return f"{path.parent.name}/{path.name}" if len(same) > 1 and path.parent.name else path.name


# -- who speaks in a recording ------------------------------------------------------
def _live_speakers(s: Session) -> tuple[dict[int, int], dict[int, str]]:
    """Every speaker id -> the live speaker it now is (merged ones followed to
    the speaker they were merged into), and the live speakers' names."""
    rows = s.execute(select(Speaker.id, Speaker.name, Speaker.merged_into_id)).all()
    into = {sid: merged for sid, _name, merged in rows}
    names = {sid: name for sid, name, merged in rows if merged is None}
    live: dict[int, int] = {}
    for sid in into:
        cur, hops = sid, 0
        while (nxt := into.get(cur)) is not None and hops <= len(into):  # hops: no loops
            cur, hops = nxt, hops + 1
        if cur in names:
            live[sid] = cur
    return live, names


def _speakers_of(s: Session, recording_ids: Iterable[int]) -> dict[int, list[SpeakerRef]]:
    ids = list(recording_ids)
    if not ids:
        return {}
    live, names = _live_speakers(s)
    out: dict[int, list[SpeakerRef]] = {}
    for rec_id, sid in s.execute(
        select(RecordingSpeaker.recording_id, RecordingSpeaker.speaker_id)
        .where(RecordingSpeaker.recording_id.in_(ids))
        .order_by(RecordingSpeaker.recording_id, RecordingSpeaker.position)
    ):
        target = live.get(sid)
        refs = out.setdefault(rec_id, [])
        if target is not None and all(r.id != target for r in refs):
            refs.append(SpeakerRef(target, names[target]))
    return out


def _replace_speakers(s: Session, recording_id: int, speaker_ids: Iterable[int]) -> None:
    """Set the speakers of a recording: merged ones become the speaker they
    were merged into, unknown ids are ignored, duplicates dropped."""
    live, _names = _live_speakers(s)
    order = list(dict.fromkeys(live[sid] for sid in speaker_ids if sid in live))
    s.execute(delete(RecordingSpeaker).where(RecordingSpeaker.recording_id == recording_id))
    for pos, sid in enumerate(order):
        s.add(RecordingSpeaker(recording_id=recording_id, speaker_id=sid, position=pos))


class RecordingService:
    def __init__(self, project: Project) -> None:
        self.project = project

    def list(self) -> list[RecordingInfo]:
        with self.project.unit() as s:
            counts: dict[int, dict[str, int]] = {}
            for rec_id, status, n in s.execute(
                select(Segment.recording_id, Segment.status, func.count())
                .join(Tier, Tier.id == Segment.tier_id)
                .where(Segment.deleted.is_(False), Tier.kind == "transcription")
                .group_by(Segment.recording_id, Segment.status)
            ):
                counts.setdefault(rec_id, {})[status] = n
            rows = list(s.scalars(select(Recording).order_by(Recording.id)))
            speakers = _speakers_of(s, (r.id for r in rows))
            return [to_info(r, counts.get(r.id), speakers.get(r.id, ())) for r in rows]

    def labels(self) -> dict[int, str]:
        """Every recording's display label (see :func:`display_labels`)."""
        with self.project.unit() as s:
            rows = s.execute(select(Recording.id, Recording.title)).all()
        return display_labels(rows)

    def get(self, recording_id: int) -> RecordingInfo:
        with self.project.unit() as s:
            r = s.get(Recording, recording_id)
            if r is None:
                raise NotFoundError(f"There is no recording #{recording_id}.")
            return to_info(r, speakers=_speakers_of(s, [r.id]).get(r.id, ()))

    def speakers(self, recording_id: int) -> list[SpeakerRef]:
        """Who speaks in a recording, in the order they were given."""
        return list(self.get(recording_id).speakers)

    def set_speakers(self, recording_id: int, speaker_ids: Iterable[int]) -> RecordingInfo:
        """Replace the list of speakers of a recording (unknown ids are ignored,
        merged speakers become the one they were merged into)."""
        with self.project.unit() as s:
            if s.get(Recording, recording_id) is None:
                raise NotFoundError(f"There is no recording #{recording_id}.")
            _replace_speakers(s, recording_id, speaker_ids)
        return self.get(recording_id)

    def import_file(
        self,
        src: str | Path,
        meta: RecordingMeta | None = None,
        state: Progress | None = None,
        *,
        origin: str = "imported",
    ) -> RecordingInfo:
        """Copy ``src`` into the project, decode it once (16 kHz copy + peaks)
        and add it. On any failure nothing is left behind: no files, no rows."""
        src = Path(src)
        state = state or JobState()
        meta = meta or RecordingMeta()
        imported = import_audio(src, self.project.path, state)
        try:
            return self._insert(src, imported, meta, origin)
        except BaseException:
            remove_imported(imported)
            raise

    def _insert(
        self, src: Path, imported: ImportedAudio, meta: RecordingMeta, origin: str
    ) -> RecordingInfo:
        try:
            with self.project.unit() as s:
                dup = s.scalar(select(Recording).where(Recording.sha256 == imported.sha256))
                if dup is not None:
                    raise AudioImportError(
                        src, f"it is already in the project as '{dup.title}' (same audio content)."
                    )
                values = {"title": src.stem, **meta.values()}
                r = Recording(
                    original_filename=src.name,
                    audio_path=self.project.relpath(imported.original_path),
                    model_audio_path=self.project.relpath(imported.model_audio_path),
                    peaks_path=self.project.relpath(imported.peaks_path),
                    sha256=imported.sha256,
                    duration_ms=round(imported.duration_s * 1000),
                    sample_rate=imported.sample_rate,
                    channels=imported.channels,
                    frames=imported.frames,
                    format=imported.format,
                    origin=origin,
                    **values,
                )
                s.add(r)
                s.flush()
                if meta.speaker_ids is not None:
                    _replace_speakers(s, r.id, meta.speaker_ids)
                return to_info(r, speakers=_speakers_of(s, [r.id]).get(r.id, ()))
        except SQLAlchemyError as exc:
            log.exception("database write failed while importing %s", src)
            raise StorageError(
                f"Cannot add '{src.name}' to the project database: {getattr(exc, 'orig', exc)}. "
                "Nothing was imported."
            ) from exc

    def update(self, recording_id: int, meta: RecordingMeta) -> RecordingInfo:
        values = meta.values()
        if "title" in values and not values["title"].strip():
            raise EditError("A recording needs a title.")
        if problem := date_problem(values.get("recorded_on")):
            raise EditError(f"Recorded on: {problem}")
        with self.project.unit() as s:
            r = s.get(Recording, recording_id)
            if r is None:
                raise NotFoundError(f"There is no recording #{recording_id}.")
            for key, value in values.items():
                setattr(r, key, value)
            if meta.speaker_ids is not None:
                _replace_speakers(s, recording_id, meta.speaker_ids)
            s.flush()
            return to_info(r, speakers=_speakers_of(s, [r.id]).get(r.id, ()))

    def remove(self, recording_id: int) -> None:
        """Remove a recording, its segments and its files from the project."""
        with self.project.unit() as s:
            r = s.get(Recording, recording_id)
            if r is None:
                raise NotFoundError(f"There is no recording #{recording_id}.")
            paths = [r.audio_path, r.model_audio_path, r.peaks_path]
            s.delete(r)
        for rel in paths:
            p = self.project.abspath(rel)
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)

    def audio_file(self, recording_id: int, *, for_model: bool = False) -> Path:
        info = self.get(recording_id)
        return self.project.abspath(info.model_audio_path if for_model else info.audio_path)


# -- module-level forms (used by field recording, see desktop_app.core.capture) -------
def set_recording_speakers(project: Project, recording_id: int, speaker_ids: Iterable[int]) -> None:
    """Replace the list of speakers of a recording (see :meth:`RecordingService.set_speakers`)."""
    RecordingService(project).set_speakers(recording_id, speaker_ids)


def recording_speakers(project: Project, recording_id: int) -> list[str]:
    """Names of the speakers of a recording, in the order they were given."""
    return RecordingService(project).get(recording_id).speaker_names
