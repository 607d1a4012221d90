"""Text for the bootstrap: preparation, sentences, word lists, carrier phrases, languages."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app.core.learning.normalize import normalize_kk
from desktop_app.core.learning.text_sources import (
    CARRIERS,
    TextSourceError,
    carrier_sentences,
    language_runs,
    looks_like_word_list,
    parse_word_list,
    prepare_text,
    read_text_source,
    split_sentences,
    vocabulary,
)
from desktop_app.services.text_bootstrap import drop_held_out


def test_prepare_keeps_case_and_punctuation_and_spells_numbers() -> None:
    assert prepare_text("  Біз 2024 жылы [күлкі] Алматыға бардық! ") == (
        "Біз екі мың жиырма төрт жылы Алматыға бардық!"
    )
    assert prepare_text("5-ші сынып") == "бесінші сынып"


def test_plain_text_is_cut_into_sentences_and_long_ones_into_pieces() -> None:
    text = "Бүгін ауа райы жақсы. Біз ертең барамыз!\nТаудың басында қар жатыр"
    assert split_sentences(text) == [
        "Бүгін ауа райы жақсы.", "Біз ертең барамыз!", "Таудың басында қар жатыр",
    ]  # fmt: skip
    long = " ".join(["сөз"] * 50)
    pieces = split_sentences(long, max_words=24)
    assert [len(p.split()) for p in pieces] == [24, 24, 2]


def test_word_lists_are_detected_and_read_as_lexicons(tmp_path: Path) -> None:
    assert looks_like_word_list(["бауырсақ", "қымыз", "Абай Құнанбайұлы", "# names"])
    assert not looks_like_word_list(["Бүгін ауа райы өте жақсы.", "Біз ертең барамыз."])
    lexicon = ["бауырсақ\tfried dough", "Қымыз, mare's milk", "бауырсақ", "# comment", ""]
    assert parse_word_list(lexicon) == ["бауырсақ", "Қымыз"]
    f = tmp_path / "names.txt"
    f.write_text("Алматы\nЕрлан\nдомбыра\n", encoding="utf-8")
    src = read_text_source(f)
    assert (src.kind, src.words, src.sentences) == ("words", ("Алматы", "Ерлан", "домбыра"), ())
    essay = tmp_path / "essay.txt"
    essay.write_text("Абай ақын болған. Ол көп өлең жазды.", encoding="utf-8")
    assert read_text_source(essay).sentences == ("Абай ақын болған.", "Ол көп өлең жазды.")
    empty = tmp_path / "empty.txt"
    empty.write_text("...\n", encoding="utf-8")
    with pytest.raises(TextSourceError, match="no words"):
        read_text_source(empty)
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("café".encode("latin-1"))
    with pytest.raises(TextSourceError, match="not UTF-8"):
        read_text_source(bad)


def test_carrier_phrases_put_each_word_in_frames_and_lists_deterministically() -> None:
    words = ["бауырсақ", "домбыра", "қымыз", "Алматы"]
    out = carrier_sentences(words, per_word=3, lists_per_word=1, seed=1)
    assert out == carrier_sentences(words, per_word=3, lists_per_word=1, seed=1)
    frames = {f.format(w=w) for f in CARRIERS for w in words}
    framed = [s for s in out if s in frames]
    for w in words:
        mine = [s for s in framed if w in s]
        assert len(mine) == 3
        # Each sentence is one of the frames with the word in it.
        assert all(any(s == f.format(w=w) for f in CARRIERS) for s in mine)
    lists = [s for s in out if s not in frames]
    listed = [w for s in lists for w in normalize_kk(s).split()]
    assert sorted(listed) == sorted(normalize_kk(w) for w in words)  # each word in one list
    three = carrier_sentences(words, per_word=0, lists_per_word=3, seed=1)
    assert len([w for s in three for w in normalize_kk(s).split()]) == 12
    assert any("," in s for s in three) and any("," not in s for s in three)
    # Adding a word keeps the other words' frames.
    more = carrier_sentences([*words, "кітап"], per_word=3, lists_per_word=1, seed=1)
    assert set(framed) <= set(more)
    assert carrier_sentences(words, per_word=3, seed=2) != out


def test_code_switched_text_is_split_into_language_runs() -> None:
    assert language_runs("мен бүгін встречаға кешігіп қалдым") == [
        ("kk", "мен бүгін встречаға кешігіп қалдым")
    ]
    assert language_runs("сен маған звонить етпедің ғой") == [
        ("kk", "сен маған"), ("ru", "звонить"), ("kk", "етпедің ғой"),
    ]  # fmt: skip
    assert language_runs("это очень важно деді ол") == [
        ("ru", "это очень важно"), ("kk", "деді ол"),
    ]  # fmt: skip


def test_held_out_texts_are_never_spoken_but_their_words_may_be() -> None:
    held = ["Біз ертең Алматыға барамыз.", "иә"]
    sentences = [
        "біз ертең алматыға барамыз",  # the same text
        "Сонда біз ертең алматыға барамыз ба?",  # holds it
        "ертең алматыға барамыз",  # a three-word piece of it
        "Бұл сөз – Алматыға.",  # one of its words: fine
        "иә, солай",  # holds a one-word held-out text: fine
        "Иә!",  # equal to one: dropped
    ]
    kept, dropped = drop_held_out(sentences, held)
    assert kept == ["Бұл сөз – Алматыға.", "иә, солай"]
    assert len(dropped) == 4
    assert vocabulary(kept) == {"бұл", "сөз", "алматыға", "иә", "солай"}
