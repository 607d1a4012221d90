"""Editor drafts: text being typed is journalled so a crash or a kill loses none.

The GUI saves the editor's text a moment after each pause in typing
(:meth:`DraftService.save`), removes it when the edit is saved or deliberately
cancelled (:meth:`DraftService.discard`), and on the next open offers what is
left (:meth:`DraftService.pending`) to restore (:meth:`DraftService.restore`,
an ordinary undoable edit) or discard.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from desktop_app.core.errors import NotFoundError
from desktop_app.core.project import Project
from desktop_app.core.services.dto import OpResult
from desktop_app.core.services.segments import NewSegment, SegmentService, replaced_by_model
from desktop_app.core.store.schema import Draft, Recording, Segment, utcnow


@dataclass(frozen=True)
class DraftInfo:
    segment_id: int
    recording_id: int
    recording_title: str
    start_ms: int
    end_ms: int
    text: str  # what was typed
    base_text: str  # the segment's text when editing began
    current_text: str  # the segment's text now
    segment_deleted: bool
    saved_at: datetime

    @property
    def differs(self) -> bool:
        """Whether restoring it would change anything."""
        return self.segment_deleted or self.text != self.current_text


class DraftService:
    def __init__(self, project: Project) -> None:
        self.project = project

    def save(self, segment_id: int, text: str, base_text: str) -> None:
        """Journal the editor's text for ``segment_id`` (one draft per segment)."""
        with self.project.unit() as s:
            draft = s.get(Draft, segment_id)
            if draft is None:
                if s.get(Segment, segment_id) is None:
                    raise NotFoundError(f"There is no segment #{segment_id}.")
                s.add(Draft(segment_id=segment_id, text=text, base_text=base_text))
            else:
                draft.text, draft.saved_at = text, utcnow()

    def discard(self, segment_id: int) -> None:
        with self.project.unit() as s:
            s.execute(delete(Draft).where(Draft.segment_id == segment_id))

    def pending(self) -> list[DraftInfo]:
        """Drafts left by an editor that was never closed (oldest first)."""
        with self.project.unit() as s:
            rows = s.execute(
                select(Draft, Segment, Recording.title)
                .join(Segment, Draft.segment_id == Segment.id)
                .join(Recording, Segment.recording_id == Recording.id)
                .order_by(Draft.saved_at, Draft.segment_id)
            )
            return [
                DraftInfo(
                    segment_id=seg.id,
                    recording_id=seg.recording_id,
                    recording_title=title,
                    start_ms=seg.start_ms,
                    end_ms=seg.end_ms,
                    text=d.text,
                    base_text=d.base_text,
                    current_text=seg.text,
                    segment_deleted=seg.deleted,
                    saved_at=d.saved_at,
                )
                for d, seg, title in rows
            ]

    def restore(self, segment_id: int) -> OpResult | None:
        """Put the draft's text into its segment (an undoable edit); a segment a
        person deleted meanwhile comes back as a new segment with the text."""
        found = [d for d in self.pending() if d.segment_id == segment_id]
        if not found:
            raise NotFoundError(f"There is no unsaved text for segment #{segment_id}.")
        draft = found[0]
        with self.project.unit() as s:
            tier_id = s.get(Segment, segment_id).tier_id  # type: ignore[union-attr]
            gone = draft.segment_deleted and not replaced_by_model(s, segment_id)
        segments = SegmentService(self.project)
        result: OpResult | None = None
        if gone:
            result = segments.add(
                draft.recording_id,
                NewSegment(draft.start_ms, draft.end_ms, draft.text),
                tier_id=tier_id,
            )
        elif draft.differs:
            result = segments.edit_text(segment_id, draft.text)
        self.discard(segment_id)
        return result
