"""Every saved version of one segment (the project keeps them all)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.services.dto import RevisionInfo, SegmentInfo
from desktop_app.gui.review.segment_table_model import fmt_ms

if TYPE_CHECKING:
    from desktop_app.gui.session import ProjectSession
    from desktop_app.gui.undo import EditController

Index = QModelIndex | QPersistentModelIndex

KIND_LABELS = {
    "add": "added",
    "add_many": "added",
    "edit_text": "text edited",
    "set_times": "boundaries moved",
    "split": "split",
    "merge": "merged",
    "delete": "deleted",
    "set_speaker": "speaker set",
    "set_language": "language set",
    "set_status": "status set",
    "merge_speakers": "speakers merged",
    "restore_version": "earlier version restored",
    "undo": "undo",
    "redo": "redo",
}


def describe_change(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    """A short human summary of what changed between two snapshots."""
    if before is None:
        return "created"
    if after is None:
        return ""
    parts = []
    if after.get("deleted") and not before.get("deleted"):
        parts.append("removed")
    if before.get("deleted") and not after.get("deleted"):
        parts.append("restored")
    if (before.get("start_ms"), before.get("end_ms")) != (
        after.get("start_ms"),
        after.get("end_ms"),
    ):
        parts.append(
            f"{fmt_ms(before['start_ms'])}–{fmt_ms(before['end_ms'])} → "
            f"{fmt_ms(after['start_ms'])}–{fmt_ms(after['end_ms'])}"
        )
    for key in ("status", "language", "speaker_id"):
        if before.get(key) != after.get(key):
            parts.append(
                f"{key.replace('_id', '')}: {before.get(key) or '–'} → {after.get(key) or '–'}"
            )
    return "; ".join(parts)


class RevisionModel(QAbstractTableModel):
    HEADERS = ("When", "Change", "By", "Text after", "Details")

    def __init__(self, revisions: Sequence[RevisionInfo], parent: Any = None) -> None:
        super().__init__(parent)
        self.revisions = list(reversed(revisions))  # newest first

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.revisions)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not 0 <= index.row() < len(self.revisions):
            return None
        rev = self.revisions[index.row()]
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        col = index.column()
        if col == 0:
            when = rev.created_at
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return when.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        if col == 1:
            return KIND_LABELS.get(rev.operation_kind, rev.operation_kind)
        if col == 2:
            return rev.source + (
                f" ({rev.source_detail})"
                if rev.source_detail and rev.operation_kind != "merge_speakers"
                else ""
            )
        if col == 3:
            return (rev.after or {}).get("text", "")
        return describe_change(rev.before, rev.after)


class HistoryDialog(QDialog):
    """The versions of a segment, newest first; *Restore this version* gives
    the segment back the text and times it had after the selected change."""

    def __init__(self, revisions: Sequence[RevisionInfo], title: str, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(900, 360)
        self.model = RevisionModel(revisions, self)
        self.chosen: RevisionInfo | None = None
        self.view = view = QTableView()
        view.setModel(self.model)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.verticalHeader().setVisible(False)
        view.setAlternatingRowColors(True)
        view.setWordWrap(False)
        view.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        view.setColumnWidth(0, 150)
        view.setColumnWidth(1, 120)
        view.setColumnWidth(2, 90)
        view.setColumnWidth(4, 220)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.restore_button = QPushButton("&Restore this version")
        self.restore_button.setToolTip(
            "Give the segment back the text, times, speaker and language it had after the "
            "selected change (an edit of its own: Undo takes it back)"
        )
        self.restore_button.setEnabled(False)
        self.restore_button.clicked.connect(self._restore)
        buttons.addButton(self.restore_button, QDialogButtonBox.ButtonRole.ActionRole)
        view.selectionModel().currentRowChanged.connect(self._row_changed)
        layout = QVBoxLayout(self)
        layout.addWidget(view)
        layout.addWidget(buttons)

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = current.row()
        rev = self.model.revisions[row] if 0 <= row < len(self.model.revisions) else None
        # the newest row is the segment as it is now: nothing to restore
        self.restore_button.setEnabled(rev is not None and row > 0 and rev.after is not None)

    def _restore(self) -> None:
        row = self.view.currentIndex().row()
        if 0 < row < len(self.model.revisions):
            self.chosen = self.model.revisions[row]
            self.accept()


def show_segment_history(
    parent: QWidget, session: ProjectSession, editor: EditController, seg: SegmentInfo
) -> None:
    """The history of ``seg``; *Restore this version* becomes an undoable edit."""
    title = f"History of the segment at {fmt_ms(seg.start_ms)}"
    dialog = HistoryDialog(session.segments.history(seg.id), title, parent)
    if dialog.exec() and dialog.chosen is not None:
        editor.restore_version(seg.id, dialog.chosen.id)
