"""Which checkpoint a run keeps, and when it stops early (no PyTorch needed)."""

from __future__ import annotations

import pytest

from desktop_app.core.errors import JazbaError
from desktop_app.core.learning.checkpoints import TrainerState, record_evaluation
from desktop_app.core.learning.config import FinetuneConfig, resolve_select_by

# (dev WER, dev CER) at steps 10, 20, 30, 40: the WER is noisy above 100 %
# while the CER falls steadily, as on a dev set of a few dozen words.
EVALS = [(1.46, 0.57), (1.15, 0.56), (1.33, 0.54), (1.26, 0.53)]


def run(select_by: str, patience: int = 3) -> tuple[TrainerState, list[int], int | None]:
    state, kept, stopped_at = TrainerState(), [], None
    for n, (wer, cer) in enumerate(EVALS, start=1):
        state.step = 10 * n
        best, stop = record_evaluation(state, {"dev_wer": wer, "dev_cer": cer}, select_by, patience)
        if best:
            kept.append(state.step)
        if stop:
            stopped_at = state.step
            break
    return state, kept, stopped_at


def test_wer_keeps_the_lowest_wer_and_stops_after_patience() -> None:
    state, kept, stopped_at = run("wer", patience=2)
    assert kept == [10, 20]
    assert stopped_at == 40  # steps 30 and 40 brought no WER gain
    assert (state.best_step, state.best_dev_wer, state.best_dev_cer) == (20, 1.15, 0.56)


def test_cer_keeps_the_last_of_a_falling_cer() -> None:
    state, kept, stopped_at = run("cer", patience=2)
    assert kept == [10, 20, 30, 40] and stopped_at is None
    assert (state.best_step, state.best_score) == (40, 0.53)
    assert state.best_dev_wer == 1.26  # the card reports the kept step's WER too


def test_a_checkpoint_from_before_best_score_resumes_on_its_wer() -> None:
    state = TrainerState(step=30, best_dev_wer=1.0, best_step=20)  # older state.json
    best, _ = record_evaluation(state, {"dev_wer": 1.1, "dev_cer": 0.2}, "wer", 3)
    assert not best and state.best_step == 20 and state.evals_without_gain == 1


def test_unknown_choice_is_refused() -> None:
    with pytest.raises(JazbaError, match="'wer', 'cer' or 'auto'"):
        FinetuneConfig(select_by="loss")  # type: ignore[arg-type]


def test_auto_chooses_by_cer_only_when_teaching_from_text() -> None:
    assert FinetuneConfig().select_by == "auto"
    assert resolve_select_by("auto", has_synthetic=True) == "cer"
    assert resolve_select_by("auto", has_synthetic=False) == "wer"
    assert resolve_select_by("wer", has_synthetic=True) == "wer"  # a choice is kept
    assert resolve_select_by("cer", has_synthetic=False) == "cer"
