"""Word recall by where training saw a word, in the report and the model card."""

from __future__ import annotations

import pytest

from desktop_app.core.learning.audit import DataAudit
from desktop_app.core.learning.config import FinetuneConfig
from desktop_app.core.learning.metrics import (
    EvalReport,
    Utterance,
    evaluate_utterances,
    word_group,
    word_recall,
)
from desktop_app.core.learning.model_card import CardInput, render_model_card


def test_recall_counts_aligned_hits_per_group() -> None:
    text, speech = {"бауырсақ", "домбыра"}, {"мен", "жедім"}
    utts = [
        Utterance("a", "Мен бауырсақ жедім.", "мен бауырсақ жедім"),
        Utterance("b", "Домбыра тарттым, бауырсақ!", "домбра тарттым бауырсақ"),
        Utterance("c", "", "noise"),  # no reference: not counted
        Utterance("d", "мен", ""),  # nothing said: a miss
    ]
    r = word_recall(utts, text, speech)
    assert (r["text_only"].words, r["text_only"].hits, r["text_only"].distinct) == (3, 2, 2)
    assert (r["speech"].words, r["speech"].hits) == (3, 2)
    assert (r["nowhere"].words, r["nowhere"].hits, r["nowhere"].recall) == (1, 1, 1.0)
    assert r["text_only"].recall == pytest.approx(2 / 3)
    # A word in both real and synthetic transcripts counts as seen in speech.
    assert word_group("мен", {"мен"}, {"мен"}) == "speech"


def test_recall_survives_the_report_round_trip_and_reaches_the_card() -> None:
    utts = [Utterance("a", "мен бауырсақ жедім", "мен бауырсақ жедім", speaker="x")]
    before, after = evaluate_utterances(utts), evaluate_utterances(utts)
    before.word_recall = word_recall([Utterance("a", "мен бауырсақ", "мен")], {"бауырсақ"}, {"мен"})
    after.word_recall = word_recall(utts, {"бауырсақ"}, {"мен"})
    again = EvalReport.from_dict(after.to_dict())
    assert again.word_recall == after.word_recall
    assert EvalReport.from_dict({"overall": after.to_dict()["overall"]}).word_recall == {}
    synthetic = {
        "synthesizer": "espeak-ng 1.51", "clips": 12, "minutes": 0.4, "sentences": 6,
        "dropped_held_out": 1, "voices": ["kk+m1", "kk+f2"],
        "sources": [{"name": "words.txt", "kind": "words", "sentences": 0, "words": 2}],
        "options": {"voices_per_text": 2, "speed": [140, 200], "pitch": [30, 70],
                    "augment": True, "seed": 0, "carriers_per_word": 3},
    }  # fmt: skip
    card = render_model_card(
        CardInput(
            name="New", model_id="m1", parent_name="Old", parent_id="m0",
            config=FinetuneConfig(synthetic_share=0.25), audit=DataAudit(), before=before,
            after=after, synthetic=synthetic,
        )
    )  # fmt: skip
    assert "12 clips (0.4 min) of 6 sentences by espeak-ng 1.51" in card
    assert "1 sentences dropped as held-out text" in card
    assert "words.txt (words: 0 sentences, 2 words)" in card and "kk+m1, kk+f2" in card
    assert "at most 25 % of each epoch" in card
    assert "| seen only in text | 1 | 1 | 0.0 | 100.0 |" in card
    assert "| seen in corrected speech | 1 | 1 | 100.0 | 100.0 |" in card
    assert "| seen nowhere in training | 1 | 1 | – | 100.0 |" in card
    alone = render_model_card(
        CardInput(name="New", model_id="m1", parent_name="Old", parent_id=None,
                  config=FinetuneConfig(), audit=DataAudit(), before=None, after=None,
                  synthetic=synthetic)
    )  # fmt: skip
    assert "Not evaluated: no real speech was held out" in alone and "Relative WER" not in alone
