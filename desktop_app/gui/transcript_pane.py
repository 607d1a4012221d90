"""The transcript table: one row per segment, edited in place.

Text is edited in a line editor (Enter saves, Esc cancels); speaker, language
and status through drop-downs. Words the model was unsure of are underlined
and coloured (while the text still matches the model's words), and whole
low-confidence rows are tinted.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QRectF,
    Qt,
    Signal,
)
from PySide6.QtGui import QAbstractTextDocumentLayout, QPalette, QTextDocument
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.services.dto import SegmentInfo
from desktop_app.gui import theme
from desktop_app.gui.segment_table_model import (
    LANGUAGES,
    LOW_WORDS_ROLE,
    SEGMENT_ROLE,
    STATUSES,
    Col,
    SegmentTableModel,
)

Index = QModelIndex | QPersistentModelIndex
_SELECT_ROW = (
    QItemSelectionModel.SelectionFlag.ClearAndSelect
    | QItemSelectionModel.SelectionFlag.Rows
    | QItemSelectionModel.SelectionFlag.Current
)


class TextDelegate(QStyledItemDelegate):
    """Paints low-confidence words; edits text in a line editor."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.active_editor: QWidget | None = None

    def paint(self, painter, option: QStyleOptionViewItem, index: Index) -> None:
        tokens = index.data(LOW_WORDS_ROLE)
        if not tokens or not any(low for _, low in tokens):
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        t = theme.current()
        parts = [
            f'<span style="color:{t.low_conf_word}; text-decoration: underline;">'
            f"{html.escape(word)}</span>"
            if low
            else html.escape(word)
            for word, low in tokens
        ]
        doc = QTextDocument()
        doc.setDefaultFont(opt.font)
        doc.setDocumentMargin(0)
        doc.setHtml(" ".join(parts))
        rect = opt.rect.adjusted(5, 0, -4, 0)
        painter.save()
        painter.setClipRect(rect)
        painter.translate(rect.left(), rect.top() + (rect.height() - doc.size().height()) / 2)
        ctx = QAbstractTextDocumentLayout.PaintContext()
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        ctx.palette.setColor(QPalette.ColorRole.Text, opt.palette.color(role))
        ctx.clip = QRectF(0, 0, rect.width(), rect.height())
        doc.documentLayout().draw(painter, ctx)
        painter.restore()

    def createEditor(self, parent: QWidget, option, index: Index) -> QWidget:
        editor = QLineEdit(parent)
        editor.setFrame(False)
        self.active_editor = editor
        editor.destroyed.connect(lambda _obj=None, e=editor: self._forget(e))
        return editor

    def _forget(self, editor: QWidget) -> None:
        if self.active_editor is editor:  # not a newer editor opened meanwhile
            self.active_editor = None


class ChoiceDelegate(QStyledItemDelegate):
    """A drop-down editor; ``choices()`` gives ``(label, value)`` pairs."""

    def __init__(self, choices: Callable[[], list[tuple[str, object]]], parent=None) -> None:
        super().__init__(parent)
        self.choices = choices

    def createEditor(self, parent: QWidget, option, index: Index) -> QWidget:
        combo = QComboBox(parent)
        for label, value in self.choices():
            combo.addItem(label, value)
        combo.activated.connect(lambda _i: self.commitData.emit(combo))
        return combo

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        assert isinstance(editor, QComboBox)
        i = editor.findData(index.data(Qt.ItemDataRole.EditRole))
        editor.setCurrentIndex(max(0, i))
        editor.showPopup()

    def setModelData(self, editor: QWidget, model, index: Index) -> None:
        assert isinstance(editor, QComboBox)
        model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)


class TranscriptPane(QWidget):
    current_changed = Signal(object)  # SegmentInfo | None
    activated = Signal(object)  # SegmentInfo (double-click on time: play it)

    def __init__(self, model: SegmentTableModel, speakers: Callable[[], list[tuple[str, object]]]):
        super().__init__()
        self.model = model
        self.title = QLabel("Transcript")
        self.title.setObjectName("paneTitle")
        self.view = QTableView()
        self.view.setModel(model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setAlternatingRowColors(True)
        self.view.setShowGrid(False)
        self.view.setWordWrap(False)
        self.view.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(30)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(Col.TEXT, QHeaderView.ResizeMode.Stretch)
        for col, width in (
            (Col.TIME, 130),
            (Col.SPEAKER, 140),
            (Col.LANGUAGE, 62),
            (Col.STATUS, 82),
            (Col.CONFIDENCE, 58),
        ):
            self.view.setColumnWidth(col, width)
        header.moveSection(header.visualIndex(Col.CONFIDENCE), header.visualIndex(Col.TEXT))

        self.text_delegate = TextDelegate(self.view)
        self.view.setItemDelegateForColumn(Col.TEXT, self.text_delegate)
        none = [("–", None)]
        self.view.setItemDelegateForColumn(
            Col.SPEAKER, ChoiceDelegate(lambda: none + speakers(), self.view)
        )
        self.view.setItemDelegateForColumn(
            Col.LANGUAGE, ChoiceDelegate(lambda: none + [(x, x) for x in LANGUAGES], self.view)
        )
        self.view.setItemDelegateForColumn(
            Col.STATUS, ChoiceDelegate(lambda: [(x, x) for x in STATUSES], self.view)
        )
        self.view.selectionModel().currentRowChanged.connect(self._current_row_changed)
        self.view.doubleClicked.connect(self._double_clicked)
        model.modelReset.connect(self._after_reset)
        self._keep_id: int | None = None
        model.modelAboutToBeReset.connect(self._before_reset)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addWidget(self.view, 1)

    # -- queries ------------------------------------------------------------
    def current_segment(self) -> SegmentInfo | None:
        return self.model.segment(self.view.currentIndex().row())

    def selected_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        ids = [s.id for r in rows if (s := self.model.segment(r)) is not None]
        if not ids and (cur := self.current_segment()) is not None:
            ids = [cur.id]
        return ids

    def is_editing(self) -> bool:
        return self.view.state() == QAbstractItemView.State.EditingState

    # -- commands ------------------------------------------------------------------
    def select_row(self, row: int, *, scroll: bool = True) -> None:
        if row < 0 or row >= self.model.rowCount():
            return
        if self.is_editing():
            self.commit_editor()
        col = max(0, self.view.currentIndex().column())
        index = self.model.index(row, col)
        self.view.selectionModel().setCurrentIndex(index, _SELECT_ROW)
        if scroll:
            self.view.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)

    def select_segment(self, segment_id: int, *, scroll: bool = True) -> None:
        self.select_row(self.model.row_of(segment_id), scroll=scroll)

    def edit_text(self) -> None:
        row = self.view.currentIndex().row()
        if row < 0 and self.model.rowCount():
            row = 0
        if row >= 0:
            index = self.model.index(row, Col.TEXT)
            self.view.setCurrentIndex(index)
            self.view.edit(index)

    def commit_editor(self) -> None:
        """Save and close an open text editor (before a command acts on the row)."""
        editor, self.text_delegate.active_editor = self.text_delegate.active_editor, None
        if editor is not None and self.is_editing():
            self.text_delegate.commitData.emit(editor)
            self.text_delegate.closeEditor.emit(editor, QAbstractItemDelegate.EndEditHint.NoHint)

    # -- internals -------------------------------------------------------------------
    def _current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.current_changed.emit(self.model.segment(current.row()))

    def _double_clicked(self, index: QModelIndex) -> None:
        seg = index.data(SEGMENT_ROLE)
        if seg is not None and index.column() == Col.TIME:
            self.activated.emit(seg)

    def _before_reset(self) -> None:
        cur = self.current_segment()
        self._keep_id = cur.id if cur else None

    def _after_reset(self) -> None:
        if self._keep_id is not None and self.model.row_of(self._keep_id) >= 0:
            self.select_segment(self._keep_id, scroll=False)
        self._keep_id = None
