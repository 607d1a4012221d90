"""Concordance search: word, prefix and regex hits in context, over tiers and recordings."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from desktop_app.core.project import Project
from desktop_app.core.services.concordance import (
    CSV_FIELDS,
    SearchPatternError,
    concordance,
    kwic,
    plan,
    write_csv,
)
from desktop_app.core.services.regex_prefilter import required_literals
from desktop_app.core.services.segments import NewSegment, SegmentService
from desktop_app.core.services.speakers import SpeakerService, TierService
from tests.core.conftest import add_fake_recording


@pytest.fixture
def corpus(project: Project) -> dict[str, int]:
    """Two recordings, two tiers, two speakers; returns the ids by name."""
    r1 = add_fake_recording(project, "сұхбат")
    r2 = add_fake_recording(project, "әңгіме")
    tiers = TierService(project)
    main = next(t.id for t in tiers.list() if t.name == "transcription")
    ru = tiers.create("translation", kind="translation", language="ru").id
    sp = SpeakerService(project)
    aigul, erlan = sp.create("Айгүл").id, sp.create("Ерлан").id
    seg = SegmentService(project)

    def add(rec: int, start: int, text: str, tier: int = main, speaker: int | None = None) -> int:
        new = NewSegment(start, start + 900, text, speaker_id=speaker)
        return seg.add(rec, new, tier_id=tier).segment_id

    return {
        "r1": r1,
        "r2": r2,
        "main": main,
        "ru": ru,
        "a": add(r1, 0, "Біз ертең Алматыға барамыз, Алматы үлкен қала.", speaker=aigul),
        "b": add(r1, 1000, "Алматыдағы әжем бауырсақ пісірді", speaker=erlan),
        "c": add(r2, 0, "ҚАЗАҚСТАН — ұлы дала елі; Қазақ тілі", speaker=aigul),
        "d": add(r2, 1000, "Мы едем в Алматы. Ёлка и йогурт.", tier=ru),
        "e": add(r2, 2000, "елка и иогурт без букв ё и й"),
        "f": add(r2, 3000, "Өзен, Ұлы, Үй, Һәм, Іні, Ңа, Ғалым, Әже"),
    }


def ids(hits) -> list[int]:
    return [h.segment_id for h in hits]


def test_whole_word_is_not_a_substring(project: Project, corpus: dict[str, int]) -> None:
    hits = concordance(project, "алматы", mode="word")
    assert ids(hits) == [corpus["a"], corpus["d"]]  # not Алматыға, not Алматыдағы
    assert [h.match for h in hits] == ["Алматы", "Алматы"]
    prefix = concordance(project, "алматы", mode="prefix")
    assert [h.match for h in prefix] == ["Алматыға", "Алматы", "Алматыдағы", "Алматы"]
    assert ids(prefix) == [corpus["a"], corpus["a"], corpus["b"], corpus["d"]]  # each occurrence


def test_regex_finds_every_form_of_a_word(project: Project, corpus: dict[str, int]) -> None:
    hits = concordance(project, r"\bалмат\w*", mode="regex")
    assert [h.match for h in hits] == ["Алматыға", "Алматы", "Алматыдағы", "Алматы"]
    inner = concordance(project, r"алмат[ыа]д\w+", mode="regex")  # no word start: vocabulary
    assert [h.match for h in inner] == ["Алматыдағы"]
    tail = concordance(project, r"\w+дағы\b", mode="regex")
    assert [h.match for h in tail] == ["Алматыдағы"]
    assert [h.match for h in concordance(project, r"[ёй]\w+", mode="regex")] == ["Ёлка", "йогурт"]


def test_index_and_scan_agree(project: Project, corpus: dict[str, int]) -> None:
    """The FTS prefilter never loses a hit a full scan finds."""
    for pattern, mode in [
        (r"\bалмат\w*", "regex"),
        (r"алмат[ыа]\w*", "regex"),
        (r"\bқазақ(?:стан)?\b", "regex"),
        (r"(?i)ұлы\s+дала", "regex"),
        (r"[әө]\w+", "regex"),
        ("ұлы дала", "word"),
        ("қаз", "prefix"),
        ("ЁЛКА", "word"),
    ]:
        for case_sensitive in (False, True):
            fast = concordance(project, pattern, mode=mode, case_sensitive=case_sensitive)
            slow = concordance(
                project, pattern, mode=mode, case_sensitive=case_sensitive, prefilter=False
            )
            assert fast == slow, (pattern, case_sensitive)


def test_kazakh_and_russian_letters_are_word_letters(project: Project, corpus: dict[str, int]):
    for word in ("өзен", "ұлы", "үй", "һәм", "іні", "ңа", "ғалым", "әже"):
        hits = concordance(project, word, mode="word")
        assert corpus["f"] in ids(hits), word
        assert all(h.match.casefold() == word for h in hits)
    # й and ё are letters of their own: not folded to и and е
    assert ids(concordance(project, "йогурт", mode="word")) == [corpus["d"]]
    assert ids(concordance(project, "иогурт", mode="word")) == [corpus["e"]]
    assert ids(concordance(project, "ёлка", mode="word")) == [corpus["d"]]
    assert ids(concordance(project, "елка", mode="word")) == [corpus["e"]]


def test_case_folding_of_kazakh_and_russian_capitals(project: Project, corpus: dict[str, int]):
    assert [h.match for h in concordance(project, "қазақстан", mode="word")] == ["ҚАЗАҚСТАН"]
    assert [h.match for h in concordance(project, "ІНІ", mode="word")] == ["Іні"]
    assert [h.match for h in concordance(project, "ЁЛКА", mode="word")] == ["Ёлка"]
    assert concordance(project, "қазақстан", mode="word", case_sensitive=True) == []
    exact = concordance(project, "Қазақ", mode="word", case_sensitive=True)
    assert [h.match for h in exact] == ["Қазақ"]
    assert concordance(project, r"\bӘжем", mode="regex", case_sensitive=True) == []
    assert [h.match for h in concordance(project, r"\bӘжем", mode="regex")] == ["әжем"]


def test_tier_recording_filters_and_details(project: Project, corpus: dict[str, int]) -> None:
    ru = concordance(project, "алматы", mode="word", tier_id=corpus["ru"])
    assert ids(ru) == [corpus["d"]] and ru[0].tier_name == "translation"
    main = concordance(project, "алматы", mode="prefix", tier_id=corpus["main"])
    assert {h.tier_name for h in main} == {"transcription"} and len(main) == 3
    in_r2 = concordance(project, "алматы", mode="prefix", recording_id=corpus["r2"])
    assert ids(in_r2) == [corpus["d"]]
    first = concordance(project, "алматы", mode="prefix")[0]
    assert first.recording_title == "сұхбат" and first.speaker_name == "Айгүл"
    assert (first.start_ms, first.end_ms, first.status) == (0, 900, "edited")
    assert first.project == project.name
    assert len(concordance(project, "алматы", mode="prefix", limit=2)) == 2


def test_deleted_and_edited_segments(project: Project, corpus: dict[str, int]) -> None:
    seg = SegmentService(project)
    seg.edit_text(corpus["b"], "Астанадағы әжем")
    assert ids(concordance(project, r"\w+дағы", mode="regex")) == [corpus["b"]]
    seg.delete(corpus["b"])
    assert concordance(project, r"\w+дағы", mode="regex") == []


def test_kwic_context_is_cut_at_words() -> None:
    text = "бірінші екінші үшінші төртінші АЛМАТЫ бесінші алтыншы жетінші сегізінші"
    start = text.index("АЛМАТЫ")
    left, match, right = kwic(text, start, start + 6, context=18)
    assert match == "АЛМАТЫ"
    assert left == "…үшінші төртінші "  # "екінші" would be cut: dropped
    assert right == " бесінші алтыншы…"
    assert kwic("а\nб  в", 2, 3) == ("а ", "б", " в")  # line breaks shown as spaces


def test_multiword_phrase_and_punctuation(project: Project, corpus: dict[str, int]) -> None:
    hits = concordance(project, "ұлы дала", mode="word")
    assert ids(hits) == [corpus["c"]] and hits[0].match == "ұлы дала"
    assert hits[0].left == "ҚАЗАҚСТАН — " and hits[0].right == " елі; Қазақ тілі"
    assert concordance(project, "дала ұлы", mode="word") == []  # a phrase keeps its order


def test_invalid_regex_and_empty_patterns(project: Project, corpus: dict[str, int]) -> None:
    with pytest.raises(SearchPatternError, match=r"Not a valid regular expression.*position"):
        concordance(project, "алмат(", mode="regex")
    with pytest.raises(SearchPatternError, match="Unknown search mode"):
        concordance(project, "x", mode="fuzzy")  # type: ignore[arg-type]
    assert concordance(project, "  ", mode="regex") == []
    assert concordance(project, "— ;", mode="word") == []
    assert concordance(project, r"x*", mode="regex") == []  # empty matches are not hits


def test_prefilter_terms() -> None:
    assert required_literals(r"\bалмат[ыа]").terms == ('"алмат"*',)
    assert required_literals(r"\bмен\b").terms == ('"мен"',)
    assert required_literals(r"қазақ\s+тіл\w*") == required_literals(r"қазақ\s+тіл\w*")
    lit = required_literals(r"қазақ\s+тіл\w*")
    assert lit.terms == ('"тіл"*',) and lit.inner == ("қазақ",)
    assert required_literals(r"алмат[ыа]").terms == ()
    assert required_literals(r"кітап(тар)?|x").fts is None
    assert plan(r"\bалмат\w*", "regex").strategy == "index"  # type: ignore[union-attr]
    assert plan(r"алмат[ыа]", "regex").strategy == "vocabulary"  # type: ignore[union-attr]
    assert plan(r"[әө]\w+", "regex").strategy == "scan"  # type: ignore[union-attr]
    sensitive = plan(r"алмат[ыа]", "regex", case_sensitive=True)
    assert sensitive is not None and sensitive.strategy == "substring"


def test_random_regexes_index_equals_scan(project: Project) -> None:
    """Random texts and patterns: the prefiltered search equals a full scan."""
    rng = random.Random(3)
    letters = "аәбғдеёжийкқлмнңоөпрстуұүфхһчшыіэюя"
    words = ["".join(rng.choice(letters) for _ in range(rng.randint(1, 6))) for _ in range(60)]
    rec = add_fake_recording(project, duration_ms=100_000)
    seg = SegmentService(project)
    for i in range(80):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 8)))
        if rng.random() < 0.3:
            text = text.capitalize()
        seg.add(rec, NewSegment(i * 1000, i * 1000 + 900, text))
    found = 0
    for _ in range(40):
        w = rng.choice(words)
        k = rng.randint(0, len(w) - 1)
        pattern = rng.choice([rf"\b{w}", rf"{w[k:]}\w*", rf"\w*{w[: k + 1]}\b", rf"{w} \w+"])
        fast = concordance(project, pattern, mode="regex")
        slow = concordance(project, pattern, mode="regex", prefilter=False)
        assert fast == slow, pattern
        found += bool(fast)
    assert found >= 20  # most patterns do find something: the comparison is not vacuous


def test_write_csv(project: Project, corpus: dict[str, int], tmp_path: Path) -> None:
    hits = concordance(project, "алматы", mode="prefix")
    out = tmp_path / "hits.csv"
    assert write_csv(hits, out) == 4
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM: spreadsheets read Cyrillic right
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == CSV_FIELDS
    assert [r["match"] for r in rows] == ["Алматыға", "Алматы", "Алматыдағы", "Алматы"]
    first = rows[0]
    assert first["recording"] == "сұхбат" and first["speaker"] == "Айгүл"
    assert first["tier"] == "transcription" and first["start"] == "0:00:00.000"
    assert first["left"] + first["match"] + first["right"] == first["text"]
    assert not (tmp_path / "hits.csv.tmp").exists()
