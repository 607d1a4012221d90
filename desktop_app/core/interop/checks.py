"""Checking and repairing imported intervals before anything is written.

Repairs (each listed as a warning with a count and the first place): intervals
starting before 0 s (a negative time) start at 0 s, those ending before 0 s or
ending before they start are skipped (a sign is never dropped), intervals
running past the audio are cut at its end, those starting after it are
skipped, intervals shorter than the minimum segment are lengthened, unknown
status values fall back to the default, and overlapping intervals of one tier
and speaker in ELAN or Praat files (whose tiers cannot overlap) are shortened
to end where the next begins. Intervals that overlap
almost completely cannot be repaired and stop the import.

A dependent source tier (ELAN) keeps its parent when the parent tier is
imported too: its segments name the project tier its parent maps to, the
constraint and the annotation ids that link them; otherwise it is imported as
an independent tier, with a warning.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from desktop_app.core.errors import InteropError
from desktop_app.core.interop.model import SourceDocument, TierMapping
from desktop_app.core.services.segments import MIN_SEGMENT_MS
from desktop_app.core.store.schema import SEGMENT_STATUSES

MAX_NAME = 200
TIERED_FORMATS = ("eaf", "textgrid")
"""Formats whose tiers cannot hold overlapping intervals: an overlap there is damage."""


@dataclass(frozen=True)
class ImportOptions:
    status: str = "edited"  # for items whose file gives no review status
    replace: bool = False  # first delete the recording's segments on the target tiers
    per_line: bool = False  # plain text without times: one segment per line (else one)
    speaker_prefixes: bool = True  # subtitles: read a leading "Name: " as the speaker


@dataclass
class Planned:
    start_ms: int
    end_ms: int
    text: str
    tier: str
    kind: str
    speaker: str | None
    language: str | None
    status: str
    words: list[Any] | None
    ref: str | None = None  # the file's annotation id
    parent_ref: str | None = None  # the parent annotation's id (a child tier)
    ordinal: int | None = None
    parent_tier: str | None = None  # the project tier the segment's tier hangs under
    constraint: str | None = None
    vocabulary: str | None = None  # the controlled vocabulary of its tier (by name)
    word_langs: list[Any] | None = None  # the language of each word, when the file says


@dataclass
class _Notes:
    counts: dict[str, int] = field(default_factory=dict)
    first: dict[str, str] = field(default_factory=dict)

    def add(self, key: str, example: str) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1
        self.first.setdefault(key, example)

    def lines(self) -> list[str]:
        return [f"{msg.format(n=n)} (first at {self.first[msg]})" for msg, n in self.counts.items()]


def _t(ms: int) -> str:
    return f"{ms / 1000:.3f} s"


def _check_name(kind: str, name: str | None) -> str | None:
    if name is None:
        return None
    name = " ".join(name.split())
    if len(name) > MAX_NAME:
        raise InteropError(f"A {kind} name is longer than {MAX_NAME} characters: '{name[:40]}…'.")
    if any(ord(c) < 32 for c in name):
        raise InteropError(f"The {kind} name {name!r} contains control characters.")
    return name or None


def plan(
    doc: SourceDocument,
    mapping: list[TierMapping],
    duration_ms: int,
    options: ImportOptions,
    recording_title: str = "",
) -> tuple[list[Planned], list[str]]:
    """The segments to write, after checks and repairs, and the warnings."""
    if options.status not in SEGMENT_STATUSES:
        raise InteropError(
            f"Unknown status '{options.status}' (use one of {', '.join(SEGMENT_STATUSES)})."
        )
    notes = _Notes()
    warnings = list(doc.warnings)
    if doc.duration_ms and doc.duration_ms > duration_ms + 1000:
        warnings.append(
            f"'{doc.path.name}' spans {_t(doc.duration_ms)} but the recording is {_t(duration_ms)} "
            "long: is it the right recording?"
        )
    multi_media = len(doc.media) > 1 and doc.format in ("csv", "tsv", "jsonl")
    out: list[Planned] = []
    included = {m.source: m for m in mapping if m.include}
    for m in mapping:
        if not m.include:
            continue
        tier_name = _check_name("tier", m.tier)
        if not tier_name:
            raise InteropError(f"Source tier '{m.source}' is mapped to a tier without a name.")
        kind = (m.kind or "transcription").strip()[:32] or "transcription"
        source = doc.tier(m.source)
        parent_tier = _parent_tier(source.parent, source.constraint, included, tier_name)
        if source.parent and source.constraint and parent_tier is None:
            warnings.append(
                f"Tier '{m.source}' depends on '{source.parent}', which is not imported "
                f"(or goes to the same tier); '{tier_name}' was imported as an independent tier."
            )
        lanes: dict[str | None, list[Planned]] = {}
        for item in source.items:
            if multi_media and item.media and recording_title and item.media != recording_title:
                notes.add("{n} row(s) of other recordings were skipped", item.media)
                continue
            start, end = int(item.start_ms), int(item.end_ms)
            where = f"{_t(start)} in '{m.source}'"
            if end < start:
                notes.add("{n} interval(s) that end before they start were skipped", where)
                continue
            if end == start:
                notes.add("{n} interval(s) with no length were skipped", where)
                continue
            if start < 0:
                if end <= 0:
                    notes.add("{n} interval(s) before 0 s (negative times) were skipped", where)
                    continue
                notes.add(
                    "{n} interval(s) starting before 0 s (a negative time) now start at 0 s",
                    where,
                )
                start = 0
            if start >= duration_ms:
                notes.add("{n} interval(s) starting after the end of the audio were skipped", where)
                continue
            if end > duration_ms:
                notes.add(
                    "{n} interval(s) running past the end of the audio were cut at its end", where
                )
                end = duration_ms
            if end - start < MIN_SEGMENT_MS:
                if start + MIN_SEGMENT_MS <= duration_ms:
                    notes.add(
                        f"{{n}} interval(s) shorter than {MIN_SEGMENT_MS} ms were lengthened", where
                    )
                    end = start + MIN_SEGMENT_MS
                else:
                    notes.add("{n} interval(s) too short to keep were skipped", where)
                    continue
            status = item.status or options.status
            if status not in SEGMENT_STATUSES:
                notes.add(
                    f"{{n}} unknown status value(s) were replaced by '{options.status}'", where
                )
                status = options.status
            speaker = _check_name("speaker", item.speaker or m.speaker)
            seg = Planned(
                start,
                end,
                item.text.strip(),
                tier_name,
                kind,
                speaker,
                (item.language or m.language or None),
                status,
                item.words,
                item.ref,
                item.parent_ref if parent_tier else None,
                item.ordinal if parent_tier else None,
                parent_tier,
                source.constraint if parent_tier else None,
                source.vocabulary,
                item.word_langs,
            )
            lanes.setdefault(speaker, []).append(seg)
        for segs in lanes.values():
            segs.sort(key=lambda x: (x.start_ms, x.end_ms))
            out.extend(segs)
            if doc.format not in TIERED_FORMATS:
                continue  # overlapping cues or rows are legitimate, as in Jazba itself
            for prev, cur in itertools.pairwise(segs):
                if cur.start_ms < prev.end_ms:
                    if cur.start_ms - prev.start_ms < MIN_SEGMENT_MS:
                        raise InteropError(
                            f"Tier '{m.source}' has intervals that overlap almost completely "
                            f"at {_t(prev.start_ms)} and {_t(cur.start_ms)}; fix them in the "
                            "annotation program and import again."
                        )
                    notes.add(
                        "{n} overlapping interval(s) were shortened to end where the next begins",
                        f"{_t(cur.start_ms)} in '{m.source}'",
                    )
                    prev.end_ms = cur.start_ms
    if not out:
        raise InteropError(f"Nothing to import from '{doc.path.name}': it has no usable intervals.")
    return out, warnings + notes.lines()


def _parent_tier(
    parent: str | None, constraint: str | None, included: dict[str, TierMapping], tier: str
) -> str | None:
    """The project tier a dependent source tier's parent goes to (None: independent)."""
    if not parent or not constraint or parent not in included:
        return None
    name = _check_name("tier", included[parent].tier)
    return name if name and name != tier else None
