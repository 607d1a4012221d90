"""Project ▸ Save a copy…: a consistent copy of the open project, written as a job.

The copy is made by :func:`desktop_app.core.project_care.backup_project` (the
same as ``jazba project backup``): SQLite's online backup of the database,
then the audio it refers to. It is consistent even while jobs write to the
project, unlike a file-manager copy of an open project.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.project import project_path
from desktop_app.core.project_care import BackupResult, backup_project
from desktop_app.gui.dialogs.project_menu import add_project_action, show_project_dialog
from desktop_app.gui.interop.interop_job_dialog import JobDialog
from desktop_app.gui.session import ProjectSession
from desktop_app.gui.workers import JobRunner

if TYPE_CHECKING:
    from desktop_app.gui.main_window import MainWindow

EXPLAIN = (
    "Writes a complete, consistent copy of the project (its database and audio)\n"
    "into a new folder, even while jobs are running. Copy projects this way rather\n"
    "than with a file manager: a file copy of an open project can catch the\n"
    "database half-written."
)


def default_destination(session: ProjectSession) -> Path:
    base = session.path.parent if session.path.parent.exists() else Path.home()
    stem = session.path.stem
    n = 1
    while True:
        candidate = base / f"{stem} copy{'' if n == 1 else f' {n}'}.jazba"
        if not candidate.exists():
            return candidate
        n += 1


class SaveCopyDialog(JobDialog):
    def __init__(self, session: ProjectSession, runner: JobRunner, parent: QWidget | None):
        super().__init__(runner, parent)
        self.session = session
        self.result: BackupResult | None = None
        self.setWindowTitle("Save a copy of the project")
        explain = QLabel(EXPLAIN)
        self.dest = QLineEdit(str(default_destination(session)))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.dest, 1)
        row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Project:", QLabel(str(session.path)))
        form.addRow("Copy to:", row)
        self.run_button.setText("Save copy")
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(560, 0)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save a copy as (a new NAME.jazba folder)", self.dest.text()
        )
        if path:
            self.dest.setText(str(project_path(path)))

    def _run(self) -> None:
        text = self.dest.text().strip()
        if not text:
            self.status.setText("Choose where to save the copy.")
            return
        project = self.session.project
        self._start(
            f"Save a copy of {project.path.name}",
            partial(backup_project, project.path, Path(text)),
        )

    def _finished(self, result: object) -> None:
        assert isinstance(result, BackupResult)
        self.result = result
        lines = [result.summary(), *(f"⚠ missing in the project: {m}" for m in result.missing)]
        self.status.setText("\n".join(lines))
        self._ended()
        self.run_button.setEnabled(False)
        self.cancel_button.setText("Close")


def open_save_copy(window: MainWindow) -> SaveCopyDialog | None:
    return show_project_dialog(
        window, lambda: SaveCopyDialog(window.session, window.runner, window)
    )


def install(window: MainWindow) -> QAction:
    """Add "Save a copy…" to the Project menu, before "Close project"."""
    return add_project_action(
        window,
        "Save a &copy…",
        "action_save_copy",
        "Write a consistent copy of the project (database and audio)",
        lambda: open_save_copy(window),
    )
