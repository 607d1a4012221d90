"""Plain-text transcripts that sit next to their audio (``interview.txt`` by ``interview.wav``).

Three shapes are understood:

* **Audacity labels** — every line ``start<TAB>end<TAB>text`` (seconds): one
  segment per line, with those times.
* **Whole transcript** (the default for text without times): the entire text
  becomes *one* segment spanning the whole recording. No times are invented;
  the reviewer splits it where the speech breaks (or runs alignment).
* **One line per segment** (``per_line=True``): each non-empty line becomes a
  segment and the recording is shared out in proportion to the lines' lengths.
  These times are only a first guess, so the segments are marked ``auto``
  (to be reviewed), never ``edited``.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from desktop_app.core.errors import InteropError
from desktop_app.core.interop.model import (
    DEFAULT_TIER,
    MAX_ITEMS,
    SourceDocument,
    SourceItem,
    SourceTier,
)
from desktop_app.core.interop.text import iter_lines, read_text_file, squeeze_spaces
from desktop_app.core.interop.times import ms_from_seconds

_LABEL = re.compile(r"^\s*(\d+(?:\.\d+)?)\t(\d+(?:\.\d+)?)\t(.*)$")
MIN_MS = 20


def read_plaintext(path: Path, duration_ms: int, *, per_line: bool = False) -> SourceDocument:
    text = read_text_file(path)
    count = sum(1 for line in iter_lines(text) if line.strip())  # streamed: no list of lines
    if not count:
        raise InteropError(f"'{path.name}' is empty: there is no text to import.")
    doc = SourceDocument(path=path, format="txt", tiers=[], duration_ms=duration_ms)
    tier = SourceTier(name=path.stem, tier=DEFAULT_TIER)
    labels = all(_LABEL.match(line) for line in iter_lines(text) if line.strip())
    if (labels or per_line) and count > MAX_ITEMS:
        raise InteropError(f"'{path.name}' has more than {MAX_ITEMS:,} lines.")
    if labels:
        for n, line in enumerate(iter_lines(text), 1):
            if m := _LABEL.match(line):
                where = f"'{path.name}' line {n}"
                start, end = ms_from_seconds(m[1], where), ms_from_seconds(m[2], where)
                tier.items.append(SourceItem(start, end, m[3].strip()))
    elif per_line:
        lines = [line.strip() for line in iter_lines(text) if line.strip()]
        weights = [max(1, len(line)) for line in lines]
        if duration_ms < MIN_MS * len(lines):
            raise InteropError(
                f"'{path.name}' has {len(lines)} lines but the recording is only "
                f"{duration_ms} ms long: too short for one segment per line."
            )
        total, acc = sum(weights), 0
        for line, w in zip(lines, weights, strict=True):
            start = duration_ms * acc // total
            acc += w
            end = duration_ms * acc // total
            tier.items.append(SourceItem(start, end, line, status="auto"))
        _spread_short(tier.items, duration_ms)
    else:
        tier.items.append(SourceItem(0, duration_ms, squeeze_spaces(text)))
    doc.tiers.append(tier)
    return doc


def _spread_short(items: list[SourceItem], duration_ms: int) -> None:
    """Give every guessed segment at least ``MIN_MS`` (short lines in long text)."""
    prev: int | None = None
    for i, item in enumerate(items):
        lo = 0 if prev is None else prev + MIN_MS
        hi = duration_ms - (len(items) - i) * MIN_MS
        item.start_ms = prev = min(max(item.start_ms, lo), hi)
    for item, nxt in itertools.pairwise(items):
        item.end_ms = nxt.start_ms
    items[-1].end_ms = duration_ms
