"""The model's words lined up with a segment's text (Qt-free logic)."""

from __future__ import annotations

from dataclasses import replace

from desktop_app.core.services.dto import SegmentInfo
from desktop_app.gui.review.word_spans import next_low_word, seek_ms, span_at_offset, word_spans


def seg(text: str, words: list[dict] | None, *, sid: int = 1, start: int = 1000, end: int = 3000):
    return SegmentInfo(
        id=sid,
        recording_id=1,
        tier_id=1,
        start_ms=start,
        end_ms=end,
        text=text,
        speaker_id=None,
        language="kk",
        status="auto",
        confidence=0.7,
        model_version_id=None,
        words=words,
        unit_perplexity=None,
    )


# what the transcription service stores: seconds from the recording's start
WORDS = [
    {"w": " таудын", "s": 1.0, "e": 1.42, "p": 0.31},
    {"w": " басында", "s": 1.42, "e": 2.05, "p": 0.93},
    {"w": " кар", "s": 2.05, "e": 2.4, "p": 0.52},
    {"w": " жатыр.", "s": 2.4, "e": 2.9, "p": 0.88},
]


def test_words_match_the_text_with_times_in_ms() -> None:
    spans = word_spans(seg("таудын басында кар жатыр.", WORDS), 0.6)
    assert spans is not None
    assert [(s.text, s.start_ms, s.end_ms, s.low) for s in spans] == [
        ("таудын", 1000, 1420, True),
        ("басында", 1420, 2050, False),
        ("кар", 2050, 2400, True),
        ("жатыр.", 2400, 2900, False),
    ]
    assert [s.offset for s in spans] == [0, 7, 15, 19]
    assert word_spans(seg("таудын басында кар жатыр.", WORDS), 0.5)[2].low is False


def test_after_a_correction_untouched_words_keep_their_timing() -> None:
    # the reviewer fixed "кар" -> "қар" and added a word
    spans = word_spans(seg("таудың басында қар әлі жатыр.", WORDS), 0.6)
    assert [(s.text, s.start_ms, s.low) for s in spans] == [
        ("таудың", None, False),  # typed by the reviewer: not the model's, never low
        ("басында", 1420, False),
        ("қар", None, False),
        ("әлі", None, False),
        ("жатыр.", 2400, False),
    ]
    s = seg("таудың басында қар әлі жатыр.", WORDS)
    assert seek_ms(s, spans, 0) == 1000  # nothing timed before it: the segment's start
    assert seek_ms(s, spans, 3) == 2050  # the end of "басында", the timed word before it
    assert seek_ms(s, spans, 4) == 2400


def test_imported_words_without_probability_are_never_low() -> None:
    words = [{"w": "сәлем", "s": 1.0, "e": 1.5}, {"w": "бе", "s": 1.5, "e": None}]
    spans = word_spans(seg("сәлем бе", words), 0.6)
    assert [(s.low, s.p, s.end_ms) for s in spans] == [(False, None, 1500), (False, None, None)]


def test_no_words_or_no_text_gives_none() -> None:
    assert word_spans(seg("сәлем", None), 0.6) is None
    assert word_spans(seg("сәлем", []), 0.6) is None
    assert word_spans(seg("   ", WORDS), 0.6) is None
    assert word_spans(seg("сәлем", [{"w": " "}, "junk"]), 0.6) is None


def test_offset_to_word() -> None:
    spans = word_spans(seg("таудын басында кар жатыр.", WORDS), 0.6)
    assert span_at_offset(spans, 0) == 0
    assert span_at_offset(spans, 6) == 0  # just after the last letter
    assert span_at_offset(spans, 7) == 1
    assert span_at_offset(spans, 24) == 3
    assert span_at_offset(spans, 30) is None


def test_seek_stays_inside_the_segment() -> None:
    words = [{"w": "ерте", "s": 0.8, "e": 1.2, "p": 0.2}]  # aligned a little early
    s = seg("ерте", words)
    assert seek_ms(s, word_spans(s, 0.6), 0) == 1000


def test_next_low_word_walks_the_recording_and_wraps() -> None:
    a = seg("таудын басында кар жатыр.", WORDS, sid=1)
    later = [{"w": " бірақ", "s": 5.1, "e": 5.5, "p": 0.1}]
    b = seg("бірақ", later, sid=2, start=5000, end=6000)
    done = replace(seg("бірақ", later, sid=3, start=7000, end=8000), status="approved")
    found = [next_low_word([b, done, a], ms, 0.6) for ms in (0, 1000, 2050, 5100)]
    assert [(f[0].id, f[1].text, f[2]) for f in found] == [
        (1, "таудын", 1000),
        (1, "кар", 2050),
        (2, "бірақ", 5100),
        (1, "таудын", 1000),  # wraps around; the approved segment is skipped
    ]
    assert next_low_word([done], 0, 0.6) is None


def test_an_approved_segment_has_no_low_words() -> None:
    s = replace(seg("таудын басында кар жатыр.", WORDS), status="approved")
    spans = word_spans(s, 0.6)
    assert not any(x.low for x in spans)
    assert spans[0].p == 0.31  # the probability is still known (tooltips show it)
