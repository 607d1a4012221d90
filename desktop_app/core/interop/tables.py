"""CSV/TSV tables and JSONL manifests (NeMo style), written and read back.

Every row has the segment's recording, times (ms and seconds), speaker (and
the speaker's gender, age band, birth year, dialect, region, first languages), tier,
language, status, raw and normalised text, and — when a unit provider gave
them — its unit sequence; JSONL rows of segments with word language tags add
``word_langs`` (kk / ru / other per word of ``text_raw``) and ``code_switched``.
JSONL rows are NeMo manifest lines
(``audio_filepath``, ``duration``, ``offset`` unless clips, ``text``) plus
those fields; ``text`` is the normalised text when normalisation is on.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from desktop_app.core.errors import InteropError
from desktop_app.core.interop.dataset import PARTICIPANT_FIELDS, Row
from desktop_app.core.interop.model import (
    DEFAULT_TIER,
    MAX_ITEMS,
    SourceDocument,
    SourceItem,
    SourceTier,
    track_name,
)
from desktop_app.core.interop.text import iter_lines, read_text_file
from desktop_app.core.interop.times import ms_from_ms, ms_from_seconds
from desktop_app.core.langtag import code_switched, lang_list

COLUMNS = (
    "utt_id",
    "recording_id",
    "recording",
    "audio_filepath",
    "offset",
    "duration",
    "start_ms",
    "end_ms",
    "speaker",
    *PARTICIPANT_FIELDS,
    "tier",
    "tier_kind",
    "language",
    "status",
    "split",
    "text",
    "text_normalized",
    "units",
)


def _record(row: Row, normalize: bool) -> dict[str, Any]:
    item = row.item
    return {
        "utt_id": row.utt_id,
        "recording_id": row.rec.id,
        "recording": row.rec.title,
        "audio_filepath": row.audio,
        "offset": row.offset_s,
        "duration": round(row.duration_s, 3),
        "start_ms": item.start_ms,
        "end_ms": item.end_ms,
        "speaker": item.speaker,
        **row.participant,
        "tier": item.tier,
        "tier_kind": item.tier_kind,
        "language": item.language,
        "status": item.status,
        "split": row.split,
        "text": row.text_normalized if normalize else row.text_raw,
        "text_raw": row.text_raw,
        "text_normalized": row.text_normalized,
        "units": list(item.units) if item.units is not None else None,
        "word_langs": lang_list(item.word_langs) if item.word_langs else None,
        "code_switched": code_switched(item.word_langs, item.language),
    }


def write_table(rows: list[Row], path: Path, delimiter: str, normalize: bool) -> None:
    columns = [*COLUMNS[:-2], "text_raw", *COLUMNS[-2:]] if normalize else list(COLUMNS)
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.DictWriter(
            fh, columns, delimiter=delimiter, extrasaction="ignore", lineterminator="\n"
        )
        out.writeheader()
        for row in rows:
            rec = _record(row, normalize)
            rec["units"] = " ".join(map(str, rec["units"])) if rec["units"] is not None else ""
            rec["offset"] = "" if rec["offset"] is None else f"{rec['offset']:.3f}"
            out.writerow({k: "" if v is None else v for k, v in rec.items()})


def write_jsonl(rows: list[Row], path: Path, normalize: bool) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            rec = _record(row, normalize)
            if rec["offset"] is None:
                del rec["offset"]
            if rec["units"] is None:
                del rec["units"]
            if rec["word_langs"] is None:  # no word tags: no code-switching fields
                del rec["word_langs"], rec["code_switched"]
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


# -- reading ---------------------------------------------------------------------------
_TEXT_FIELDS = ("speaker", "tier", "tier_kind", "language", "status", "recording")


def read_table(path: Path) -> SourceDocument:
    """A CSV/TSV table or a JSONL manifest, read row by row."""
    text = read_text_file(path)
    if path.suffix.lower() == ".jsonl":
        return rows_to_document(path, _json_rows(path, text))
    return rows_to_document(
        path, _csv_rows(path, text, "\t" if path.suffix.lower() == ".tsv" else ",")
    )


def _json_rows(path: Path, text: str) -> Iterator[tuple[int, Any]]:
    for n, line in enumerate(iter_lines(text), 1):
        if not line.strip():
            continue
        try:
            yield n, json.loads(line)
        except RecursionError:
            raise InteropError(
                f"'{path.name}' line {n} nests its values too deeply to be a manifest row."
            ) from None
        except ValueError as exc:  # JSONDecodeError, or an integer of thousands of digits
            detail = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            raise InteropError(f"'{path.name}' line {n} is not valid JSON: {detail}.") from None


def _csv_rows(path: Path, text: str, delimiter: str) -> Iterator[tuple[int, Any]]:
    lines = (line + "\n" for line in iter_lines(text))  # no StringIO: 4 bytes a character
    reader = csv.DictReader(lines, delimiter=delimiter)
    try:
        for rec in reader:
            yield reader.line_num, rec
    except csv.Error as exc:
        limit = csv.field_size_limit()
        detail = (
            f"a cell is longer than {limit // 1024} KB"
            if "field larger" in str(exc)
            else f"it is not a valid table ({exc})"
        )
        line = reader.reader.line_num  # DictReader's own count stops at the last good row
        raise InteropError(f"'{path.name}' line {line}: {detail}.") from None


def _ms(
    rec: dict[str, Any], key_ms: str, key_s: str | None, where: str, base: int = 0
) -> int | None:
    value = rec.get(key_ms)
    if value not in (None, ""):
        return ms_from_ms(value, f"{where}, field '{key_ms}'")
    if key_s and rec.get(key_s) not in (None, ""):
        return ms_from_seconds(rec[key_s], f"{where}, field '{key_s}'") + base
    return None


def _text(rec: dict[str, Any], key: str, where: str) -> str | None:
    """A text field: a string (or, for names, an integer); None when missing or empty."""
    value = rec.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool) and key in ("speaker", "recording"):
        return str(value)
    if not isinstance(value, str):
        raise InteropError(
            f"{where}, field '{key}': expected text, found {type(value).__name__} "
            f"{str(value)[:30]!r}."
        )
    return value.strip() or None


def rows_to_document(path: Path, rows: Iterable[tuple[int, Any]]) -> SourceDocument:
    """A document from ``(line number, record)`` pairs; a tier per tier and speaker."""
    doc = SourceDocument(path=path, format=path.suffix.lower().lstrip("."), tiers=[])
    tiers: dict[str, SourceTier] = {}
    media_seen: set[str] = set()
    for count, (line, rec) in enumerate(rows, 1):
        where = f"'{path.name}' line {line}"
        if not isinstance(rec, dict):
            raise InteropError(f"{where} is not an object with named fields.")
        if count > MAX_ITEMS:
            raise InteropError(
                f"'{path.name}' has more than {MAX_ITEMS:,} rows; split it into smaller files."
            )
        offset = rec.get("offset")
        start = _ms(rec, "start_ms", "offset", where)
        base = 0 if offset in (None, "") else ms_from_seconds(offset, f"{where}, field 'offset'")
        end = _ms(rec, "end_ms", "duration", where, base)
        if start is None or end is None:
            raise InteropError(
                f"{where} has no times: rows need start_ms/end_ms "
                "(or offset and duration in seconds)."
            )
        text = _text(rec, "text_raw", where) or _text(rec, "text", where) or ""
        fields = {key: _text(rec, key, where) for key in _TEXT_FIELDS}
        speaker = fields["speaker"]
        tier = fields["tier"] or DEFAULT_TIER
        name = track_name(tier, speaker)
        media = fields["recording"]
        if media and media not in media_seen:
            media_seen.add(media)
            doc.media.append(media)
        src = tiers.get(name)
        if src is None:
            src = tiers[name] = SourceTier(name=name, tier=tier, speaker=speaker)
            doc.tiers.append(src)
        src.items.append(
            SourceItem(
                start,
                end,
                text,
                language=fields["language"],
                status=fields["status"],
                tier_kind=fields["tier_kind"],
                media=media,
            )
        )
        if src.kind is None and fields["tier_kind"]:
            src.kind = fields["tier_kind"]
    return doc
