"""ORM schema of a Jazba project database.

Times on the audio are integers in milliseconds. Wall-clock times are UTC.
Segments are never physically deleted by user operations: ``deleted`` is set,
so undo can restore them with the same id and history stays complete.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

SEGMENT_STATUSES = ("auto", "edited", "approved")
REVISION_SOURCES = ("user", "model", "import", "undo", "redo", "system")
JOB_STATUSES = ("queued", "running", "done", "failed", "cancelled", "interrupted")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class ProjectMeta(Base):
    """Key/value facts about the project (name, created, app version)."""

    __tablename__ = "project_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Recording(Base):
    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    original_filename: Mapped[str] = mapped_column(String(500))
    audio_path: Mapped[str] = mapped_column(String(500))  # relative to the project folder
    model_audio_path: Mapped[str] = mapped_column(String(500))
    peaks_path: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    duration_ms: Mapped[int] = mapped_column(Integer)
    sample_rate: Mapped[int] = mapped_column(Integer)
    channels: Mapped[int] = mapped_column(Integer)
    frames: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(100), default="")
    origin: Mapped[str] = mapped_column(
        String(20), default="imported"
    )  # imported/recorded/recovered
    recorded_on: Mapped[str | None] = mapped_column(String(32))  # ISO date, free precision
    place: Mapped[str | None] = mapped_column(String(300))
    languages: Mapped[str | None] = mapped_column(String(100))  # comma separated tags: kk,ru
    consent: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    segments: Mapped[list[Segment]] = relationship(
        back_populates="recording", cascade="all, delete-orphan", passive_deletes=True
    )


class Speaker(Base):
    """A speaker, shared by all recordings of the project."""

    __tablename__ = "speakers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    gender: Mapped[str | None] = mapped_column(String(32))
    age_band: Mapped[str | None] = mapped_column(String(32))
    dialect: Mapped[str | None] = mapped_column(String(100))
    l1: Mapped[str | None] = mapped_column(String(100))  # first language(s), comma separated
    birth_year: Mapped[int | None] = mapped_column(Integer)
    region: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("speakers.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SpeakerProfile(Base):
    """A speaker's voice: the mean of its speech embeddings under one embedding model
    (one row per speaker and model: embeddings of two models cannot be compared)."""

    __tablename__ = "speaker_profiles"

    speaker_id: Mapped[int] = mapped_column(
        ForeignKey("speakers.id", ondelete="CASCADE"), primary_key=True
    )
    model_id: Mapped[str] = mapped_column(String(100), primary_key=True)  # e.g. "ge2e"
    centroid: Mapped[list[Any]] = mapped_column(JSON)  # unit vector (list of floats)
    count: Mapped[int] = mapped_column(Integer, default=0)  # embeddings folded in
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


SUGGESTION_STATUSES = ("open", "accepted", "rejected")


class SpeakerSuggestion(Base):
    """ "This speaker found in a recording sounds like that known speaker" (to accept/reject)."""

    __tablename__ = "speaker_suggestions"
    __table_args__ = (
        CheckConstraint(
            "status IN ('open', 'accepted', 'rejected')", name="ck_speaker_suggestion_status"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id", ondelete="CASCADE"))
    speaker_id: Mapped[int] = mapped_column(ForeignKey("speakers.id", ondelete="CASCADE"))
    suggested_id: Mapped[int] = mapped_column(ForeignKey("speakers.id", ondelete="CASCADE"))
    score: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class RecordingSpeaker(Base):
    """Who speaks in a recording (the session's speakers, chosen when recording)."""

    __tablename__ = "recording_speakers"

    recording_id: Mapped[int] = mapped_column(
        ForeignKey("recordings.id", ondelete="CASCADE"), primary_key=True
    )
    speaker_id: Mapped[int] = mapped_column(
        ForeignKey("speakers.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)


TIER_CONSTRAINTS = (
    "symbolic_association",
    "symbolic_subdivision",
    "included_in",
    "time_subdivision",
)
"""ELAN's stereotypes for a child tier; a tier with no parent (constraint None)
is independent and time-aligned."""


class ControlledVocabulary(Base):
    """A closed list of values a tier's annotations take (ELAN's CV)."""

    __tablename__ = "controlled_vocabularies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")

    entries: Mapped[list[CvEntry]] = relationship(
        order_by="CvEntry.position", cascade="all, delete-orphan", passive_deletes=True
    )


class CvEntry(Base):
    __tablename__ = "cv_entries"
    __table_args__ = (UniqueConstraint("cv_id", "value", name="uq_cv_entry_value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cv_id: Mapped[int] = mapped_column(ForeignKey("controlled_vocabularies.id", ondelete="CASCADE"))
    value: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Tier(Base):
    """An annotation layer (transcription, translation, comment…), project-wide.

    A child tier names its ``parent_id`` and ELAN ``constraint`` (one of
    :data:`TIER_CONSTRAINTS`); its annotations name their parent annotation.
    """

    __tablename__ = "tiers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32), default="transcription")
    language: Mapped[str | None] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer, default=0)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("tiers.id", name="fk_tiers_parent"))
    constraint: Mapped[str | None] = mapped_column(String(32))
    cv_id: Mapped[int | None] = mapped_column(
        ForeignKey("controlled_vocabularies.id", name="fk_tiers_cv", ondelete="SET NULL")
    )


class ModelVersion(Base):
    """A model version that produced segments in this project (mirrors the registry)."""

    __tablename__ = "model_versions"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(300), default="")
    parent_id: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32), default="asr")
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Segment(Base):
    __tablename__ = "segments"
    __table_args__ = (
        CheckConstraint("end_ms > start_ms", name="ck_segment_positive_length"),
        CheckConstraint("start_ms >= 0", name="ck_segment_start_nonnegative"),
        CheckConstraint("status IN ('auto', 'edited', 'approved')", name="ck_segment_status"),
        Index("ix_segments_recording_start", "recording_id", "start_ms"),
        Index("ix_segments_parent", "parent_id"),
        Index("ix_segments_tier_recording", "tier_id", "recording_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id", ondelete="CASCADE"))
    tier_id: Mapped[int] = mapped_column(ForeignKey("tiers.id"))
    start_ms: Mapped[int] = mapped_column(Integer)
    end_ms: Mapped[int] = mapped_column(Integer)
    speaker_id: Mapped[int | None] = mapped_column(ForeignKey("speakers.id"))
    text: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str | None] = mapped_column(String(16))  # kk, ru, mixed, en…
    status: Mapped[str] = mapped_column(String(16), default="auto")
    confidence: Mapped[float | None] = mapped_column(Float)
    model_version_id: Mapped[str | None] = mapped_column(ForeignKey("model_versions.id"))
    words: Mapped[list[Any] | None] = mapped_column(JSON)  # [{w, s, e, p}] when known
    unit_perplexity: Mapped[float | None] = mapped_column(Float)
    parent_id: Mapped[int | None] = mapped_column(Integer)  # the parent annotation (child tiers)
    ordinal: Mapped[int | None] = mapped_column(Integer)  # order under a subdivision parent
    word_langs: Mapped[list[Any] | None] = mapped_column(JSON)  # [{w, l, by}] per word
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    recording: Mapped[Recording] = relationship(back_populates="segments")


class Operation(Base):
    """One user-level action (an undo step); groups the revisions it made."""

    __tablename__ = "operations"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # add, edit_text, split, merge, …, undo, redo
    description: Mapped[str] = mapped_column(String(300), default="")
    source: Mapped[str] = mapped_column(String(16), default="user")
    source_detail: Mapped[str | None] = mapped_column(String(300))  # model id, file name
    target_op_id: Mapped[int | None] = mapped_column(ForeignKey("operations.id"))  # undo/redo
    undone: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    revisions: Mapped[list[Revision]] = relationship(
        back_populates="operation", order_by="Revision.id"
    )


class Revision(Base):
    """A change of one segment: full snapshots before and after (None = absent)."""

    __tablename__ = "revisions"
    __table_args__ = (Index("ix_revisions_segment", "segment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id"))
    segment_id: Mapped[int] = mapped_column(ForeignKey("segments.id", ondelete="CASCADE"))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    operation: Mapped[Operation] = relationship(back_populates="revisions")


class Draft(Base):
    """Text typed into an editor and not yet saved (journalled while typing).

    Written a moment after each pause in typing and removed when the edit is
    saved or deliberately cancelled, so text in an editor survives a crash or a
    kill; the next open offers it back.
    """

    __tablename__ = "drafts"

    segment_id: Mapped[int] = mapped_column(
        ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True
    )
    text: Mapped[str] = mapped_column(Text)
    base_text: Mapped[str] = mapped_column(Text, default="")  # the text when editing began
    saved_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # transcribe, import, finetune, unitlm…
    status: Mapped[str] = mapped_column(String(16), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    log: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
