"""The word language tagger: accuracy on hand-labelled code-switched sentences,
the rules it follows, user tags through edits, speed, and no word lists."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from desktop_app.core.langtag import Tagger, is_mixed, load_lexicon, tags_for, tokenize
from desktop_app.core.langtag.lexicon import HunspellWords, Lexicon, find_dictionary
from tests.core.langtag_sentences import SENTENCES

HAVE_DICTS = find_dictionary("kk_KZ") is not None and find_dictionary("ru_RU") is not None
needs_dicts = pytest.mark.skipif(not HAVE_DICTS, reason="hunspell-kk / hunspell-ru not installed")


def accuracy(tagger: Tagger) -> tuple[float, int, list[str]]:
    right = total = 0
    misses = []
    for text, labels in SENTENCES:
        gold = labels.split()
        got = [t["l"] for t in tagger.tag(text)]
        assert len(got) == len(gold), text
        for word, g, p in zip(tokenize(text), gold, got, strict=True):
            total += 1
            right += g == p
            if g != p:
                misses.append(f"{word}: {p} (should be {g})")
    return right / total, total, misses


@needs_dicts
def test_accuracy_with_word_lists() -> None:
    acc, n, misses = accuracy(Tagger(load_lexicon()))
    print(f"\nword language accuracy with hunspell-kk/-ru: {acc:.1%} of {n} words; {misses}")
    assert n >= 200
    assert acc >= 0.95, misses


def test_accuracy_without_word_lists_and_warning() -> None:
    tagger = Tagger(Lexicon(missing=("Kazakh", "Russian")))
    acc, n, misses = accuracy(tagger)
    print(f"\nword language accuracy from letters and common words only: {acc:.1%} of {n}")
    assert acc >= 0.8, misses
    assert tagger.warning is not None and "hunspell-kk" in tagger.warning
    assert "hunspell-ru" in tagger.warning


def test_missing_folder_gives_an_empty_lexicon_with_warning(tmp_path: Path) -> None:
    lexicon = load_lexicon([tmp_path])
    assert lexicon.kk is None and lexicon.ru is None
    assert lexicon.warning and "Kazakh and Russian word lists are not installed" in lexicon.warning


def test_tokenize_keeps_hyphens_digits_and_drops_punctuation() -> None:
    assert tokenize("Ну, что-то... 9-да Алматы-ға! (OK)") == [
        "Ну",
        "что-то",
        "9-да",
        "Алматы-ға",
        "OK",
    ]


def test_rules_kazakh_letters_latin_and_neighbours() -> None:
    tagger = Tagger(Lexicon(missing=("Kazakh", "Russian")))
    tags = [t["l"] for t in tagger.tag("Қазір мен iPhone алдым, да")]
    assert tags == ["kk", "kk", "other", "kk", "kk"]  # "да" takes its neighbour's language
    # a word no list knows, between Russian words, is Russian; the segment's language decides alone
    assert [t["l"] for t in tagger.tag("это зарплата была")] == ["ru", "ru", "ru"]
    assert [t["l"] for t in tagger.tag("зарплата", prior="ru")] == ["ru"]
    assert [t["l"] for t in tagger.tag("зарплата", prior="kk")] == ["kk"]


def test_model_word_language_is_used_for_undecided_words() -> None:
    tagger = Tagger(Lexicon(missing=("Kazakh", "Russian")))
    words = [{"w": "зарплата", "lang": "ru"}, {"w": "жақсы"}]
    assert [t["l"] for t in tagger.tag("зарплата жақсы", model_words=words)] == ["ru", "kk"]


@needs_dicts
def test_suffix_rules_find_inflected_forms() -> None:
    kk_files, ru_files = find_dictionary("kk_KZ"), find_dictionary("ru_RU")
    assert kk_files and ru_files
    kk, ru = HunspellWords(*kk_files), HunspellWords(*ru_files)
    assert "мектептерде" not in ru and "кітаптарымыз" in kk
    assert "красивого" in ru and "сделали" in ru and "сделали" not in kk
    assert "ещё" in ru and "еще" in ru  # ё and е are the same to the lookup


def test_user_tags_survive_an_edit_of_another_word() -> None:
    tagger = Tagger(Lexicon(missing=("Kazakh", "Russian")))
    tags = tagger.tag("Мен бүгін машина үшін келдім")
    tags[2] = {**tags[2], "l": "ru", "by": "user"}
    after = tagger.retag(tags, "Мен кеше жаңа машина үшін келдім")
    assert [(t["w"], t["l"], t["by"]) for t in after] == [
        ("Мен", "kk", "auto"),
        ("кеше", "kk", "auto"),
        ("жаңа", "kk", "auto"),
        ("машина", "ru", "user"),
        ("үшін", "kk", "auto"),
        ("келдім", "kk", "auto"),
    ]
    # the word itself removed: its tag goes with it
    assert all(t["by"] == "auto" for t in tagger.retag(after, "Мен кеше жаңа үй үшін келдім"))


def test_tags_for_keeps_stored_tags_that_fit_the_text() -> None:
    stored = [{"w": "Мен", "l": "ru", "by": "auto"}]
    assert tags_for(stored, "Мен")[0]["l"] == "ru"  # stored, not recomputed
    assert tags_for(stored, "Мен келдім")[0]["l"] == "kk"  # text changed: afresh
    assert is_mixed([{"l": "kk"}, {"l": "ru"}]) and not is_mixed([{"l": "kk"}, {"l": "kk"}])


@needs_dicts
def test_tagging_a_thousand_segments_is_fast() -> None:
    lexicon = load_lexicon()
    kk_words = list(lexicon.kk.stems)[::50] if lexicon.kk else []
    ru_words = list(lexicon.ru.stems)[::137] if lexicon.ru else []
    texts = [
        " ".join(
            kk_words[(i * 7 + k) % len(kk_words)]
            if k % 3
            else ru_words[(i * 5 + k) % len(ru_words)]
            for k in range(10)
        )
        for i in range(1000)
    ]
    tagger = Tagger(lexicon)
    t0 = time.perf_counter()
    tagged = [tagger.tag(t) for t in texts]
    elapsed = time.perf_counter() - t0
    print(f"\ntagged 1,000 segments (10,000 words, mostly unseen) in {elapsed * 1000:.0f} ms")
    assert sum(len(t) for t in tagged) >= 9_000
    assert elapsed < 0.5
