"""Writing model output into a recording without touching human work.

A :class:`ModelPass` is one undo step spanning several transactions: it first
retires the recording's previous ``auto`` segments on the tier, then adds each
new segment as the model produces it, so the UI can show them progressively.
Segments a person edited or approved are never changed; model segments that
would overlap them are trimmed or skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from desktop_app.core.errors import NotFoundError
from desktop_app.core.project import Project
from desktop_app.core.services import revisions
from desktop_app.core.services.dto import SegmentInfo
from desktop_app.core.services.segments import MIN_SEGMENT_MS, NewSegment, default_tier_id, to_info
from desktop_app.core.store.schema import ModelVersion, Recording, Segment

MAX_TRIM_MS = 300  # model segments overlapping human ones by more than this are skipped


@dataclass(frozen=True)
class ModelRef:
    """The model version that produces segments (mirrored into the project)."""

    id: str
    name: str
    source: str = ""
    parent_id: str | None = None
    kind: str = "asr"


@dataclass
class ModelPass:
    project: Project
    recording_id: int
    model: ModelRef
    tier_id: int | None = None
    operation_id: int | None = None
    protected: list[tuple[int, int]] = field(default_factory=list)
    added: int = 0
    skipped: int = 0
    duration_ms: int = 0

    def begin(self) -> int:
        """Retire old auto segments; remember the human ones to protect."""
        with self.project.unit() as s:
            recording = s.get(Recording, self.recording_id)
            if recording is None:
                raise NotFoundError(f"There is no recording #{self.recording_id}.")
            self.duration_ms = recording.duration_ms
            if self.tier_id is None:
                self.tier_id = default_tier_id(s)
            if s.get(ModelVersion, self.model.id) is None:
                s.add(
                    ModelVersion(
                        id=self.model.id,
                        name=self.model.name,
                        source=self.model.source,
                        parent_id=self.model.parent_id,
                        kind=self.model.kind,
                    )
                )
            rec = revisions.Recorder(
                s, "transcribe", f"Transcribe with {self.model.name}", "model", self.model.id
            )
            current = s.scalars(
                select(Segment).where(
                    Segment.recording_id == self.recording_id,
                    Segment.tier_id == self.tier_id,
                    Segment.deleted.is_(False),
                )
            )
            for seg in current:
                if seg.status == "auto":
                    rec.change(seg, deleted=True)
                else:
                    self.protected.append((seg.start_ms, seg.end_ms))
            self.operation_id = rec.result().operation_id
        return self.operation_id

    def add(self, new: NewSegment) -> SegmentInfo | None:
        """Add one model segment (status ``auto``); ``None`` if it was skipped."""
        if self.operation_id is None:
            raise RuntimeError("ModelPass.begin() must be called first")
        span = self._fit(new.start_ms, min(new.end_ms, self.duration_ms))
        if span is None:
            self.skipped += 1
            return None
        with self.project.unit() as s:
            rec = revisions.Recorder.resume(s, self.operation_id)
            seg = rec.create(
                Segment(
                    recording_id=self.recording_id,
                    tier_id=self.tier_id,
                    start_ms=span[0],
                    end_ms=span[1],
                    text=new.text,
                    speaker_id=new.speaker_id,
                    language=new.language,
                    status="auto",
                    confidence=new.confidence,
                    model_version_id=self.model.id,
                    words=new.words,
                )
            )
            self.added += 1
            return to_info(seg)

    def _fit(self, start: int, end: int) -> tuple[int, int] | None:
        """Trim ``[start, end)`` off protected spans; None when too little is left."""
        for p_start, p_end in self.protected:
            overlap = min(end, p_end) - max(start, p_start)
            if overlap <= 0:
                continue
            if overlap > MAX_TRIM_MS:
                return None
            if p_start <= start:
                start = p_end
            else:
                end = p_start
        return (start, end) if end - start >= MIN_SEGMENT_MS else None
