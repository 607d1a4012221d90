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
    dialog.method_combo.setCurrentIndex(1)
    dialog.freeze.setChecked(True)
    dialog.lr.setText("2e-4")
    dialog.spec.setChecked(False)
    config = dialog.config()
    assert config == FinetuneConfig(method="lora", freeze_encoder=True, learning_rate=2e-4,
                                    spec_augment=False)  # fmt: skip
    dialog.precision.setCurrentIndex(dialog.precision.findData("fp32"))
    assert dialog.config().precision == "fp32"
    dialog.select_by.setCurrentIndex(dialog.select_by.findData("cer"))
    assert dialog.config().select_by == "cer"
    dialog.lr.setText("fast")
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
