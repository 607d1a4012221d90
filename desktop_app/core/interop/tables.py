"""CSV/TSV tables and JSONL manifests (NeMo style), written and read back.

Every row has the segment's recording, times (ms and seconds), speaker, tier,
language, status, raw and normalised text, and — when a unit provider gave
them — its unit sequence. JSONL rows are NeMo manifest lines
(``audio_filepath``, ``duration``, ``offset`` unless clips, ``text``) plus
those fields; ``text`` is the normalised text when normalisation is on.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from desktop_app.core.errors import InteropError
from desktop_app.core.interop.dataset import Row
from desktop_app.core.interop.model import (
    DEFAULT_TIER,
    SourceDocument,
    SourceItem,
    SourceTier,
    track_name,
)
from desktop_app.core.interop.text import read_text_file

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
        "tier": item.tier,
        "tier_kind": item.tier_kind,
        "language": item.language,
        "status": item.status,
        "split": row.split,
        "text": row.text_normalized if normalize else row.text_raw,
        "text_raw": row.text_raw,
        "text_normalized": row.text_normalized,
        "units": list(item.units) if item.units is not None else None,
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
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


# -- reading ---------------------------------------------------------------------------
def read_table(path: Path) -> SourceDocument:
    text = read_text_file(path)
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        records = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise InteropError(
                        f"'{path.name}' line {n} is not valid JSON: {exc.msg}."
                    ) from exc
    else:
        delimiter = "\t" if suffix == ".tsv" else ","
        records = list(csv.DictReader(io.StringIO(text), delimiter=delimiter))
    return rows_to_document(path, records)


def _ms(rec: dict[str, Any], key_ms: str, key_s: str | None, base: float = 0.0) -> int | None:
    value = rec.get(key_ms)
    if value not in (None, ""):
        return round(float(value))
    if key_s and rec.get(key_s) not in (None, ""):
        return round((float(rec[key_s]) + base) * 1000)
    return None


def rows_to_document(path: Path, records: list[dict[str, Any]]) -> SourceDocument:
    doc = SourceDocument(path=path, format=path.suffix.lower().lstrip("."), tiers=[])
    tiers: dict[str, SourceTier] = {}
    for n, rec in enumerate(records, 1):
        if not isinstance(rec, dict):
            raise InteropError(f"'{path.name}' row {n} is not an object with named fields.")
        try:
            start = _ms(rec, "start_ms", "offset")
            end = _ms(rec, "end_ms", "duration", base=float(rec.get("offset") or 0))
        except (TypeError, ValueError) as exc:
            raise InteropError(f"'{path.name}' row {n} has a time that is not a number.") from exc
        if start is None or end is None:
            raise InteropError(
                f"'{path.name}' row {n} has no times: rows need start_ms/end_ms "
                "(or offset and duration in seconds)."
            )
        text = rec.get("text_raw") or rec.get("text") or ""
        speaker = (rec.get("speaker") or "").strip() or None
        tier = (rec.get("tier") or "").strip() or DEFAULT_TIER
        name = track_name(tier, speaker)
        media = str(rec.get("recording") or "").strip()
        if media and media not in doc.media:
            doc.media.append(media)
        src = tiers.get(name)
        if src is None:
            src = tiers[name] = SourceTier(name=name, tier=tier, speaker=speaker)
            doc.tiers.append(src)
        src.items.append(
            SourceItem(
                start,
                end,
                str(text),
                language=(rec.get("language") or None),
                status=(rec.get("status") or None),
                tier_kind=(rec.get("tier_kind") or None),
                media=media or None,
            )
        )
        if src.kind is None and rec.get("tier_kind"):
            src.kind = str(rec["tier_kind"])
    return doc
