"""Praat TextGrid: written with praatio, read by :mod:`.praat_text`.

Written (long text format, UTF-8, which Praat reads): an interval tier per
tier and speaker (``tier@speaker``), a parallel ``#lang`` tier when segments
have languages, a ``#words`` tier when word timings exist, and a ``#wordlang``
tier with the language of each word (kk / ru / other; at the model's word times,
else shared out by character count) when segments have word language tags.
Review status has no place in a TextGrid (use ELAN, CSV or JSONL to keep it).
Child tiers are flattened into interval tiers beside their parents (laid out as for ELAN,
see :mod:`.hierarchy`): an association child (a translation) has its parent's
times, a subdivision (words) or included-in child its own.

Read: UTF-8 or UTF-16 (Praat's default for non-ASCII text), long, short or
chronological format. Empty intervals are gaps, not segments; point tiers are
skipped with a warning. Our ``#lang``/``#words`` tiers are folded back into
their parent. A tier's kind is guessed from its name (``words``, ``phones``,
``translation``…; see :mod:`.kinds`).
"""

from __future__ import annotations

import bisect
from pathlib import Path

from praatio import textgrid as tgio
from praatio.data_classes.interval_tier import IntervalTier

from desktop_app.core.errors import InteropError
from desktop_app.core.interop.hierarchy import plan_tracks
from desktop_app.core.interop.kinds import guess_kind
from desktop_app.core.interop.model import (
    LANG_SUFFIX,
    WORDLANG_SUFFIX,
    WORDS_SUFFIX,
    ExportRecording,
    Item,
    SourceDocument,
    SourceItem,
    SourceTier,
    meta_parent,
    split_track_name,
)
from desktop_app.core.interop.praat_text import INTERVAL_TIER, parse_textgrid
from desktop_app.core.interop.text import read_text_file
from desktop_app.core.langtag import LANGS, tokenize
from desktop_app.core.langtag.timing import word_times


def _s(ms: int) -> float:
    return ms / 1000


def write_textgrid(rec: ExportRecording, path: Path) -> None:
    end_s = _s(max([rec.duration_ms, *(i.end_ms for i in rec.items)]))
    tg = tgio.Textgrid(0.0, end_s)
    for name, items in _flat_tracks(rec):
        tg.addTier(
            IntervalTier(name, [(_s(i.start_ms), _s(i.end_ms), i.text) for i in items], 0.0, end_s)
        )
        if any(i.language for i in items):
            entries = [(_s(i.start_ms), _s(i.end_ms), i.language) for i in items if i.language]
            tg.addTier(IntervalTier(name + LANG_SUFFIX, entries, 0.0, end_s))
        words = _word_entries(items, rec.duration_ms)
        if words:
            tg.addTier(IntervalTier(name + WORDS_SUFFIX, words, 0.0, end_s))
        langs = _word_lang_entries(items)
        if langs:
            tg.addTier(IntervalTier(name + WORDLANG_SUFFIX, langs, 0.0, end_s))
    tg.save(str(path), format="long_textgrid", includeBlankSpaces=True, reportingMode="error")


def _flat_tracks(rec: ExportRecording) -> list[tuple[str, list[Item]]]:
    """Interval tiers: each file tier of the hierarchy, split into lanes if its
    annotations overlap (children inside one parent may)."""
    out: list[tuple[str, list[Item]]] = []
    for track in plan_tracks(rec):
        if track.parent is None:
            out.append((track.name, track.items))
            continue
        lanes: list[list[Item]] = []
        for item in sorted(track.items, key=lambda i: (i.start_ms, i.end_ms)):
            lane = next((ln for ln in lanes if ln[-1].end_ms <= item.start_ms), None)
            if lane is None:
                lanes.append([item])
            else:
                lane.append(item)
        out += [(track.name + (f"~{k + 1}" if k else ""), ln) for k, ln in enumerate(lanes)]
    return out


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


def _word_lang_entries(items: list[Item]) -> list[tuple[float, float, str]]:
    """One interval per tagged word, labelled with its language (kk / ru / other)."""
    out: list[tuple[float, float, str]] = []
    for item in items:
        if item.word_langs:
            for a, b, _, lang in word_times(
                item.start_ms, item.end_ms, item.word_langs, item.words
            ):
                out.append((_s(a), _s(b), lang))
    return out


def read_textgrid(path: Path) -> SourceDocument:
    text = read_text_file(path)
    head = text[:300]
    if "TextGrid" not in head and "ooTextFile" not in head:
        raise InteropError(f"'{path.name}' is not a Praat TextGrid (no 'ooTextFile' header).")
    grid = parse_textgrid(text, path.name)
    doc = SourceDocument(path=path, format="textgrid", tiers=[])
    doc.duration_ms = grid.xmax_ms if grid.xmax_ms > 0 else None
    by_name: dict[str, SourceTier] = {}
    meta: list[tuple[str, str, list[tuple[int, int, str]]]] = []
    for tier in grid.tiers:
        if tier.kind != INTERVAL_TIER:
            doc.warnings.append(
                f"Point tier '{tier.name}' was skipped (only interval tiers hold segments)."
            )
            continue
        if tier.name.endswith(WORDLANG_SUFFIX) and len(tier.name) > len(WORDLANG_SUFFIX):
            meta.append((tier.name[: -len(WORDLANG_SUFFIX)], WORDLANG_SUFFIX, tier.entries))
            continue
        mp = meta_parent(tier.name)
        if mp and mp[1] in (LANG_SUFFIX, WORDS_SUFFIX):
            meta.append((mp[0], mp[1], tier.entries))
            continue
        if tier.name in by_name:
            doc.warnings.append(f"Two tiers are named '{tier.name}'; the second was skipped.")
            continue
        tier_name, speaker = split_track_name(tier.name)
        src = SourceTier(
            name=tier.name, tier=tier_name, speaker=speaker, kind=guess_kind(tier.name)
        )
        src.items = [SourceItem(a, b, t.strip()) for a, b, t in tier.entries]
        by_name[tier.name] = src
        doc.tiers.append(src)
    for parent, suffix, entries in meta:
        src = by_name.get(parent)
        if src is None:
            doc.warnings.append(f"Tier '{parent}{suffix}' has no tier '{parent}' and was skipped.")
            continue
        if suffix == WORDLANG_SUFFIX:
            _fold_word_langs(src, entries)
        else:
            _fold_meta(src, suffix, entries)
    return doc


def _fold_word_langs(src: SourceTier, entries: list[tuple[int, int, str]]) -> None:
    """Give each segment the languages of its words from a ``#wordlang`` tier
    (in word order; kept as a person's tags, when they match its words in number)."""
    items = sorted(src.items, key=lambda i: i.start_ms)
    starts = [i.start_ms for i in items]
    labels: dict[int, list[str]] = {}
    for a, b, label in sorted(entries):
        k = bisect.bisect_right(starts, (a + b) // 2) - 1
        if k >= 0 and items[k].start_ms <= (a + b) // 2 < items[k].end_ms and label.strip():
            labels.setdefault(k, []).append(label.strip())
    for k, langs in labels.items():
        words = tokenize(items[k].text)
        if len(words) == len(langs) and all(lang in LANGS for lang in langs):
            items[k].word_langs = [
                {"w": w, "l": lang, "by": "user"} for w, lang in zip(words, langs, strict=True)
            ]


def _fold_meta(src: SourceTier, suffix: str, entries: list[tuple[int, int, str]]) -> None:
    """Put a ``#lang``/``#words`` tier's labels on the items they fall in."""
    items = sorted(src.items, key=lambda i: i.start_ms)
    starts = [i.start_ms for i in items]
    for a, b, label in entries:
        mid = (a + b) // 2
        k = bisect.bisect_right(starts, mid) - 1
        if k < 0 or not items[k].start_ms <= mid < items[k].end_ms:
            continue
        item = items[k]
        if suffix == LANG_SUFFIX:
            item.language = label.strip() or None
        else:
            item.words = [*(item.words or []), {"w": label.strip(), "s": a / 1000, "e": b / 1000}]
