"""Import annotation files into a recording: read → map tiers → write, all or nothing.

1. :func:`read_annotations` turns a file into a :class:`SourceDocument`.
2. :func:`find_recording` picks the project recording the file belongs to
   (its linked media or its own name), unless the caller names one.
3. :func:`default_mapping` proposes, per source tier, a project tier, kind,
   speaker and language; a dialog or ``--map`` options may change it.
4. :func:`import_annotations` checks and repairs the items (times beyond the
   audio are clipped, overlaps within one tier and speaker are trimmed, each
   repair listed as a warning; what cannot be repaired is an
   :class:`InteropError`) and writes everything in *one* transaction: new
   speakers, new tiers and the segments, as one undoable operation whose
   revisions have source ``import`` and the file name as detail. Child tiers
   keep their parent tier, constraint and controlled vocabulary, and their
   segments their parent segments (see :mod:`.checks` and :mod:`.write`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import select

from desktop_app.core.errors import Fix, InteropError
from desktop_app.core.interop import eaf_read, plaintext, rttm, subtitles, tables, textgrid
from desktop_app.core.interop.checks import ImportOptions, Planned, plan
from desktop_app.core.interop.formats import IMPORT_SUFFIXES
from desktop_app.core.interop.kinds import guess_kind
from desktop_app.core.interop.model import (
    DEFAULT_TIER,
    TIER_KINDS,
    SourceDocument,
    SourceItem,
    TierMapping,
)
from desktop_app.core.interop.naming import safe_stem
from desktop_app.core.interop.write import write_planned
from desktop_app.core.jobs import JobState, Progress
from desktop_app.core.project import Project
from desktop_app.core.store.schema import Recording, Speaker, Tier


@dataclass(frozen=True)
class ImportResult:
    file: Path
    recording_id: int
    operation_id: int
    segments: int
    replaced: int = 0
    tiers_created: tuple[str, ...] = ()
    speakers_created: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    recording_ids: tuple[int, ...] = ()

    def summary(self) -> str:
        text = (
            f"Imported {self.segments} segment(s) from '{self.file.name}' "
            f"into recording #{', #'.join(map(str, self.recording_ids or [self.recording_id]))}"
        )
        if self.replaced:
            text += f", replacing {self.replaced}"
        extras = []
        if self.tiers_created:
            extras.append("new tier(s) " + ", ".join(self.tiers_created))
        if self.speakers_created:
            extras.append("new speaker(s) " + ", ".join(self.speakers_created))
        return text + (f" ({'; '.join(extras)})" if extras else "")


# -- 1. reading ------------------------------------------------------------------------
def format_of(path: Path) -> str:
    fmt = IMPORT_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise InteropError(
            f"Cannot import '{path.name}': unknown annotation format (use "
            f"{', '.join(sorted(set(IMPORT_SUFFIXES)))})."
        )
    return fmt


def read_annotations(
    path: str | os.PathLike[str],
    *,
    duration_ms: int | None = None,
    options: ImportOptions | None = None,
) -> SourceDocument:
    """Read an annotation file; plain text needs the recording's ``duration_ms``."""
    options = options or ImportOptions()
    p = Path(path)
    fmt = format_of(p)
    if not p.is_file():
        raise InteropError(f"Cannot import '{p}': the file does not exist.")
    if fmt == "eaf":
        return eaf_read.read_eaf(p)
    if fmt == "textgrid":
        return textgrid.read_textgrid(p)
    if fmt in ("srt", "vtt"):
        return subtitles.read_subtitles(p, speaker_prefixes=options.speaker_prefixes)
    if fmt == "rttm":
        return rttm.read_rttm(p)
    if fmt == "txt":
        if duration_ms is None:
            raise InteropError(f"'{p.name}' has no times: choose the recording it transcribes.")
        return plaintext.read_plaintext(p, duration_ms, per_line=options.per_line)
    return tables.read_table(p)


# -- 2. which recording ----------------------------------------------------------------
def _keys(name: str) -> set[str]:
    base = os.path.basename(name.replace("\\", "/"))
    stem = Path(base).stem
    return {k.casefold() for k in (base, stem, safe_stem(stem)) if k}


def find_recording(project: Project, path: Path, media: Sequence[str] = ()) -> int:
    """The id of the recording that ``path`` (linking ``media``) annotates."""
    wanted = set().union(*(_keys(m) for m in media)) if media else set()
    own = _keys(path.name)
    with project.unit() as s:
        recs = list(s.scalars(select(Recording)))
    by_media, by_name = [], []
    for r in recs:
        keys = (
            _keys(r.original_filename) | _keys(r.audio_path) | _keys(r.title) | {r.title.casefold()}
        )
        if keys & wanted:
            by_media.append(r)
        if keys & own:
            by_name.append(r)
    found = by_media or by_name
    if len(found) == 1:
        return found[0].id
    listed = ", ".join(f"#{r.id} '{r.title}'" for r in found)
    if found:
        raise InteropError(
            f"'{path.name}' could belong to several recordings ({listed}).",
            fix=Fix.CHOOSE_RECORDING,
            cli="Choose one (--recording ID).",
        )
    what = f"links '{media[0]}', which" if media else "matches no recording by name and"
    raise InteropError(
        f"'{path.name}' {what} is not in this project.",
        fix=Fix.IMPORT_AUDIO_OR_CHOOSE_RECORDING,
        cli="Import the audio first (jazba import PROJECT AUDIO), or choose the recording "
        "(--recording ID).",
    )


# -- 3. mapping --------------------------------------------------------------------------
def default_mapping(project: Project, doc: SourceDocument) -> list[TierMapping]:
    """One :class:`TierMapping` per source tier, from its name and the project's tiers."""
    with project.unit() as s:
        kinds = {name: kind for name, kind in s.execute(select(Tier.name, Tier.kind))}
        speakers = set(s.scalars(select(Speaker.name).where(Speaker.merged_into_id.is_(None))))
    out = []
    for tier in doc.tiers:
        name, speaker = tier.tier or tier.name, tier.speaker
        if speaker is None and name in speakers and name not in kinds:
            name, speaker = DEFAULT_TIER, tier.name  # a Praat tier named after a speaker
        kind = kinds.get(name) or tier.kind or _item_kind(tier.items) or guess_kind(name)
        out.append(TierMapping(tier.name, name, kind, speaker, tier.language))
    return out


def _item_kind(items: list[SourceItem]) -> str | None:
    return next((i.tier_kind for i in items if i.tier_kind), None)


def apply_overrides(
    mapping: list[TierMapping], overrides: dict[str, str | None]
) -> list[TierMapping]:
    """``source tier → "tier[@speaker]"`` (``None``: skip that tier), as ``--map`` gives."""
    sources = {m.source for m in mapping}
    unknown = set(overrides) - sources
    if unknown:
        raise InteropError(
            f"The file has no tier {', '.join(map(repr, sorted(unknown)))} "
            f"(its tiers: {', '.join(map(repr, sorted(sources)))})."
        )
    out = []
    for m in mapping:
        if m.source not in overrides:
            out.append(m)
        elif overrides[m.source] is None:
            out.append(replace(m, include=False))
        else:
            target = str(overrides[m.source])
            tier, at, speaker = target.partition("@")
            out.append(
                replace(
                    m,
                    tier=tier.strip() or m.tier,
                    speaker=speaker.strip() or None if at else m.speaker,
                )
            )
    return out


# -- 4. writing ------------------------------------------------------------------------
def import_annotations(
    project: Project,
    doc: SourceDocument,
    recording_id: int,
    mapping: list[TierMapping] | None = None,
    options: ImportOptions | None = None,
    state: Progress | None = None,
) -> ImportResult:
    """Write ``doc`` into ``recording_id`` as one undoable import operation."""
    return import_parts(project, doc, [recording_id], mapping, options, state)


def import_parts(
    project: Project,
    doc: SourceDocument,
    recording_ids: list[int],
    mapping: list[TierMapping] | None = None,
    options: ImportOptions | None = None,
    state: Progress | None = None,
) -> ImportResult:
    """Write ``doc`` into one recording, or — for a table that lists several
    recordings — each row into its own (``recording_ids`` in ``doc.media``
    order); one transaction and one undo step either way."""
    options = options or ImportOptions()
    state = state or JobState()
    mapping = mapping if mapping is not None else default_mapping(project, doc)
    with project.unit() as s:
        recs = []
        for rid in recording_ids:
            rec = s.get(Recording, rid)
            if rec is None:
                raise InteropError(f"There is no recording #{rid}.")
            recs.append((rid, rec.duration_ms, rec.title))
    planned: list[tuple[int, Planned]] = []
    warnings: list[str] = []
    parts = [doc] if len(recs) == 1 else _by_media(doc)
    state.set_progress(0.3, f"Checking {doc.path.name}")
    for part, (rid, duration, title) in zip(parts, recs, strict=True):
        segs, notes = plan(part, mapping, duration, options, title if len(recs) == 1 else "")
        planned += [(rid, seg) for seg in segs]
        warnings += [w for w in notes if w not in warnings]
    state.set_progress(0.35, f"Writing {len(planned)} segment(s)")
    written = write_planned(
        project,
        doc.path.name,
        planned,
        options,
        state,
        (0.35, 1.0),
        doc.vocabularies,
        doc.participants,
    )
    warnings += [w for w in written.warnings if w not in warnings]
    state.set_progress(1.0, "Import complete")
    return ImportResult(
        file=doc.path,
        recording_id=recording_ids[0],
        operation_id=written.operation_id,
        segments=len(planned),
        replaced=written.replaced,
        tiers_created=written.tiers_created,
        speakers_created=written.speakers_created,
        warnings=tuple(warnings),
        recording_ids=tuple(recording_ids),
    )


def _by_media(doc: SourceDocument) -> list[SourceDocument]:
    """One document per linked recording (``doc.media`` order), in one pass over the items."""
    slot = {media: n for n, media in enumerate(doc.media)}
    parts = [
        replace(doc, tiers=[replace(t, items=[]) for t in doc.tiers], media=[m], warnings=[])
        for m in doc.media
    ]
    for k, tier in enumerate(doc.tiers):
        for item in tier.items:
            n = slot.get(item.media or "")
            if n is not None:
                parts[n].tiers[k].items.append(item)
    return parts


def import_file(
    project: Project,
    path: str | os.PathLike[str],
    recording_id: int | None = None,
    overrides: dict[str, str | None] | None = None,
    options: ImportOptions | None = None,
    state: Progress | None = None,
) -> ImportResult:
    """Read, match, map and import one file (what ``jazba import`` does per file)."""
    options = options or ImportOptions()
    state = state or JobState()
    p = Path(path)
    state.set_progress(0.0, f"Reading {p.name}")
    fmt = format_of(p)
    if fmt == "txt":
        rid = recording_id if recording_id is not None else find_recording(project, p)
        with project.unit() as s:
            rec = s.get(Recording, rid)
            if rec is None:
                raise InteropError(f"There is no recording #{rid}.")
            duration = rec.duration_ms
        doc = read_annotations(p, duration_ms=duration, options=options)
        rids = [rid]
    else:
        doc = read_annotations(p, options=options)
        if recording_id is not None:
            rids = [recording_id]
        elif fmt in ("csv", "tsv", "jsonl", "rttm") and len(doc.media) > 1:
            rids = [find_recording(project, p, [m]) for m in doc.media]
        else:
            rids = [find_recording(project, p, doc.media)]
    mapping = default_mapping(project, doc)
    if overrides:
        mapping = apply_overrides(mapping, overrides)
    return import_parts(project, doc, rids, mapping, options, state)


__all__ = [
    "TIER_KINDS",
    "ImportOptions",
    "ImportResult",
    "apply_overrides",
    "default_mapping",
    "find_recording",
    "import_annotations",
    "import_file",
    "import_parts",
    "read_annotations",
]
