"""A format-neutral view of annotations, shared by every reader and writer.

Exports turn the project database into :class:`ExportRecording` values (one
per recording, its :class:`Item` s sorted by time); writers turn those into
files. Imports go the other way: a reader turns a file into a
:class:`SourceDocument` (the file's own tiers, untouched), a
:class:`TierMapping` per source tier says where each goes in the project, and
the importer writes the result.

Tier names in files follow the ELAN corpus convention ``tier@speaker``
(``transcription@Aigerim``); a tier with no speaker is just ``tier``. Extra
facts that a format has no field for travel in parallel tiers named
``tier@speaker#status``, ``#lang``, ``#words`` and ``#wordlang`` (the language
of each word); overlapping segments of one tier and speaker, which ELAN and
Praat cannot put on one tier, go on overflow tiers ``tier@speaker~2``, ``~3``…
Readers undo all of this.

Child tiers (ELAN's dependent tiers: translations, words, glosses) name their
parent tier and constraint (:class:`ExportTier`, :class:`SourceTier`) and each
annotation its parent annotation (``Item.parent_segment_id``,
``SourceItem.parent_ref``); the mapping of a source tier never names a parent:
the import follows the file's hierarchy through the mappings of the parents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_TIER = "transcription"
"""The project's main tier (mirrors :data:`desktop_app.core.project.DEFAULT_TIER`)."""

TIER_KINDS = ("transcription", "translation", "words", "gloss", "comment", "reference", "other")
"""Tier kinds: only ``transcription`` tiers are speech transcripts (what training
and evaluation read); ``words`` holds word-level tokens, ``gloss`` morpheme
glosses, part-of-speech and other linguistic tags, ``comment`` notes,
``reference`` reference transcripts, ``other`` anything else (gestures, events)."""
MAX_ITEMS = 500_000
"""Annotations one file may hold: a week of speech word by word. Beyond it the
file is refused before it fills the memory."""
STATUS_SUFFIX = "#status"
LANG_SUFFIX = "#lang"
WORDS_SUFFIX = "#words"
META_SUFFIXES = (STATUS_SUFFIX, LANG_SUFFIX, WORDS_SUFFIX)
WORDLANG_SUFFIX = "#wordlang"
"""A tier with the language (kk / ru / other) of each word of its parent's segments."""
_OVERFLOW = re.compile(r"~(\d+)$")


@dataclass(frozen=True)
class Item:
    """One annotation on the time line, as exported (or as read, mapped)."""

    start_ms: int
    end_ms: int
    text: str
    speaker: str | None = None
    tier: str = DEFAULT_TIER
    tier_kind: str = "transcription"
    language: str | None = None
    status: str = "edited"
    words: list[dict[str, Any]] | None = None
    confidence: float | None = None
    segment_id: int | None = None
    units: tuple[int, ...] | None = None
    word_langs: list[dict[str, Any]] | None = None  # [{w, l, by}] per word (code-switching)
    parent_segment_id: int | None = None  # on a child tier: the parent annotation
    ordinal: int | None = None  # order under a symbolic subdivision parent

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms

    @property
    def track(self) -> str:
        """The tier name used in files: ``tier@speaker`` or ``tier``."""
        return track_name(self.tier, self.speaker)


@dataclass(frozen=True)
class ExportTier:
    """A project tier as exports see it: its place in the hierarchy and its vocabulary."""

    name: str
    kind: str = "transcription"
    parent: str | None = None  # the parent tier's name
    constraint: str | None = None  # one of schema.TIER_CONSTRAINTS (None: independent)
    vocabulary: str | None = None  # the controlled vocabulary's name
    language: str | None = None


@dataclass(frozen=True)
class Vocabulary:
    """A controlled vocabulary: a closed list of values with descriptions."""

    name: str
    description: str = ""
    entries: tuple[tuple[str, str], ...] = ()  # (value, description)


@dataclass(frozen=True)
class ExportRecording:
    """A recording with the items chosen for an export."""

    id: int
    title: str
    original_filename: str
    audio_path: Path
    model_audio_path: Path
    duration_ms: int
    languages: str | None
    items: list[Item]
    participants: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Speaker name → participant metadata of the speakers in ``items``
    (gender, age_band, birth_year, dialect, region, l1, notes; None when unset)."""
    tiers: tuple[ExportTier, ...] = ()  # the project's tiers (hierarchy, vocabularies)
    vocabularies: tuple[Vocabulary, ...] = ()


@dataclass(slots=True)
class SourceItem:
    """One annotation as a file holds it (times already in ms)."""

    start_ms: int
    end_ms: int
    text: str
    speaker: str | None = None  # a per-item speaker (WebVTT voice, a CSV column)
    language: str | None = None
    status: str | None = None
    words: list[dict[str, Any]] | None = None
    tier_kind: str | None = None  # CSV/JSONL rows name their tier's kind
    media: str | None = None  # CSV/JSONL rows name their recording
    word_langs: list[dict[str, Any]] | None = None  # [{w, l, by}] per word, when the file has them
    ref: str | None = None  # the file's id of the annotation (ELAN ANNOTATION_ID)
    parent_ref: str | None = None  # on a child tier: the parent annotation's ``ref``
    ordinal: int | None = None  # order under a symbolic subdivision parent


@dataclass
class SourceTier:
    """A tier of an annotation file, with what the file says about it."""

    name: str
    items: list[SourceItem] = field(default_factory=list)
    speaker: str | None = None  # ELAN PARTICIPANT, or parsed from ``tier@speaker``
    tier: str | None = None  # the project tier the name suggests
    kind: str | None = None  # ELAN linguistic type, when it is one of ours
    language: str | None = None  # ELAN LANG_REF
    parent: str | None = None  # ELAN PARENT_REF: the source tier it depends on
    constraint: str | None = None  # its schema.TIER_CONSTRAINTS value (None: independent)
    vocabulary: str | None = None  # the name of its controlled vocabulary


@dataclass
class SourceDocument:
    """What a reader found in one annotation file."""

    path: Path
    format: str
    tiers: list[SourceTier]
    media: list[str] = field(default_factory=list)  # linked media file names
    duration_ms: int | None = None
    warnings: list[str] = field(default_factory=list)
    vocabularies: list[Vocabulary] = field(default_factory=list)
    participants: dict[str, dict[str, str]] = field(default_factory=dict)
    """Speaker name → participant metadata the file holds (our ELAN header properties)."""

    def tier(self, name: str) -> SourceTier:
        for t in self.tiers:
            if t.name == name:
                return t
        raise KeyError(name)


@dataclass(frozen=True)
class TierMapping:
    """Where one source tier goes: a project tier (created if new) and a speaker.

    ``speaker`` None means no speaker, unless the items name their own (WebVTT
    voices). ``language`` applies to items that carry none. ``include`` False
    skips the tier.
    """

    source: str
    tier: str
    kind: str = "transcription"
    speaker: str | None = None
    language: str | None = None
    include: bool = True


def track_name(tier: str, speaker: str | None) -> str:
    return f"{tier}@{speaker}" if speaker else tier


def split_track_name(name: str, participant: str | None = None) -> tuple[str, str | None]:
    """``(tier, speaker)`` from a file's tier name (``tier@speaker`` or ``tier``).

    With an ELAN ``participant``, a name ending in ``@participant`` gives its
    prefix, a name equal to the participant is the main transcription tier.
    """
    name = _OVERFLOW.sub("", name)
    if participant:
        if name.endswith(f"@{participant}") and len(name) > len(participant) + 1:
            return name[: -len(participant) - 1], participant
        if name == participant:
            return DEFAULT_TIER, participant
        return name, participant
    tier, at, speaker = name.partition("@")
    if at and tier and speaker:
        return tier, speaker
    return name, None


def meta_parent(name: str) -> tuple[str, str] | None:
    """``(parent tier name, suffix)`` when ``name`` is a ``#status``/``#lang``/``#words`` tier."""
    for suffix in META_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], suffix
    return None


def base_track(name: str) -> str:
    """``name`` without an overflow suffix ``~N``."""
    return _OVERFLOW.sub("", name)


def lay_out_tracks(items: list[Item]) -> dict[str, list[Item]]:
    """Items by file tier name, sorted; overlapping items of one ``tier@speaker``
    move to overflow tiers ``~2``, ``~3``… (no two items of a tier overlap)."""
    lanes: dict[str, list[list[Item]]] = {}
    for item in sorted(items, key=lambda x: (x.start_ms, x.end_ms, x.segment_id or 0)):
        tracks = lanes.setdefault(item.track, [])
        for lane in tracks:
            if lane[-1].end_ms <= item.start_ms:
                lane.append(item)
                break
        else:
            tracks.append([item])
    out: dict[str, list[Item]] = {}
    for name, tracks in lanes.items():
        for i, lane in enumerate(tracks):
            out[name if i == 0 else f"{name}~{i + 1}"] = lane
    return out
