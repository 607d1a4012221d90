"""Running and finished jobs: progress bar, status, ETA, cancel.

A new job's row is scrolled into view. The bar tells the outcome, not only
the fraction: green and full when done, an empty red bar reading "Failed"
(the status says why) when the job failed, grey "Cancelled" when stopped.
Titles come from whoever starts the job ("Transcribe <recording>", …); long
ones are shortened in the middle and shown whole in the tooltip.
"""

from __future__ import annotations

import enum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    Qt,
    QTimer,
)
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


#: The job's :class:`JobStatus`, for the progress delegate.
STATUS_ROLE = Qt.ItemDataRole.UserRole + 1


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


def fmt_took(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"took {seconds} s"
    m, s = divmod(seconds, 60)
    return f"took {m} min {s:02d} s"


def status_text(job: Job) -> str:
    """The Status column: the job's latest message, or how it ended."""
    if job.status is JobStatus.FAILED:
        return f"Failed: {job.error or job.message}"
    if job.status is JobStatus.CANCELLED:
        return "Cancelled"
    return job.message


def time_text(job: Job) -> str:
    """Time left while running, how long it took once it ended."""
    if job.status.finished:
        return fmt_took(job.elapsed_s()) if job.status is JobStatus.DONE else ""
    return fmt_eta(job.eta_s())


class JobsModel(QAbstractTableModel):
    HEADERS = ("Job", "Progress", "Status", "Time")

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
                return status_text(job)
            return time_text(job)
        if role == STATUS_ROLE:
            return job.status
        if role == Qt.ItemDataRole.ToolTipRole:
            return job.title if col == JobCol.TITLE else status_text(job)
        if role == Qt.ItemDataRole.ForegroundRole and col == JobCol.STATUS:
            if job.status is JobStatus.FAILED:
                return QColor(theme.current().error)
            return None
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


def bar_look(status: JobStatus, value: int) -> tuple[int, str, str]:
    """``(filled percent, fill colour name, text)`` of a job's bar: only a job
    that succeeded is green; a failed one is empty and red, a cancelled one grey."""
    if status is JobStatus.FAILED:
        return 0, "error", "Failed"
    if status is JobStatus.CANCELLED:
        return 0, "muted", "Cancelled"
    if status is JobStatus.DONE:
        return 100, "approved", "Done"
    return value, "accent", f"{value}%"


class ProgressDelegate(QStyledItemDelegate):
    """A themed progress bar drawn in the cell (style sheets only style real
    QProgressBar widgets, so it is painted here)."""

    def paint(self, painter: QPainter, option, index: Index) -> None:
        t = theme.current()
        status = index.data(STATUS_ROLE) or JobStatus.RUNNING
        value, fill, text = bar_look(status, int(index.data() or 0))
        colours = {"error": t.error, "muted": t.muted, "approved": t.status_color("approved"),
                   "accent": t.accent}  # fmt: skip
        rect = option.rect.adjusted(4, 7, -4, -7)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QColor(t.error if status is JobStatus.FAILED else t.muted))
        painter.setBrush(QColor(t.alt_base))
        painter.drawRoundedRect(rect, 4, 4)
        centre = Qt.AlignmentFlag.AlignCenter
        painter.setPen(QColor(colours[fill] if fill in ("error", "muted") else t.text))
        painter.drawText(rect, centre, text)
        if value > 0:
            done = QRect(
                rect.left(), rect.top(), max(6, rect.width() * value // 100), rect.height()
            )
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(colours[fill]))
            painter.drawRoundedRect(done, 4, 4)
            painter.setClipRect(done)  # the text over the fill in the fill's contrast colour
            painter.setPen(QColor("#ffffff" if t.name == "light" else "#10151c"))
            painter.drawText(rect, centre, text)
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
        self.view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.view.setWordWrap(False)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(JobCol.STATUS, QHeaderView.ResizeMode.Stretch)
        self.view.setColumnWidth(JobCol.TITLE, 300)
        self.view.setColumnWidth(JobCol.PROGRESS, 150)
        self.view.setColumnWidth(JobCol.ETA, 130)
        self.model.rowsInserted.connect(self._show_new_row)
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

    def _show_new_row(self, *_args: object) -> None:
        """Scroll a new job into view (a row below the fold is a job nobody sees).
        Jobs are appended, so that is the bottom; done once the caller has
        shown the dock (a hidden view has no size to scroll in)."""
        QTimer.singleShot(0, self.view.scrollToBottom)

    def cancel_selected(self) -> None:
        """Cancel the selected job, or the newest running one."""
        job = self.model.job(self.view.currentIndex().row())
        if job is None or job.status.finished:
            running = self.runner.running()
            job = running[-1] if running else None
        if job is not None:
            job.cancel()
