"""Running and finished jobs: progress bar, status, ETA, cancel."""

from __future__ import annotations

import enum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QStyledItemDelegate,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.gui import theme
from desktop_app.gui.workers import Job, JobRunner, JobStatus

Index = QModelIndex | QPersistentModelIndex


class JobCol(enum.IntEnum):
    TITLE = 0
    PROGRESS = 1
    STATUS = 2
    ETA = 3


def fmt_eta(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s left"
    m, s = divmod(seconds, 60)
    if m < 60:
        return f"{m} min {s:02d} s left"
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min left"


class JobsModel(QAbstractTableModel):
    HEADERS = ("Job", "Progress", "Status", "Time left")

    def __init__(self, runner: JobRunner) -> None:
        super().__init__(runner)
        self.runner = runner
        runner.job_added.connect(self._added)

    def job(self, row: int) -> Job | None:
        jobs = self.runner.jobs
        return jobs[row] if 0 <= row < len(jobs) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.runner.jobs)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(JobCol)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        job = self.job(index.row())
        if job is None:
            return None
        col = JobCol(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            if col == JobCol.TITLE:
                return job.title
            if col == JobCol.PROGRESS:
                return round(job.progress * 100)
            if col == JobCol.STATUS:
                return job.message
            return fmt_eta(job.eta_s())
        if role == Qt.ItemDataRole.ToolTipRole and col == JobCol.STATUS:
            return job.error or job.message
        if role == Qt.ItemDataRole.DecorationRole and col == JobCol.TITLE:
            return theme.icon("cancel" if job.status is JobStatus.FAILED else "jobs")
        return None

    def clear_finished(self) -> None:
        self.beginResetModel()
        self.runner.clear_finished()
        self.endResetModel()

    def _added(self, job: Job) -> None:
        row = len(self.runner.jobs) - 1
        self.beginInsertRows(QModelIndex(), row, row)
        self.endInsertRows()
        job.changed.connect(lambda: self._changed(job))

    def _changed(self, job: Job) -> None:
        try:
            row = self.runner.jobs.index(job)
        except ValueError:
            return
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(JobCol) - 1))


class ProgressDelegate(QStyledItemDelegate):
    """A themed progress bar drawn in the cell (style sheets only style real
    QProgressBar widgets, so it is painted here)."""

    def paint(self, painter: QPainter, option, index: Index) -> None:
        t = theme.current()
        value = int(index.data() or 0)
        rect = option.rect.adjusted(4, 7, -4, -7)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QColor(t.muted))
        painter.setBrush(QColor(t.alt_base))
        painter.drawRoundedRect(rect, 4, 4)
        if value > 0:
            done = QRect(
                rect.left(), rect.top(), max(6, rect.width() * value // 100), rect.height()
            )
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(t.status_color("approved") if value >= 100 else t.accent))
            painter.drawRoundedRect(done, 4, 4)
        on_fill = "#ffffff" if t.name == "light" else "#10151c"
        painter.setPen(QColor(on_fill if value >= 55 else t.text))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"{value}%")
        painter.restore()


class JobsPanel(QWidget):
    def __init__(self, runner: JobRunner) -> None:
        super().__init__()
        self.runner = runner
        self.model = JobsModel(runner)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.view.verticalHeader().setVisible(False)
        self.view.setShowGrid(False)
        self.view.setMinimumHeight(96)
        self.view.setItemDelegateForColumn(JobCol.PROGRESS, ProgressDelegate(self.view))
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(JobCol.STATUS, QHeaderView.ResizeMode.Stretch)
        self.view.setColumnWidth(JobCol.TITLE, 220)
        self.view.setColumnWidth(JobCol.PROGRESS, 160)
        self.view.setColumnWidth(JobCol.ETA, 120)
        self.cancel_button = QPushButton("Cancel")
        theme.bind_icon(self.cancel_button, "cancel")
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.clear_button = QPushButton("Clear finished")
        self.clear_button.clicked.connect(self.model.clear_finished)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.clear_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)

    def cancel_selected(self) -> None:
        """Cancel the selected job, or the newest running one."""
        job = self.model.job(self.view.currentIndex().row())
        if job is None or job.status.finished:
            running = self.runner.running()
            job = running[-1] if running else None
        if job is not None:
            job.cancel()
