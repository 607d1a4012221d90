"""Times of tagged words, for word tiers in exports and for drawing them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from desktop_app.core.langtag.lexicon import fold


def word_times(
    start_ms: int,
    end_ms: int,
    tags: Sequence[Mapping[str, Any]],
    model_words: Sequence[Mapping[str, Any]] | None = None,
) -> list[tuple[int, int, str, str]]:
    """``(start_ms, end_ms, word, lang)`` for each tagged word of a segment.

    The model's word timings when they give every word (same words, in order,
    inside the segment); otherwise the segment's span shared out by character
    count (a word's share is its length plus one for the space).
    """
    timed = _model_times(start_ms, end_ms, tags, model_words)
    if timed is not None:
        return timed
    weights = [len(str(t.get("w", ""))) + 1 for t in tags]
    total = sum(weights) or 1
    out: list[tuple[int, int, str, str]] = []
    acc = 0
    span = end_ms - start_ms
    for t, w in zip(tags, weights, strict=True):
        a = start_ms + span * acc // total
        acc += w
        b = start_ms + span * acc // total
        if b > a:
            out.append((a, b, str(t.get("w", "")), str(t.get("l", ""))))
    return out


def _model_times(
    start_ms: int,
    end_ms: int,
    tags: Sequence[Mapping[str, Any]],
    model_words: Sequence[Mapping[str, Any]] | None,
) -> list[tuple[int, int, str, str]] | None:
    if not model_words:
        return None
    said = [w for w in model_words if str(w.get("w", "")).strip()]
    if len(said) != len(tags):
        return None
    out: list[tuple[int, int, str, str]] = []
    last = start_ms
    for t, w in zip(tags, said, strict=True):
        if fold(str(w.get("w", "")).strip(" .,!?;:")) != fold(str(t.get("w", ""))):
            return None
        try:
            a = max(last, round(float(w["s"]) * 1000), start_ms)
            b = min(end_ms, round(float(w["e"]) * 1000))
        except (KeyError, TypeError, ValueError):
            return None
        if b <= a:
            return None
        out.append((a, b, str(t.get("w", "")), str(t.get("l", ""))))
        last = b
    return out
