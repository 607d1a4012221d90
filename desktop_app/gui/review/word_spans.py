"""The model's words lined up with a segment's (possibly corrected) text.

``Segment.words`` is the model's JSON ``[{w, s, e, p}]``: the word as the model
wrote it (often with a leading space), its start and end in seconds from the
start of the recording (``None`` when unknown) and its probability (absent
for imported annotations). The transcript shows the segment's *text*, which
the reviewer may have changed since; the text's words are matched to the
model's words in order (:class:`difflib.SequenceMatcher`), so the words the
reviewer left alone keep their timings and probabilities and the words they
typed have none (they are the reviewer's, not the model's, so never "low").
Nothing is "low" in an approved segment: the reviewer has vouched for it.

Qt-free: used by the transcript's text delegate, the table model and the
"next low-confidence word" command.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from desktop_app.core.services.dto import SegmentInfo


@dataclass(frozen=True)
class WordSpan:
    """One whitespace-separated word of a segment's text."""

    text: str
    offset: int  # where it starts in ``" ".join(words)`` (the text as shown)
    start_ms: int | None  # from the model's word, when matched and timed
    end_ms: int | None
    p: float | None  # the model's probability, when matched and known
    low: bool  # p below the review threshold

    @property
    def end_offset(self) -> int:
        return self.offset + len(self.text)


def _model_words(raw: Iterable[object]) -> list[dict]:
    return [w for w in raw if isinstance(w, dict) and str(w.get("w", "")).strip()]


def _ms(value: object) -> int | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return round(float(value) * 1000)
    return None


def word_spans(seg: SegmentInfo, threshold: float) -> list[WordSpan] | None:
    """The words of ``seg.text`` with what the model said about each, or
    ``None`` when the segment has no model words (nothing to show or seek)."""
    if not seg.words or not seg.text.strip():
        return None
    model = _model_words(seg.words)
    if not model:
        return None
    tokens = seg.text.split()
    matched: dict[int, dict] = {}
    said = [str(w["w"]).strip() for w in model]
    matcher = difflib.SequenceMatcher(None, said, tokens, autojunk=False)
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            matched[block.b + k] = model[block.a + k]
    spans: list[WordSpan] = []
    offset = 0
    for i, tok in enumerate(tokens):
        w = matched.get(i)
        start = end = p = None
        if w is not None:
            start, end = _ms(w.get("s")), _ms(w.get("e"))
            raw_p = w.get("p")
            if isinstance(raw_p, int | float) and not isinstance(raw_p, bool):
                p = float(raw_p)
        low = p is not None and p < threshold and seg.status != "approved"
        spans.append(WordSpan(tok, offset, start, end, p, low))
        offset += len(tok) + 1
    return spans


def span_at_offset(spans: list[WordSpan], offset: int) -> int | None:
    """The index of the word a text cursor at ``offset`` touches (its start
    up to and including its end), or ``None`` (e.g. past the last word)."""
    for i, span in enumerate(spans):
        if span.offset <= offset <= span.end_offset:
            return i
    return None


def seek_ms(seg: SegmentInfo, spans: list[WordSpan], index: int) -> int:
    """Where a click on word ``index`` puts the playhead: the word's start;
    for a word without a time (typed by the reviewer) the end of the closest
    timed word before it, else the segment's start. Kept inside the segment."""
    ms: int | None = spans[index].start_ms
    if ms is None:
        ms = next((s.end_ms for s in reversed(spans[:index]) if s.end_ms is not None), seg.start_ms)
    return min(max(ms, seg.start_ms), max(seg.start_ms, seg.end_ms - 1))


def next_low_word(
    segments: Iterable[SegmentInfo],
    after_ms: int,
    threshold: float | Callable[[SegmentInfo], float],
) -> tuple[SegmentInfo, WordSpan, int] | None:
    """The first low-confidence word starting after ``after_ms`` (segments
    taken in time order, approved ones skipped); wraps around to the start
    of the recording. ``threshold``: one for all, or each segment's (thresholds
    are calibrated per model version). ``(segment, word, where to seek)`` or ``None``."""
    threshold_of = threshold if callable(threshold) else (lambda _seg: threshold)
    ordered = sorted(segments, key=lambda s: (s.start_ms, s.id))
    found: list[tuple[int, SegmentInfo, int, WordSpan]] = []
    for seg in ordered:
        if seg.status == "approved":
            continue
        spans = word_spans(seg, threshold_of(seg)) or []
        found.extend((seek_ms(seg, spans, i), seg, i, s) for i, s in enumerate(spans) if s.low)
    if not found:
        return None
    found.sort(key=lambda f: f[0])
    later = [f for f in found if f[0] > after_ms]
    at, seg, _i, span = (later or found)[0]
    return seg, span, at
