"""The Training view: approved corrections in, a new evaluated model version out.

A non-modal dialog over the open project:

* **Data**: the conditions for Start in words (how many approved segments
  and minutes there are, how many are held out for testing, what is
  missing; Start is enabled only when nothing is), the audit of the
  training data (segments, minutes, speakers, splits, language tags) and the
  suspicious texts it found;
* **Parameters**: base version, full or LoRA, frozen encoder, epochs,
  learning rate, batch size, SpecAugment, device, precision, checkpoint choice;
* **Start / Teach words from text… / Cancel** (:mod:`.teach_words`) with
  progress and time left; the fine-tune runs in the
  spawned training process (through :func:`desktop_app.services.learning_loop.finetune`
  in a worker thread), so the window never loads PyTorch;
* tabs with live **loss and dev-WER curves** (pyqtgraph), the **before/after**
  evaluation table, the **model card** (before a run: the card of the model
  training starts from), the **versions** (activate, roll back), the
  **review queue** (unapproved segments, most doubtful first) and the **log**
  (before a run: what it will hold and the last run's log).

``install(window)`` adds "Train a better model…" to the Project menu.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop_app.asr.registry import ModelRegistry
from desktop_app.core.errors import JazbaError
from desktop_app.core.learning.audit import DataAudit, audit
from desktop_app.core.learning.config import FinetuneConfig
from desktop_app.core.learning.dataset import build_splits
from desktop_app.core.learning.readiness import Readiness
from desktop_app.core.project import Project
from desktop_app.core.services.job_log import JobLog
from desktop_app.core.services.recordings import RecordingService
from desktop_app.gui.actions import insert_after
from desktop_app.gui.dialogs import common as dialogs
from desktop_app.gui.panels.jobs_panel import fmt_eta
from desktop_app.gui.training.parameters_box import ParametersBox
from desktop_app.gui.training.run_intro import base_card, conditions_html, log_before_run
from desktop_app.gui.training.teach_words import TeachWords
from desktop_app.gui.training.training_widgets import (
    EVAL_COLUMNS,
    CurvesView,
    TrainerMessages,
    eval_rows,
    fill_eval_table,
)
from desktop_app.gui.workers import Job, JobRunner, JobStatus
from desktop_app.services.active import rank_for_review
from desktop_app.services.learning_loop import (
    FinetuneRequest,
    FinetuneResult,
    base_problem,
    finetune,
    version_record,
)

if TYPE_CHECKING:
    from desktop_app.gui.main_window import MainWindow

log = logging.getLogger(__name__)

CONDITION_STATUS = {True: "Ready.", False: "Start needs what is said in red under Training data."}


class TrainingDialog(QDialog):
    """See the module docstring. Widgets call core functions; none touches the DB."""

    version_installed = Signal(str)

    def __init__(
        self,
        project: Project,
        runner: JobRunner,
        registry: ModelRegistry | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("training_dialog")
        self.setWindowTitle(f"Training — {project.name}")
        self.project, self.runner = project, runner
        self.registry = registry or ModelRegistry()
        self.job: Job | None = None
        self.readiness: Readiness | None = None
        self.base_problem: str | None = None
        self.result_shown = False  # the card tab shows a run's new card
        self.training_eta: float | None = None
        self.messages = TrainerMessages(self)
        self.messages.metrics.connect(self._on_metrics)
        self.messages.log.connect(self._on_log)
        self._build()
        self.resize(1250, 780)
        self.refresh()

    # -- layout ----------------------------------------------------------------
    def _build(self) -> None:
        left = QWidget()
        lv = QVBoxLayout(left)
        data_box = QGroupBox("Training data (approved segments)")
        dv = QVBoxLayout(data_box)
        self.conditions = QLabel()
        self.conditions.setObjectName("training_conditions")
        self.conditions.setWordWrap(True)
        self.conditions.setTextFormat(Qt.TextFormat.RichText)
        dv.addWidget(self.conditions)
        self.audit_label = QLabel()
        self.audit_label.setObjectName("training_audit")
        self.audit_label.setWordWrap(True)
        self.audit_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.include_edited = QCheckBox("Also use edited (not yet approved) segments")
        self.include_edited.toggled.connect(lambda _on: self.refresh_audit())
        self.suspicious = QListWidget()
        self.suspicious.setObjectName("training_suspicious")
        self.suspicious.setMaximumHeight(110)
        dv.addWidget(self.audit_label)
        dv.addWidget(self.include_edited)
        dv.addWidget(QLabel("Suspicious texts (check before training):"))
        dv.addWidget(self.suspicious)
        lv.addWidget(data_box)

        self.params = ParametersBox()
        self.base_combo = self.params.base_combo  # the version training starts from
        self.base_combo.currentIndexChanged.connect(lambda _i: self._base_changed())
        lv.addWidget(self.params)
        lv.addStretch(1)

        run = QWidget()  # below the scrolling part: Start is always in sight
        rv = QVBoxLayout(run)
        rv.setContentsMargins(lv.contentsMargins())
        run_row = QHBoxLayout()
        self.start_btn = QPushButton("Start training")
        self.start_btn.setObjectName("training_start")
        self.start_btn.clicked.connect(self.start)
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setObjectName("training_cancel")
        self.cancel_btn.setEnabled(False)
        self.cancel_btn.clicked.connect(self.cancel)
        self.teach = TeachWords(self)  # "Teach words from text…": a run with synthetic speech
        run_row.addWidget(self.start_btn)
        run_row.addWidget(self.teach.button)
        run_row.addWidget(self.cancel_btn)
        rv.addLayout(run_row)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.status = QLabel("")
        self.status.setObjectName("training_status")
        self.status.setWordWrap(True)
        rv.addWidget(self.progress)
        rv.addWidget(self.status)

        self.tabs = QTabWidget()
        self.curves = CurvesView()
        self.tabs.addTab(self.curves, "Curves")
        self.eval_table = QTableWidget(0, len(EVAL_COLUMNS))
        self.eval_table.setObjectName("training_eval_table")
        self.eval_table.setHorizontalHeaderLabels(list(EVAL_COLUMNS))
        self.eval_table.verticalHeader().setVisible(False)
        header = self.eval_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for c in range(1, len(EVAL_COLUMNS)):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        self.tabs.addTab(self.eval_table, "Before / after")
        self.card_view = QTextBrowser()
        self.card_view.setObjectName("training_card")
        self.tabs.addTab(self.card_view, "Model card")
        self.tabs.addTab(self._build_versions(), "Versions")
        self.review_list = QListWidget()
        self.review_list.setObjectName("training_review")
        self.tabs.addTab(self.review_list, "Review next")
        self.log_view = QTextBrowser()
        self.log_view.setObjectName("training_log")
        self.tabs.addTab(self.log_view, "Log")

        scroll = QScrollArea()  # the conditions and the audit are never cut off
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(
            left.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width()
        )
        column = QWidget()
        cv = QVBoxLayout(column)
        cv.setContentsMargins(0, 0, 0, 0)
        cv.addWidget(scroll, 1)
        cv.addWidget(run)
        split = QSplitter()
        split.addWidget(column)
        split.addWidget(self.tabs)
        split.setStretchFactor(1, 1)
        split.setSizes([470, 780])
        outer = QVBoxLayout(self)
        outer.addWidget(split)

    def _build_versions(self) -> QWidget:
        box = QWidget()
        v = QVBoxLayout(box)
        self.versions = QTableWidget(0, 5)
        self.versions.setObjectName("training_versions")
        self.versions.setHorizontalHeaderLabels(["", "Name", "Id", "From", "Test WER %"])
        self.versions.verticalHeader().setVisible(False)
        self.versions.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.versions.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        header = self.versions.horizontalHeader()
        for column in range(5):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.versions.itemSelectionChanged.connect(self._version_selected)
        row = QHBoxLayout()
        self.activate_btn = QPushButton("Activate selected")
        self.activate_btn.clicked.connect(self.activate_selected)
        self.rollback_btn = QPushButton("Roll back")
        self.rollback_btn.clicked.connect(self.rollback)
        row.addWidget(self.activate_btn)
        row.addWidget(self.rollback_btn)
        row.addStretch(1)
        v.addWidget(self.versions)
        v.addLayout(row)
        return box

    # -- data ------------------------------------------------------------------
    def refresh(self) -> None:
        self.refresh_versions()
        self.refresh_audit()
        self.refresh_review()
        if not self.running:
            self.log_view.setPlainText(log_before_run(JobLog(self.project).latest("finetune")))

    def refresh_audit(self) -> None:
        include_edited = self.include_edited.isChecked()
        try:
            splits = build_splits([self.project], include_edited)
            result = audit(splits)
        except JazbaError as exc:
            self.audit_label.setText(dialogs.user_message(exc))
            self.readiness = None
            self._show_conditions()
            return
        self.readiness = Readiness.of(splits, include_edited=include_edited)
        self.show_audit(result)
        self._show_conditions()

    @property
    def running(self) -> bool:
        return self.job is not None and not self.job.status.finished

    def _base_changed(self) -> None:
        self.base_problem = base_problem(self.registry, self.base_combo.currentData())
        self._show_conditions()
        if not self.result_shown:
            self.card_view.setMarkdown(base_card(self.registry, self.base_combo.currentData()))

    def _show_conditions(self) -> None:
        """The conditions for Start, and Start enabled only when they are met."""
        if self.readiness is None:
            self.conditions.setText("")
            ready = False
        else:
            self.conditions.setText(
                conditions_html(self.readiness, self.base_combo.currentText(), self.base_problem)
            )
            ready = self.readiness.ready and self.base_problem is None
        self.start_btn.setEnabled(ready and not self.running)
        self.teach.button.setEnabled(self.base_problem is None and not self.running)
        self.start_btn.setToolTip("" if ready else "See the conditions under Training data")
        if self.status.text() in ("", *CONDITION_STATUS.values()):  # not a run's outcome
            self.status.setText(CONDITION_STATUS[ready])

    def show_audit(self, result: DataAudit) -> None:
        lines = result.summary_lines()
        speakers = ", ".join(
            f"{name} {seconds / 60:.1f} min" for name, seconds in result.speaker_seconds.items()
        )
        if speakers:
            lines.append(f"Speakers: {speakers}")
        self.audit_label.setText("\n".join(lines))
        self.suspicious.clear()
        for s in result.suspicious:
            self.suspicious.addItem(f"[{s.kind}] {s.text[:50]!r} — {s.detail}")

    def refresh_versions(self) -> None:
        versions = self.registry.versions()
        active = self.registry.active_id()
        self.base_combo.clear()
        self.versions.setRowCount(len(versions))
        for r, m in enumerate(versions):
            self.base_combo.addItem(f"{m.name} ({m.id})", m.id)
            wer = m.metrics.get("test_wer")
            cells = ["●" if m.id == active else "", m.name, m.id, m.parent_id or "",
                     f"{100 * wer:.1f}" if wer is not None else ""]  # fmt: skip
            for c, value in enumerate(cells):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, m.id)
                self.versions.setItem(r, c, item)
        if active:
            self.base_combo.setCurrentIndex(max(0, self.base_combo.findData(active)))
        self.rollback_btn.setEnabled(active is not None)

    def refresh_review(self) -> None:
        self.review_list.clear()
        labels = RecordingService(self.project).labels()  # titles that repeat, numbered
        for item in rank_for_review(self.project, limit=100):
            weak = f" (weakest word: {item.weakest_word})" if item.weakest_word else ""
            label = labels.get(item.segment.recording_id, item.recording_title)
            self.review_list.addItem(
                f"{item.priority:.2f}  {label} #{item.segment.id}: {item.segment.text[:70]}{weak}"
            )

    def selected_version(self) -> str | None:
        items = self.versions.selectedItems()
        return items[0].data(Qt.ItemDataRole.UserRole) if items else None

    def _version_selected(self) -> None:
        model_id = self.selected_version()
        if model_id:
            self.show_version(model_id)

    def show_version(self, model_id: str) -> None:
        """Show a version's stored curves, evaluation and card."""
        try:
            record = version_record(self.registry, model_id)
            manifest = self.registry.get(model_id)
        except JazbaError as exc:
            self.status.setText(dialogs.user_message(exc))
            return
        if record.training:
            self.curves.set_history(record.training)
        parent = self.registry.get(manifest.parent_id).name if manifest.parent_id and (
            manifest.parent_id in {m.id for m in self.registry.versions()}
        ) else "parent"  # fmt: skip
        fill_eval_table(
            self.eval_table, eval_rows(record.before, record.after, parent, manifest.name)
        )
        self.card_view.setMarkdown(record.card or f"*{manifest.name} has no model card.*")

    # -- running ---------------------------------------------------------------
    def config(self) -> FinetuneConfig:
        return self.params.config()

    def start(self) -> None:
        try:
            request = FinetuneRequest(
                config=self.config(),
                base_model_id=self.base_combo.currentData(),
                include_edited=self.include_edited.isChecked(),
                name=self.params.name_edit.text().strip() or None,
                activate=self.params.activate_after.isChecked(),
            )
            request = self.teach.apply(request)
        except JazbaError as exc:
            dialogs.show_error(self, dialogs.user_message(exc))
            return
        self.curves.clear_data()
        self.log_view.clear()
        self.log_view.append(f"Training started from {self.base_combo.currentText()}.")
        self.training_eta = None
        project, registry, forward = self.project, self.registry, self.messages.forward

        def job(state: Any) -> FinetuneResult:
            return finetune([project], request, state, registry=registry, on_message=forward)

        self.job = self.runner.start(
            f"Train a better model on {project.name} (from {self.base_combo.currentText()})", job
        )
        self.job.changed.connect(self._on_job_changed)
        self.job.finished.connect(self.show_result)
        self.job.failed.connect(self._on_failed)
        self.job.ended.connect(self._on_ended)
        self.start_btn.setEnabled(False)
        self.teach.button.setEnabled(False)
        self.cancel_btn.setEnabled(True)

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _on_job_changed(self) -> None:
        job = self.job
        if job is None:
            return
        self.progress.setValue(round(1000 * job.progress))
        eta = self.training_eta if self.training_eta is not None else job.eta_s()
        left = fmt_eta(eta)
        self.status.setText(f"{job.message}" + (f" — {left}" if left else ""))

    def _on_metrics(self, step: int, values: dict[str, float]) -> None:
        self.curves.add(step, values)
        if "eta_s" in values:
            self.training_eta = values["eta_s"]

    def _on_log(self, text: str) -> None:
        self.log_view.append(text)

    def _on_failed(self, message: str) -> None:
        self.status.setText(message)
        self.log_view.append(f"Failed: {message}")
        dialogs.show_error(self, message)

    def _on_ended(self) -> None:
        self.cancel_btn.setEnabled(False)
        if self.job is not None and self.job.status is JobStatus.CANCELLED:
            self.status.setText("Cancelled. The run's checkpoints were kept.")
            self.log_view.append("Cancelled. The run's checkpoints were kept.")
        self.training_eta = None
        self.refresh_audit()  # Start again when the conditions hold

    def show_result(self, result: FinetuneResult) -> None:
        fill_eval_table(
            self.eval_table,
            eval_rows(result.before, result.after, result.parent.name, result.manifest.name),
        )
        self.card_view.setMarkdown(result.card)
        self.result_shown = True
        self.log_view.append(f"Installed {result.manifest.name} ({result.manifest.id}).")
        self.tabs.setCurrentWidget(self.eval_table)
        b = result.before.overall.wer if result.before and result.after else None
        change = f" (test WER {100 * b:.1f} → {100 * result.after.overall.wer:.1f} %)" if b else ""
        self.status.setText(f"Installed {result.manifest.name}{change}.")
        self.refresh_versions()
        self.refresh_review()
        self.version_installed.emit(result.manifest.id)

    # -- versions --------------------------------------------------------------
    def activate_selected(self) -> None:
        model_id = self.selected_version()
        if model_id is None:
            return
        try:
            self.registry.set_active(model_id)
        except JazbaError as exc:
            dialogs.show_error(self, dialogs.user_message(exc))
        self.refresh_versions()
        self.status.setText(
            f"Active model: {model_id}. Re-transcribing changes only auto segments."
        )

    def rollback(self) -> None:
        try:
            m = self.registry.rollback()
        except JazbaError as exc:
            dialogs.show_error(self, dialogs.user_message(exc))
            return
        self.refresh_versions()
        self.status.setText(f"Rolled back: {m.name} is active again.")


def install(window: MainWindow) -> QAction:
    """Add "Train a better model…" after "Transcribe" in the window's menus."""
    action = QAction("&Train a better model…", window)
    action.setObjectName("action_training")
    action.setStatusTip("Fine-tune the speech model on this project's approved segments")

    def open_dialog() -> None:
        if window.session is None:
            dialogs.show_info(window, "Open a project first.")
            return
        dialog = getattr(window, "_training_dialog", None)
        if dialog is None or dialog.project is not window.session.project:
            dialog = TrainingDialog(window.session.project, window.runner, parent=window)
            window._training_dialog = dialog  # type: ignore[attr-defined]
        dialog.refresh()
        dialog.show()
        dialog.raise_()

    action.triggered.connect(open_dialog)
    if insert_after(window.menuBar(), window.actions.get("transcribe"), action) is None:
        window.menuBar().addAction(action)
    return action
