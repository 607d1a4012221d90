"""The base of the interop dialogs: a progress bar and status line following one job.

The job runs on the window's :class:`~desktop_app.gui.workers.JobRunner` (so the
Jobs panel shows it too); the dialog's Cancel button cancels it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QProgressBar, QWidget

from desktop_app.gui.workers import Job, JobRunner


class JobDialog(QDialog):
    """Shared: a progress bar and status line following one job, Cancel cancels it."""

    def __init__(self, runner: JobRunner, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.job: Job | None = None
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setVisible(False)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox()
        self.run_button = self.buttons.addButton("Run", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.run_button.clicked.connect(self._run)
        self.cancel_button.clicked.connect(self._cancel)

    def _start(self, title: str, fn) -> Job:
        self.job = job = self.runner.start(title, fn)
        self.run_button.setEnabled(False)
        self.progress.setVisible(True)
        self.progress.setValue(0)
        job.changed.connect(self._changed)
        job.finished.connect(self._finished)
        job.failed.connect(self._failed)
        job.cancelled.connect(self._cancelled)
        return job

    def _changed(self) -> None:
        if self.job is not None:
            self.progress.setValue(round(self.job.progress * 1000))
            self.status.setText(self.job.message)

    def _cancel(self) -> None:
        if self.job is not None and not self.job.status.finished:
            self.job.cancel()
        else:
            self.reject()

    def _failed(self, message: str) -> None:
        self.status.setText(f"<b>Failed:</b> {message}")
        self._ended()

    def _cancelled(self) -> None:
        self.status.setText("Cancelled; nothing was written.")
        self._ended()

    def _ended(self) -> None:
        self.run_button.setEnabled(True)
        self.progress.setVisible(False)
        self.job = None

    def _run(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _finished(self, result: object) -> None:  # pragma: no cover - overridden
        raise NotImplementedError
