"""The Training view on a plain project and registry (no training process started)."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from desktop_app.asr.manifest import ModelSource
from desktop_app.core.learning.audit import DataAudit
from desktop_app.core.learning.config import FinetuneConfig
from desktop_app.core.learning.metrics import Utterance, evaluate_utterances
from desktop_app.core.project import Project
from desktop_app.modelbuild.protocol import LogMsg, MetricsMsg
from desktop_app.services.learning_loop import FinetuneResult

pytestmark = pytest.mark.gui


@pytest.fixture
def dialog(qtbot, filled_project: Project, registry):
    from desktop_app.gui.training.training_view import TrainingDialog
    from desktop_app.gui.workers import JobRunner

    runner = JobRunner()
    d = TrainingDialog(filled_project, runner, registry)
    qtbot.addWidget(d)
    d.show()
    return d


def test_shows_the_audit_versions_and_review_queue(dialog, registry) -> None:
    assert "segments" in dialog.audit_label.text()
    assert "train" in dialog.audit_label.text() and "Айгүл" in dialog.audit_label.text()
    assert dialog.versions.rowCount() == 1
    assert dialog.versions.item(0, 0).text() == "●"
    assert dialog.base_combo.currentData() == registry.active_id()
    assert dialog.review_list.count() == 6  # the auto segments, most doubtful first
    first = dialog.review_list.item(0).text()
    # priority 1 - confidence (no unit-LM scores): 0.52 is below the other auto one's 0.53
    assert first.startswith("0.48  rec0")


def test_live_curves_and_log(dialog) -> None:
    for step in range(1, 5):
        dialog.messages.forward(MetricsMsg(step, {"loss": 3.0 / step, "eta_s": 10.0 - step}))
    dialog.messages.forward(MetricsMsg(4, {"dev_wer": 0.42, "dev_cer": 0.2}))
    dialog.messages.forward(LogMsg("Step 4: dev WER 42.0 %"))
    assert [p[0] for p in dialog.curves.loss] == [1, 2, 3, 4]
    assert dialog.curves.wer == [(4, pytest.approx(42.0))]
    xs, ys = dialog.curves.wer_curve.getData()
    assert list(xs) == [4] and ys[0] == pytest.approx(42.0)
    assert dialog.curves.cer == [(4, pytest.approx(20.0))]  # drawn beside the WER
    assert dialog.training_eta == 6.0
    assert "dev WER 42.0" in dialog.log_view.toPlainText()

    # A finished run's curves come from its training.json.
    dialog.curves.set_history(
        {"losses": [[1, 2.0], [2, 1.0]], "history": [{"step": 2, "loss": 1.0, "dev_wer": 0.5}],
         "summary": {"best_step": 2}}
    )  # fmt: skip
    assert dialog.curves.loss == [(1, 2.0), (2, 1.0)]
    _xs, trend = dialog.curves.trend_curve.getData()
    assert list(trend) == [2.0, 1.5]  # the trend line averages the steps so far
    assert dialog.curves.wer == [(2, 50.0)]
    assert dialog.curves.kept_line.isVisible() and dialog.curves.kept_line.value() == 2
    dialog.curves.clear_data()  # a new run: nothing is kept yet
    assert not dialog.curves.kept_line.isVisible()


def test_parameters_become_a_config(dialog) -> None:
    dialog.params.method_combo.setCurrentIndex(1)
    dialog.params.freeze.setChecked(True)
    dialog.params.lr.setText("2e-4")
    dialog.params.spec.setChecked(False)
    config = dialog.config()
    assert config == FinetuneConfig(method="lora", freeze_encoder=True, learning_rate=2e-4,
                                    spec_augment=False)  # fmt: skip
    dialog.params.precision.setCurrentIndex(dialog.params.precision.findData("fp32"))
    assert dialog.config().precision == "fp32"
    dialog.params.select_by.setCurrentIndex(dialog.params.select_by.findData("cer"))
    assert dialog.config().select_by == "cer"
    dialog.params.lr.setText("fast")
    with pytest.raises(Exception, match="not a learning rate"):
        dialog.config()


def test_result_table_card_activate_and_rollback(dialog, registry, tiny_onnx_dir) -> None:
    parent = registry.active()
    child = registry.import_onnx_dir(
        tiny_onnx_dir, name="Tiny · fine-tuned", parent_id=parent.id, source=ModelSource.FINETUNED
    )
    refs = [Utterance("1", "нан мен сүт", "нан нан нан нан", "A", "female"),
            Utterance("2", "су", "су", "B", "male")]  # fmt: skip
    before = evaluate_utterances(refs)
    after = evaluate_utterances([Utterance(u.key, u.reference, u.reference, u.speaker, u.gender)
                                 for u in refs])  # fmt: skip
    result = FinetuneResult(
        child, parent, before, after, DataAudit(), {}, "# Tiny card", dialog.project.path, 0.1
    )
    dialog.show_result(result)
    table = dialog.eval_table
    assert table.item(0, 0).text() == f"{parent.name} (before)"
    assert table.item(1, 0).text() == "Tiny · fine-tuned (after)"
    assert float(table.item(0, 2).text()) > 0 and table.item(1, 2).text() == "0.0"
    assert any("speaker" in table.item(r, 0).text() for r in range(table.rowCount()))
    assert "Tiny card" in dialog.card_view.toPlainText()
    assert "Installed Tiny · fine-tuned" in dialog.status.text()

    row = next(r for r in range(dialog.versions.rowCount())
               if dialog.versions.item(r, 2).text() == child.id)  # fmt: skip
    dialog.versions.selectRow(row)
    dialog.activate_selected()
    assert registry.active_id() == child.id
    dialog.rollback()
    assert registry.active_id() == parent.id


def test_main_window_has_the_training_action(qtbot) -> None:
    from desktop_app.core.settings import Settings
    from desktop_app.gui.app import create_window

    window = create_window(None, Settings())
    qtbot.addWidget(window)
    actions = [a.objectName() for a in window.findChildren(type(window.actions["transcribe"]))]
    assert "action_training" in actions
    window.close()


def test_loss_trend_is_a_trailing_mean() -> None:
    from desktop_app.gui.training.training_widgets import trailing_mean

    values = [float(v) for v in range(1, 8)]
    assert trailing_mean(values, span=3) == pytest.approx([1, 1.5, 2, 3, 4, 5, 6])
    assert trailing_mean([], span=3) == []


def _small_project(tmp_path, approved: int) -> Project:
    """A project with one recording and ``approved`` approved segments."""
    import numpy as np
    import soundfile as sf

    from desktop_app.core.services.recordings import RecordingService
    from desktop_app.core.services.segments import NewSegment, SegmentService
    from tests.training.conftest import SR, utterance

    project = Project.create(tmp_path / "small", name="Small")
    pieces = [np.concatenate([utterance(i), np.zeros(SR // 2, np.float32)]) for i in range(12)]
    wav = tmp_path / "small.wav"
    sf.write(wav, np.concatenate(pieces), SR)
    rec = RecordingService(project).import_file(wav)
    step = len(pieces[0]) * 1000 // SR
    segs = [NewSegment(i * step, i * step + 1600, f"сөз {i}") for i in range(approved)]
    SegmentService(project).add_many(rec.id, segs, status="approved")
    return project


def _dialog_on(qtbot, project: Project, registry):
    from desktop_app.gui.training.training_view import TrainingDialog
    from desktop_app.gui.workers import JobRunner

    d = TrainingDialog(project, JobRunner(), registry)
    qtbot.addWidget(d)
    d.show()
    return d


def test_conditions_say_what_is_missing_before_start(qtbot, tmp_path, registry) -> None:
    project = _small_project(tmp_path, approved=5)
    try:
        d = _dialog_on(qtbot, project, registry)
        text = d.conditions.text()
        assert "You have 5 approved segments" in text
        assert "held out to test the new model" in text
        r = d.readiness
        assert r is not None and r.test + r.dev + r.train == 5
        assert f"leaves {r.train} " in text
        assert "Training needs at least 8 segments to learn from: approve at least" in text
        assert "Ready to train" not in text
        assert not d.start_btn.isEnabled()
        assert d.status.text() == "Start needs what is said in red under Training data."
        assert "Training starts from <b>Tiny base (" in text
    finally:
        project.close()


def test_a_project_with_enough_data_is_ready(dialog) -> None:
    text = dialog.conditions.text()
    assert "You have 66 approved segments" in text and "Ready to train." in text
    assert dialog.start_btn.isEnabled() and dialog.status.text() == "Ready."
    dialog.include_edited.setChecked(True)  # the words follow the choice
    assert "approved or edited segments" in dialog.conditions.text()


def test_a_base_without_trainable_weights_is_named(qtbot, filled_project, tmp_path, tiny_onnx_dir):
    from desktop_app.asr.registry import ModelRegistry

    onnx_only = ModelRegistry(tmp_path / "onnx-only")
    onnx_only.import_onnx_dir(tiny_onnx_dir, name="Graphs only")
    d = _dialog_on(qtbot, filled_project, onnx_only)
    assert "has no trainable weights" in d.conditions.text()
    assert not d.start_btn.isEnabled()


def test_log_and_card_tabs_say_something_before_a_run(dialog, registry) -> None:
    log = dialog.log_view.toPlainText()
    assert "appears here while it runs" in log
    assert "No model has been trained on this project yet." in log
    card = dialog.card_view.toPlainText()
    assert "Tiny base" in card and "not trained in Jazba" in card
    assert registry.active_id() in card


def test_the_log_tab_shows_the_last_run(qtbot, filled_project, registry) -> None:
    from desktop_app.core.services.job_log import JobLog

    jobs = JobLog(filled_project)
    job_id = jobs.start("finetune", {})
    jobs.append_log(job_id, "Step 3: dev WER 61.0 %")
    jobs.finish(job_id, "failed", "The training process ran out of memory.")
    d = _dialog_on(qtbot, filled_project, registry)
    log = d.log_view.toPlainText()
    assert "failed: The training process ran out of memory." in log
    assert "Step 3: dev WER 61.0 %" in log


def test_after_a_run_the_log_and_card_are_the_new_ones(dialog, registry, tiny_onnx_dir) -> None:
    parent = registry.active()
    child = registry.import_onnx_dir(
        tiny_onnx_dir, name="Tiny · new", parent_id=parent.id, source=ModelSource.FINETUNED
    )
    report = evaluate_utterances([Utterance("1", "су", "су", "A", "female")])
    result = FinetuneResult(
        child, parent, report, report, DataAudit(), {}, "# Tiny · new card", dialog.project.path, 0
    )
    dialog.log_view.clear()
    dialog.messages.forward(LogMsg("Step 6: dev WER 0.0 %"))
    dialog.show_result(result)
    assert "Tiny · new card" in dialog.card_view.toPlainText()
    log = dialog.log_view.toPlainText()
    assert "Step 6: dev WER 0.0 %" in log and f"Installed Tiny · new ({child.id})" in log
    dialog.base_combo.setCurrentIndex(dialog.base_combo.findData(parent.id))
    assert "Tiny · new card" in dialog.card_view.toPlainText()  # the result stays shown
