"""Code-switched segments apart in the training audit and the evaluation:
examples carry their words' languages, the audit counts mixed vs monolingual
hours, and WER/CER are reported for each, down to the model card."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from desktop_app.core.learning.audit import audit
from desktop_app.core.learning.config import FinetuneConfig
from desktop_app.core.learning.dataset import Example, Splits, collect_examples
from desktop_app.core.learning.metrics import Utterance, evaluate_utterances
from desktop_app.core.learning.model_card import CardInput, render_model_card
from desktop_app.core.project import Project
from desktop_app.core.services.segments import NewSegment, SegmentService
from desktop_app.core.services.word_langs import WordLangService
from desktop_app.services import evaluate
from tests.core.conftest import add_fake_recording

MIXED = "mixed"
MONO = "monolingual"


def _utterances() -> list[Utterance]:
    return [
        # mixed: 1 error in 4 words + 0 in 3 → WER 1/7
        Utterance("1", "мен очень шаршадым бүгін", "мен очен шаршадым бүгін", code_switching=MIXED),
        Utterance("2", "слушай мен келдім", "слушай мен келдім", code_switching=MIXED),
        # monolingual: 2 errors in 4 words → WER 1/2
        Utterance("3", "нан мен сүт алдым", "нан пен сүт алдын", code_switching=MONO),
    ]


def test_wer_and_cer_on_mixed_and_monolingual_segments() -> None:
    report = evaluate_utterances(_utterances())
    groups = report.breakdown["code_switching"]
    assert set(groups) == {MIXED, MONO}
    assert groups[MIXED].n == 2 and groups[MIXED].wer == pytest.approx(1 / 7)
    assert groups[MONO].wer == pytest.approx(0.5)
    assert 0 < groups[MIXED].cer < groups[MONO].cer
    again = type(report).from_dict(report.to_dict())
    assert again.breakdown["code_switching"][MIXED] == groups[MIXED]


def test_model_card_reports_code_switched_segments_apart() -> None:
    report = evaluate_utterances(_utterances())
    card = render_model_card(
        CardInput(
            name="after",
            model_id="m-1",
            parent_name="before",
            parent_id="m-0",
            config=FinetuneConfig(),
            audit=audit(Splits(test=[_example("a", ["kk", "ru"], 0, 3000)])),
            before=report,
            after=report,
            training={},
            projects=["p"],
        )
    )
    assert "**By code switching**" in card
    assert "| mixed | 2 | 14.3 | 14.3 |" in card and "| monolingual | 1 | 50.0 | 50.0 |" in card
    assert "Code-switching (word languages): mixed 1 segments (0.1 min)" in card


def _example(key: str, langs: list[str] | None, start: int, end: int) -> Example:
    return Example(key, "x.flac", "text", start, end, word_langs=langs)


def test_audit_counts_mixed_and_monolingual_hours() -> None:
    splits = Splits(
        train=[_example("a", ["kk", "ru", "kk"], 0, 6000), _example("b", ["kk", "kk"], 0, 3000)],
        dev=[_example("c", ["ru"], 0, 1500)],
        test=[_example("d", None, 0, 1000)],  # untagged: in neither group
    )
    result = audit(splits)
    assert result.code_switching[MIXED].segments == 1
    assert result.code_switching[MIXED].hours == pytest.approx(6 / 3600)
    assert result.code_switching[MONO].segments == 2
    assert result.code_switching[MONO].hours == pytest.approx(4.5 / 3600)
    assert any(line.startswith("Code-switching") for line in result.summary_lines())


def test_examples_carry_word_languages(project: Project) -> None:
    rec = add_fake_recording(project)
    segs = SegmentService(project)
    a = segs.add(rec, NewSegment(0, 2000, "Мен очень шаршадым")).segment_id
    b = segs.add(rec, NewSegment(3000, 5000, "Мен үйге бардым")).segment_id
    WordLangService(project).set_word_lang(b, 1, "ru")  # a person says it is mixed
    segs.set_status([a, b], "approved")
    examples = {ex.segment_id: ex for ex in collect_examples(project)}
    assert examples[a].word_langs == ["kk", "ru", "kk"] and examples[a].code_switching == MIXED
    assert examples[b].word_langs == ["kk", "ru", "kk"]


def test_evaluation_passes_the_reference_s_code_switching(monkeypatch: pytest.MonkeyPatch) -> None:
    class Engine:
        def transcribe(self, audio: object, options: object) -> tuple[list[object], None]:
            return [SimpleNamespace(text="мен очень шаршадым")], None

    monkeypatch.setattr(evaluate, "load_engine", lambda *a, **k: Engine())
    monkeypatch.setattr(evaluate, "load_model_audio", lambda *a, **k: [0.0] * 160)
    examples = [
        Example("1", "a.flac", "мен очень шаршадым", 0, 1000, word_langs=["kk", "ru", "kk"]),
        Example("2", "a.flac", "мен шаршадым", 0, 1000, word_langs=["kk", "kk"]),
    ]
    report, utts = evaluate.evaluate_model("model", examples)
    assert [u.code_switching for u in utts] == [MIXED, MONO]
    assert report.breakdown["code_switching"][MIXED].wer == 0.0
    assert report.breakdown["code_switching"][MONO].wer == pytest.approx(0.5)
