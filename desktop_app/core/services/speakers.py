"""Speakers (shared by all recordings of a project).

``TierService`` and ``tier_info`` live in :mod:`.tiers` (re-exported here).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from desktop_app.core.errors import EditError, NotFoundError
from desktop_app.core.project import Project
from desktop_app.core.services import profile_fold, revisions
from desktop_app.core.services.dto import OpResult, SpeakerInfo
from desktop_app.core.services.languages import read_languages
from desktop_app.core.services.participants import METADATA_FIELDS, check_fields
from desktop_app.core.services.tiers import TierService, tier_info
from desktop_app.core.store.schema import Segment, Speaker

__all__ = ["SPEAKER_FIELDS", "SpeakerService", "TierService", "tier_info"]

SPEAKER_FIELDS = ("name", *METADATA_FIELDS)
"""What :meth:`SpeakerService.update` changes: the name and the participant
metadata (checked by :func:`participants.check_fields`)."""


def _speaker_info(sp: Speaker, count: int = 0) -> SpeakerInfo:
    return SpeakerInfo(
        id=sp.id,
        name=sp.name,
        gender=sp.gender,
        age_band=sp.age_band,
        dialect=sp.dialect,
        l1=sp.l1,
        notes=sp.notes,
        segment_count=count,
        birth_year=sp.birth_year,
        region=sp.region,
    )


class SpeakerService:
    def __init__(self, project: Project) -> None:
        self.project = project

    def list(self) -> list[SpeakerInfo]:
        with self.project.unit() as s:
            counts = dict(
                s.execute(
                    select(Segment.speaker_id, func.count())
                    .where(Segment.deleted.is_(False), Segment.speaker_id.is_not(None))
                    .group_by(Segment.speaker_id)
                ).all()
            )
            rows = s.scalars(
                select(Speaker).where(Speaker.merged_into_id.is_(None)).order_by(Speaker.name)
            )
            return [_speaker_info(sp, counts.get(sp.id, 0)) for sp in rows]

    def create(self, name: str, **fields: Any) -> SpeakerInfo:
        name = name.strip()
        if not name:
            raise EditError("A speaker needs a name.")
        fields = self.check(fields)[0]
        try:
            with self.project.unit() as s:
                sp = Speaker(name=name, **fields)
                s.add(sp)
                s.flush()
                return _speaker_info(sp)
        except IntegrityError as exc:
            raise EditError(f"A speaker named '{name}' already exists.") from exc

    def get_or_create(self, name: str) -> SpeakerInfo:
        with self.project.unit() as s:
            sp = s.scalar(select(Speaker).where(Speaker.name == name.strip()))
            if sp is not None:
                return _speaker_info(sp)
        return self.create(name)

    def update(self, speaker_id: int, **fields: Any) -> SpeakerInfo:
        """Change a speaker's name or metadata (see :data:`SPEAKER_FIELDS`)."""
        fields = self.check(fields)[0]
        if "name" in fields and not str(fields["name"]).strip():
            raise EditError("A speaker needs a name.")
        try:
            with self.project.unit() as s:
                sp = self._speaker(s, speaker_id)
                for key, value in fields.items():
                    setattr(sp, key, value.strip() if key == "name" else value)
                s.flush()
                return _speaker_info(sp)
        except IntegrityError as exc:
            raise EditError(f"A speaker named '{fields.get('name')}' already exists.") from exc

    def get(self, speaker_id: int) -> SpeakerInfo:
        with self.project.unit() as s:
            return _speaker_info(self._speaker(s, speaker_id))

    def find(self, name: str) -> SpeakerInfo:
        """The speaker with this name."""
        with self.project.unit() as s:
            sp = s.scalar(
                select(Speaker).where(
                    Speaker.name == name.strip(), Speaker.merged_into_id.is_(None)
                )
            )
            if sp is None:
                raise NotFoundError(f"There is no speaker named '{name.strip()}'.")
            return _speaker_info(sp)

    def check(self, fields: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """``(normalised fields, warnings)``: raises :class:`EditError` for an
        unknown field or a value that cannot be right (a birth year of 1066, a
        language code of digits); warns of first languages that are not on the
        project's language list."""
        self._check_fields(fields)
        if "l1" in fields:
            with self.project.unit() as s:
                known = {x.code for x in read_languages(s)}
        else:
            known = None
        checked = check_fields(fields, known)
        return checked.values, checked.warnings

    def rename(self, speaker_id: int, name: str) -> SpeakerInfo:
        return self.update(speaker_id, name=name)

    def merge(
        self, source_id: int, target_id: int, *, accept_suggestion: int | None = None
    ) -> OpResult:
        """Move every segment of ``source`` to ``target`` (one undo step) and
        retire ``source``. The source row is kept, marked as merged.

        With ``accept_suggestion`` (a "sounds like" suggestion), the same step
        folds the voice profiles and closes the suggestion
        (:mod:`~desktop_app.core.services.profile_fold`)."""
        if source_id == target_id:
            raise EditError("Cannot merge a speaker into itself.")
        with self.project.unit() as s:
            src, dst = self._speaker(s, source_id), self._speaker(s, target_id)
            extra = profile_fold.accept_detail(s, accept_suggestion) if accept_suggestion else {}
            rec = revisions.Recorder(
                s,
                "merge_speakers",
                f"Merge {src.name} into {dst.name}",
                source_detail=revisions.speaker_merge_detail(src, dst, extra),
            )
            for seg in s.scalars(select(Segment).where(Segment.speaker_id == src.id)):
                rec.change(seg, speaker_id=dst.id)
            src.merged_into_id = dst.id
            src.name = revisions.merged_name(src.name, dst, src.id)
            if extra:
                profile_fold.apply_accept(s, extra, undo=False)
            return rec.result()

    @staticmethod
    def _speaker(s: Session, speaker_id: int) -> Speaker:
        sp = s.get(Speaker, speaker_id)
        if sp is None or sp.merged_into_id is not None:
            raise NotFoundError(f"There is no speaker #{speaker_id}.")
        return sp

    @staticmethod
    def _check_fields(fields: dict[str, Any]) -> None:
        unknown = set(fields) - set(SPEAKER_FIELDS)
        if unknown:
            raise EditError(f"Unknown speaker field(s): {', '.join(sorted(unknown))}.")
