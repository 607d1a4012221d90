"""RTTM, the diarization format (NIST Rich Transcription Time Marked).

One line per speaker turn, times in seconds::

    SPEAKER <file-id> 1 <start> <duration> <NA> <NA> <speaker> <NA> <NA>

Fields are separated by white space, so spaces in file ids and speaker names
are written as ``_`` and read back as spaces. Only segments with a speaker are
written (RTTM says who speaks, not what); lines of other types (``SPKR-INFO``,
``LEXEME``…) are skipped when reading, and ``;;`` lines are comments.
"""

from __future__ import annotations

import re
from pathlib import Path

from desktop_app.core.errors import InteropError
from desktop_app.core.interop.model import ExportRecording, SourceDocument, SourceItem, SourceTier
from desktop_app.core.interop.text import iter_lines, read_text_file
from desktop_app.core.project import DEFAULT_TIER

_SPACE = re.compile(r"\s+")


def token(text: str) -> str:
    """``text`` as one RTTM field (white space becomes ``_``)."""
    return _SPACE.sub("_", text.strip()) or "<NA>"


def file_id(rec: ExportRecording) -> str:
    return token(Path(rec.original_filename).stem or rec.title)


def turn_line(fid: str, start_ms: int, end_ms: int, speaker: str) -> str:
    """One ``SPEAKER`` line (turns of different speakers may overlap: RTTM allows it)."""
    return (
        f"SPEAKER {token(fid)} 1 {start_ms / 1000:.3f} {(end_ms - start_ms) / 1000:.3f}"
        f" <NA> <NA> {token(speaker)} <NA> <NA>\n"
    )


def write_rttm(rec: ExportRecording, path: Path) -> int:
    """Write the items that have a speaker; returns how many lines were written."""
    fid = file_id(rec)
    seen: set[tuple[int, int, str]] = set()
    lines = []
    for item in sorted(rec.items, key=lambda i: (i.start_ms, i.end_ms, i.speaker or "")):
        if not item.speaker or item.end_ms <= item.start_ms:
            continue
        key = (item.start_ms, item.end_ms, item.speaker)
        if key in seen:  # the same turn on several tiers
            continue
        seen.add(key)
        lines.append(turn_line(fid, item.start_ms, item.end_ms, item.speaker))
    path.write_text("".join(lines), encoding="utf-8")
    return len(lines)


def read_rttm(path: Path) -> SourceDocument:
    """The ``SPEAKER`` lines of ``path`` as speaker turns (empty text), per file id."""
    doc = SourceDocument(path=path, format="rttm", tiers=[])
    tier = SourceTier(name="speakers", tier=DEFAULT_TIER)
    media: list[str] = []
    for n, line in enumerate(iter_lines(read_text_file(path)), 1):
        fields = line.split()
        if not fields or fields[0].startswith(";;") or fields[0] != "SPEAKER":
            continue
        try:
            fid, start, dur, name = fields[1], float(fields[3]), float(fields[4]), fields[7]
        except (IndexError, ValueError) as exc:
            raise InteropError(
                f"'{path.name}', line {n}: not an RTTM SPEAKER line "
                "(SPEAKER file 1 start duration <NA> <NA> speaker <NA> <NA>)."
            ) from exc
        if start < 0 or dur <= 0:
            doc.warnings.append(f"Line {n}: a turn with no length or a negative start; skipped.")
            continue
        start_ms = round(start * 1000)
        speaker = None if name == "<NA>" else name.replace("_", " ")
        tier.items.append(
            SourceItem(start_ms, start_ms + round(dur * 1000), "", speaker=speaker, media=fid)
        )
        if fid not in media:
            media.append(fid)
    if not tier.items:
        raise InteropError(f"'{path.name}' has no RTTM SPEAKER lines.")
    doc.tiers.append(tier)
    doc.media = media
    return doc
