"""Plain, immutable values returned by the services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class SpeakerRef:
    """A speaker named on a recording (who speaks in it)."""

    id: int
    name: str


@dataclass(frozen=True)
class RecordingInfo:
    id: int
    title: str
    original_filename: str
    audio_path: str
    model_audio_path: str
    peaks_path: str
    sha256: str
    duration_ms: int
    sample_rate: int
    channels: int
    format: str
    origin: str
    recorded_on: str | None
    place: str | None
    languages: str | None
    consent: str | None
    notes: str | None
    created_at: datetime
    counts: dict[str, int] = field(default_factory=dict)  # segments per status
    speakers: tuple[SpeakerRef, ...] = ()  # who speaks in it, in the order given

    @property
    def speaker_names(self) -> list[str]:
        return [sp.name for sp in self.speakers]


@dataclass(frozen=True)
class SegmentInfo:
    id: int
    recording_id: int
    tier_id: int
    start_ms: int
    end_ms: int
    text: str
    speaker_id: int | None
    language: str | None
    status: str
    confidence: float | None
    model_version_id: str | None
    words: list[Any] | None
    unit_perplexity: float | None
    parent_id: int | None = None  # on a child tier: the parent annotation
    ordinal: int | None = None  # order among a symbolic subdivision's annotations
    word_langs: list[Any] | None = None  # [{w, l, by}]: each word's language

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


@dataclass(frozen=True)
class SpeakerInfo:
    id: int
    name: str
    gender: str | None
    age_band: str | None
    dialect: str | None
    l1: str | None  # first language(s): comma separated ISO 639 codes
    notes: str | None
    segment_count: int = 0
    birth_year: int | None = None
    region: str | None = None


@dataclass(frozen=True)
class TierInfo:
    id: int
    name: str
    kind: str
    language: str | None
    parent_id: int | None = None  # a child tier's parent tier
    constraint: str | None = None  # ELAN stereotype of a child tier (schema.TIER_CONSTRAINTS)
    cv_id: int | None = None  # the controlled vocabulary its values come from
    position: int = 0


@dataclass(frozen=True)
class RevisionInfo:
    id: int
    operation_id: int
    operation_kind: str
    source: str
    source_detail: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    created_at: datetime


@dataclass(frozen=True)
class OpResult:
    """What an edit did: the undo step's id and the segments it touched."""

    operation_id: int
    segment_ids: tuple[int, ...]

    @property
    def segment_id(self) -> int:
        return self.segment_ids[0]


@dataclass(frozen=True)
class SearchHit:
    segment_id: int
    recording_id: int
    recording_title: str
    start_ms: int
    end_ms: int
    text: str
    snippet: str
    status: str
