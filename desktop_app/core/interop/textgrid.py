"""Praat TextGrid: written and parsed with praatio.

Written (long text format, UTF-8, which Praat reads): an interval tier per
tier and speaker (``tier@speaker``), a parallel ``#lang`` tier when segments
have languages, and a ``#words`` tier when word timings exist. Review status
has no place in a TextGrid (use ELAN, CSV or JSONL to keep it).

Read: UTF-8 or UTF-16 (Praat's default for non-ASCII text), short or long
format. Empty intervals are gaps, not segments; point tiers are skipped with
a warning. Our ``#lang``/``#words`` tiers are folded back into their parent.
"""

from __future__ import annotations

from pathlib import Path

from praatio import textgrid as tgio
from praatio.data_classes.interval_tier import IntervalTier
from praatio.utilities import errors as praat_errors
from praatio.utilities import textgrid_io

from desktop_app.core.errors import InteropError
from desktop_app.core.interop.model import (
    LANG_SUFFIX,
    WORDS_SUFFIX,
    ExportRecording,
    Item,
    SourceDocument,
    SourceItem,
    SourceTier,
    lay_out_tracks,
    meta_parent,
    split_track_name,
)
from desktop_app.core.interop.text import read_text_file


def _s(ms: int) -> float:
    return ms / 1000


def write_textgrid(rec: ExportRecording, path: Path) -> None:
    end_s = _s(max([rec.duration_ms, *(i.end_ms for i in rec.items)]))
    tg = tgio.Textgrid(0.0, end_s)
    for name, items in lay_out_tracks(rec.items).items():
        tg.addTier(
            IntervalTier(name, [(_s(i.start_ms), _s(i.end_ms), i.text) for i in items], 0.0, end_s)
        )
        if any(i.language for i in items):
            entries = [(_s(i.start_ms), _s(i.end_ms), i.language) for i in items if i.language]
            tg.addTier(IntervalTier(name + LANG_SUFFIX, entries, 0.0, end_s))
        words = _word_entries(items, rec.duration_ms)
        if words:
            tg.addTier(IntervalTier(name + WORDS_SUFFIX, words, 0.0, end_s))
    tg.save(str(path), format="long_textgrid", includeBlankSpaces=True, reportingMode="error")


def _word_entries(items: list[Item], duration_ms: int) -> list[tuple[float, float, str]]:
    """Word intervals, inside the recording and in order (overlaps trimmed)."""
    out: list[tuple[int, int, str]] = []
    for item in items:
        for w in item.words or []:
            try:
                start = max(0, round(float(w["s"]) * 1000), out[-1][1] if out else 0)
                end = min(duration_ms, round(float(w["e"]) * 1000))
                label = str(w.get("w", "")).strip()
            except (KeyError, TypeError, ValueError):
                continue
            if label and end > start:
                out.append((start, end, label))
    return [(_s(a), _s(b), w) for a, b, w in out]


def read_textgrid(path: Path) -> SourceDocument:
    text = read_text_file(path)
    if "TextGrid" not in text[:200] and not text.lstrip().startswith("{"):
        raise InteropError(f"'{path.name}' is not a Praat TextGrid (no 'ooTextFile' header).")
    try:
        parsed = textgrid_io.parseTextgridStr(text, includeEmptyIntervals=False)
    except (praat_errors.PraatioException, ValueError, IndexError, KeyError, AttributeError) as exc:
        raise InteropError(
            f"'{path.name}' is a damaged TextGrid ({exc or type(exc).__name__}); "
            "open it in Praat and save it again."
        ) from exc
    doc = SourceDocument(path=path, format="textgrid", tiers=[])
    doc.duration_ms = round(float(parsed.get("xmax", 0)) * 1000) or None
    by_name: dict[str, SourceTier] = {}
    meta: list[tuple[str, str, list[tuple[int, int, str]]]] = []
    for tier in parsed["tiers"]:
        name = str(tier["name"])
        if tier["class"] != "IntervalTier":
            doc.warnings.append(
                f"Point tier '{name}' was skipped (only interval tiers hold segments)."
            )
            continue
        entries = [
            (round(float(e[0]) * 1000), round(float(e[1]) * 1000), str(e[2]))
            for e in tier["entries"]
        ]
        mp = meta_parent(name)
        if mp and mp[1] in (LANG_SUFFIX, WORDS_SUFFIX):
            meta.append((mp[0], mp[1], entries))
            continue
        if name in by_name:
            doc.warnings.append(f"Two tiers are named '{name}'; the second was skipped.")
            continue
        tier_name, speaker = split_track_name(name)
        src = SourceTier(name=name, tier=tier_name, speaker=speaker)
        src.items = [SourceItem(a, b, t.strip()) for a, b, t in entries]
        by_name[name] = src
        doc.tiers.append(src)
    for parent, suffix, entries in meta:
        src = by_name.get(parent)
        if src is None:
            doc.warnings.append(f"Tier '{parent}{suffix}' has no tier '{parent}' and was skipped.")
            continue
        for a, b, label in entries:
            mid = (a + b) // 2
            item = next((i for i in src.items if i.start_ms <= mid < i.end_ms), None)
            if item is None:
                continue
            if suffix == LANG_SUFFIX:
                item.language = label.strip() or None
            else:
                item.words = [
                    *(item.words or []),
                    {"w": label.strip(), "s": a / 1000, "e": b / 1000},
                ]
    return doc
