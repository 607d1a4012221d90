"""The project's recordings with their metadata and review progress.

Recordings are shown by their display label (the title, numbered when several
share it; see :func:`~desktop_app.core.services.recordings.display_labels`),
with the file name beside the label when titles repeat. F2 or a double-click
edits the title in place (Enter saves, Esc cancels).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QMenu,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.services.dto import RecordingInfo
from desktop_app.core.services.recordings import display_labels
from desktop_app.gui import theme
from desktop_app.gui.painting import draw_item_frame
from desktop_app.gui.review.segment_table_model import fmt_ms

RECORDING_ROLE = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex


def progress_text(counts: dict[str, int]) -> str:
    """'untranscribed' or e.g. '3 auto · 1 edited · 2 approved'."""
    total = sum(counts.values())
    if total == 0:
        return "untranscribed"
    return " · ".join(
        f"{counts.get(status, 0)} {status}" for status in ("auto", "edited", "approved")
    )


def metadata_tooltip(r: RecordingInfo, label: str | None = None) -> str:
    esc = html.escape
    lines = [
        f"<b>{esc(label or r.title)}</b>",
        f"File: {esc(r.original_filename)} · recording #{r.id}",
        f"Length: {fmt_ms(r.duration_ms)} · {r.sample_rate} Hz · {r.channels} ch · {r.format}",
    ]
    for label, value in (
        ("Recorded", r.recorded_on),
        ("Place", r.place),
        ("Languages", r.languages),
        ("Speakers", ", ".join(r.speaker_names)),
        ("Consent", r.consent),
        ("Notes", r.notes),
    ):
        if value:
            lines.append(f"{label}: {esc(value)}")
    lines.append(f"Segments: {progress_text(r.counts)}")
    return "<br>".join(lines)


RenameHandler = Callable[[int, str], bool]
"""``(recording id, new title) -> accepted``."""


class RecordingListModel(QAbstractListModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._items: list[RecordingInfo] = []
        self._labels: dict[int, str] = {}
        self.rename_handler: RenameHandler | None = None

    def set_recordings(self, items: Sequence[RecordingInfo]) -> None:
        items = list(items)
        self._labels = display_labels(items)
        if [r.id for r in items] == [r.id for r in self._items] and items:
            self._items = items
            self.dataChanged.emit(self.index(0), self.index(len(items) - 1))
            return
        self.beginResetModel()
        self._items = items
        self.endResetModel()

    def recording(self, row: int) -> RecordingInfo | None:
        return self._items[row] if 0 <= row < len(self._items) else None

    def label(self, r: RecordingInfo) -> str:
        return self._labels.get(r.id, r.title)

    def shares_title(self, r: RecordingInfo) -> bool:
        """Whether another recording has the same title (its label is numbered)."""
        return self.label(r) != r.title

    def row_of(self, recording_id: int) -> int:
        return next((i for i, r in enumerate(self._items) if r.id == recording_id), -1)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        r = self.recording(index.row())
        if r is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.label(r)
        if role == Qt.ItemDataRole.EditRole:
            return r.title
        if role == RECORDING_ROLE:
            return r
        if role == Qt.ItemDataRole.ToolTipRole:
            return metadata_tooltip(r, self.label(r))
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        return super().flags(index) | Qt.ItemFlag.ItemIsEditable

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        """A new title typed in the list goes to ``rename_handler`` (the window
        saves it through the recording service; the list then reloads)."""
        r = self.recording(index.row())
        if r is None or role != Qt.ItemDataRole.EditRole or self.rename_handler is None:
            return False
        title = " ".join(str(value or "").split())
        if not title or title == r.title:
            return False
        return self.rename_handler(r.id, title)


class RecordingDelegate(QStyledItemDelegate):
    """Title, a line of facts, and a bar: approved (green) and edited (blue)."""

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        h = option.fontMetrics.height()
        return QSize(200, 2 * h + 22)

    def updateEditorGeometry(self, editor, option: QStyleOptionViewItem, index: Index) -> None:
        """The title editor sits over the title line."""
        r = option.rect.adjusted(4, 2, -4, 0)
        editor.setGeometry(QRect(r.left(), r.top(), r.width(), option.fontMetrics.height() + 8))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        r: RecordingInfo | None = index.data(RECORDING_ROLE)
        opt = draw_item_frame(self, painter, option, index)
        if r is None:
            return
        t = theme.current()
        rect = opt.rect.adjusted(8, 4, -8, -4)
        fm = opt.fontMetrics
        painter.save()
        bold = QFont(opt.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(QColor(t.text))
        label = str(index.data(Qt.ItemDataRole.DisplayRole) or r.title)
        bold_fm = QFontMetrics(bold)
        title = bold_fm.elidedText(label, Qt.TextElideMode.ElideRight, rect.width())
        line = QRect(rect.left(), rect.top(), rect.width(), fm.height())
        painter.drawText(line, 0, title)
        painter.setFont(opt.font)
        painter.setPen(QColor(t.muted))
        room = line.adjusted(bold_fm.horizontalAdvance(title) + 8, 0, 0, 0)
        if label != r.title and room.width() > 4 * fm.averageCharWidth():
            # titles repeat: the file name tells them apart as well
            name = fm.elidedText(r.original_filename, Qt.TextElideMode.ElideMiddle, room.width())
            painter.drawText(room, 0, name)
        facts = f"{fmt_ms(r.duration_ms)} · {progress_text(r.counts)}"
        facts = fm.elidedText(facts, Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(
            QRect(rect.left(), rect.top() + fm.height() + 1, rect.width(), fm.height()), 0, facts
        )
        bar = QRect(rect.left(), rect.bottom() - 4, rect.width(), 4)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(t.muted).lighter(170) if t.name == "light" else QColor("#323946"))
        painter.drawRoundedRect(bar, 2, 2)
        total = sum(r.counts.values())
        if total:
            x = bar.left()
            for status in ("approved", "edited"):
                w = round(bar.width() * r.counts.get(status, 0) / total)
                if w:
                    painter.setBrush(QColor(t.status_color(status)))
                    painter.drawRoundedRect(QRect(x, bar.top(), w, bar.height()), 2, 2)
                    x += w
        painter.restore()


class RecordingsPanel(QWidget):
    recording_selected = Signal(int)
    import_requested = Signal()
    edit_requested = Signal(int)
    remove_requested = Signal(int)
    rename_requested = Signal(int, str)  # recording id, new title (typed in the list)

    def __init__(self) -> None:
        super().__init__()
        self.model = RecordingListModel(self)
        self.model.rename_handler = self._rename
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setItemDelegate(RecordingDelegate(self.view))
        self.view.setUniformItemSizes(True)
        self.view.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.view.selectionModel().currentRowChanged.connect(self._current_changed)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.import_button = QPushButton("Import audio…")
        theme.bind_icon(self.import_button, "import")
        self.import_button.clicked.connect(self.import_requested)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.import_button)
        self._quiet = False

    def set_recordings(self, items: Sequence[RecordingInfo]) -> None:
        current = self.current_id()
        self._quiet = True
        try:
            self.model.set_recordings(items)
            if current is not None and (row := self.model.row_of(current)) >= 0:
                self.view.setCurrentIndex(self.model.index(row))
        finally:
            self._quiet = False

    def current_id(self) -> int | None:
        r = self.model.recording(self.view.currentIndex().row())
        return r.id if r else None

    def select(self, recording_id: int) -> None:
        row = self.model.row_of(recording_id)
        if row >= 0:
            self.view.setCurrentIndex(self.model.index(row))

    def rename_current(self) -> None:
        """Edit the current recording's title in place (F2, or a double-click)."""
        index = self.view.currentIndex()
        if index.isValid():
            self.view.edit(index)

    def is_renaming(self) -> bool:
        return self.view.state() == QAbstractItemView.State.EditingState

    def _rename(self, recording_id: int, title: str) -> bool:
        self.rename_requested.emit(recording_id, title)
        return True

    def _context_menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        r = self.model.recording(index.row())
        if r is None:
            return
        menu = QMenu(self)
        menu.addAction("Rename (F2)", lambda: self.view.edit(index))
        menu.addAction("Edit details…", lambda: self.edit_requested.emit(r.id))
        menu.addAction("Remove from project…", lambda: self.remove_requested.emit(r.id))
        menu.exec(self.view.viewport().mapToGlobal(pos))

    def _current_changed(self, current: QModelIndex, _prev: QModelIndex) -> None:
        r = self.model.recording(current.row())
        if r is not None and not self._quiet:
            self.recording_selected.emit(r.id)
