"""Kazakh normalisation, WER/CER/MER/WIL, hallucination-like cases, breakdowns, model card."""

from __future__ import annotations

import pytest

from desktop_app.core.learning.audit import DataAudit
from desktop_app.core.learning.config import FinetuneConfig
from desktop_app.core.learning.metrics import (
    Utterance,
    evaluate_utterances,
    has_loop,
    is_hallucination,
    relative_reduction,
    score,
)
from desktop_app.core.learning.model_card import CardInput, render_model_card
from desktop_app.core.learning.normalize import normalize_kk, number_to_words, ordinal_to_words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Сәлеметсіз бе!  Менің атым — Айгүл.", "сәлеметсіз бе менің атым айгүл"),
        ("[күледі] Иә, (шу) жоқ…", "иә жоқ"),
        ("2024 жылы", "екі мың жиырма төрт жылы"),
        ("5-ші сынып", "бесінші сынып"),
        ("6-шы үй", "алтыншы үй"),
        ("3,5 кг", "үш бүтін оннан бес кг"),
        ("15% өсті", "он бес пайыз өсті"),
        ("1 000 000 теңге", "бір миллион теңге"),
        ("Мен «встречаға» кешігіп қалдым", "мен встречаға кешігіп қалдым"),
    ],
)
def test_normalize_kk(text: str, expected: str) -> None:
    assert normalize_kk(text) == expected


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "нөл"),
        (11, "он бір"),
        (100, "жүз"),
        (101, "жүз бір"),
        (345, "үш жүз қырық бес"),
        (1000, "мың"),
        (1990, "мың тоғыз жүз тоқсан"),
        (2_000_017, "екі миллион он жеті"),
    ],
)
def test_numbers_in_kazakh(n: int, words: str) -> None:
    assert number_to_words(n) == words


def test_ordinals_follow_vowel_harmony() -> None:
    assert ordinal_to_words(1) == "бірінші"
    assert ordinal_to_words(2) == "екінші"
    assert ordinal_to_words(10) == "оныншы"
    assert ordinal_to_words(20) == "жиырмасыншы"


def test_scores_match_hand_counts() -> None:
    utts = [
        Utterance("a", "бүгін ауа райы өте жақсы", "бүгін ауа райы жақсы"),  # 1 deletion
        Utterance("b", "біз ертең алматыға барамыз", "біз ертең алматыға барамыз ба"),  # 1 ins
        Utterance("c", "Нан, сүт!", "нан сүт"),  # equal after normalisation
    ]
    s = score(utts)
    assert s.n == 3
    assert s.ref_words == 11
    assert (s.deletions, s.insertions, s.substitutions) == (1, 1, 0)
    assert s.wer == pytest.approx(2 / 11)
    assert s.length_ratio == pytest.approx(11 / 11)
    assert 0 < s.cer < s.wer
    assert 0 < s.mer <= s.wer and 0 < s.wil < 1


def test_empty_references_are_counted_apart() -> None:
    s = score([Utterance("a", "[шу]", "бірдеңе"), Utterance("b", "су", "су")])
    assert (s.n, s.empty_refs, s.wer) == (1, 1, 0.0)


def test_hallucination_like_cases() -> None:
    assert has_loop(["ме", "ме", "ме", "ме"])
    assert has_loop(["ағаш", "үй", "ағаш", "үй", "ағаш", "үй"])
    assert not has_loop(["бір", "екі", "үш"])
    assert is_hallucination("сен маған", "сен маған айттым ғой деп едім бүгін ертең")
    assert is_hallucination("мен келдім", "мен мен мен келдім")
    assert not is_hallucination("мен келдім", "мен келдім")
    assert not is_hallucination("ол ол ол деді", "ол ол ол деді")  # said so in the audio


def test_breakdowns_by_speaker_gender_age_and_language() -> None:
    utts = [
        Utterance("1", "су", "су", "Айгүл", "female", "20-29", "kk"),
        Utterance("2", "нан", "сан", "Ерлан", "male", "30-39", "kk"),
        Utterance("3", "встреча", "встреча", "Ерлан", "male", "30-39", "ru"),
    ]
    report = evaluate_utterances(utts)
    assert report.breakdown["speaker"]["Айгүл"].wer == 0.0
    assert report.breakdown["speaker"]["Ерлан"].wer == pytest.approx(0.5)
    assert report.breakdown["gender"]["male"].n == 2
    assert report.breakdown["age_band"]["20-29"].n == 1
    assert set(report.breakdown["language"]) == {"kk", "ru"}
    assert report.worst[0][0].key == "2"
    again = type(report).from_dict(report.to_dict())
    assert again.overall == report.overall
    assert again.breakdown["speaker"]["Ерлан"] == report.breakdown["speaker"]["Ерлан"]


def test_relative_reduction() -> None:
    assert relative_reduction(0.8, 0.4) == pytest.approx(0.5)
    assert relative_reduction(0.0, 0.1) == 0.0


def test_model_card_has_tables_and_limitations() -> None:
    before = evaluate_utterances([Utterance("1", "нан мен сүт", "нан нан нан нан сүт", "A")])
    after = evaluate_utterances([Utterance("1", "нан мен сүт", "нан мен сүт", "A")])
    card = render_model_card(
        CardInput(
            name="Whisper base · Ауыл",
            model_id="whisper-base-auyl-1",
            parent_name="Whisper base",
            parent_id="whisper-base-0",
            config=FinetuneConfig(method="lora", freeze_encoder=True),
            audit=DataAudit(segments=10, hours=0.01),
            before=before,
            after=after,
            training={
                "steps": 12,
                "epochs": 3,
                "best_dev_wer": 0.25,
                "best_dev_cer": 0.125,
                "select_by": "cer",
                "best_step": 9,
                "minutes": 1.5,
                "device": "cpu",
            },
            projects=["Ауыл"],
        )
    )
    assert card.startswith("# Whisper base · Ауыл")
    for heading in ("## Model details", "## Training data", "## Evaluation", "## Training",
                    "## Limitations"):  # fmt: skip
        assert heading in card
    assert "LoRA (merged), encoder frozen" in card
    assert "| Whisper base (before) | 1 | 100.0 |" in card  # 1 substitution + 2 insertions
    assert "| Whisper base · Ауыл (after) | 1 | 0.0 |" in card
    assert "Relative WER change: **-100.0 %**" in card
    assert "Kept checkpoint:** step 9, the best dev CER; dev WER there 25.0 % (CER 12.5 %)" in card
