"""The transcript table: one row per segment, edited in place.

Text is edited in a line editor (Enter saves, Esc cancels); speaker, language
and status through drop-downs. The Text column takes the width the others
leave and shows whole sentences: each row is as tall as its wrapped text
(heights come from :meth:`TextDelegate.row_height`, cached per text and width,
and are set when the rows or the column's width change). Columns without a
value in any row (Unit PPL before scoring, Speaker before any is assigned…)
are hidden; Time, Status and Text always show. Words the model was unsure of
are underlined, coloured and tinted (see
:mod:`~desktop_app.gui.review.text_delegate`), rows whose segment is among the
model's weakest are tinted, and a plain click on a word moves the playhead to
it (``word_clicked``).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import (
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLabel,
    QStyledItemDelegate,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.services.dto import SegmentInfo
from desktop_app.gui.review.draft_journal import DraftJournal
from desktop_app.gui.review.job_banner import JobBanner
from desktop_app.gui.review.segment_table_model import (
    ALWAYS_SHOWN,
    LANGUAGES,
    SEGMENT_ROLE,
    STATUSES,
    Col,
    SegmentTableModel,
)
from desktop_app.gui.review.text_delegate import MIN_ROW_HEIGHT, TextDelegate
from desktop_app.gui.review.word_spans import seek_ms

Index = QModelIndex | QPersistentModelIndex
_SELECT_ROW = (
    QItemSelectionModel.SelectionFlag.ClearAndSelect
    | QItemSelectionModel.SelectionFlag.Rows
    | QItemSelectionModel.SelectionFlag.Current
)


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
    word_clicked = Signal(object, int)  # SegmentInfo, where to seek (ms): a click on a word

    def __init__(
        self,
        model: SegmentTableModel,
        speakers: Callable[[], list[tuple[str, object]]],
        languages: Callable[[], list[str]] = lambda: list(LANGUAGES),
    ):
        """``languages``: the codes the Lang column offers (the project's list)."""
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
        rows = self.view.verticalHeader()
        rows.setVisible(False)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # set from the text
        rows.setMinimumSectionSize(MIN_ROW_HEIGHT)
        rows.setDefaultSectionSize(MIN_ROW_HEIGHT)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(Col.TEXT, QHeaderView.ResizeMode.Stretch)
        for col, width in (
            (Col.TIME, 112),  # the others narrow: Text takes the rest
            (Col.SPEAKER, 124),
            (Col.LANGUAGE, 48),
            (Col.STATUS, 74),
            (Col.CONFIDENCE, 52),
            (Col.PERPLEXITY, 70),
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
            Col.LANGUAGE, ChoiceDelegate(lambda: none + [(x, x) for x in languages()], self.view)
        )
        self.view.setItemDelegateForColumn(  # a person never sets 'auto' (model output)
            Col.STATUS,
            ChoiceDelegate(lambda: [(x, x) for x in STATUSES if x != "auto"], self.view),
        )
        self.journal = DraftJournal(self.text_delegate, self)  # typing survives a kill
        self.banner = JobBanner()
        self.view.selectionModel().currentRowChanged.connect(self._current_row_changed)
        self.view.doubleClicked.connect(self._double_clicked)
        self._pressed: tuple[int, int] | None = None  # (row, word) under a left press
        self.view.viewport().installEventFilter(self)
        model.modelReset.connect(self._after_reset)
        self._keep_id: int | None = None
        model.modelAboutToBeReset.connect(self._before_reset)
        # rows as tall as their text: now when rows change, soon after a width change
        self._heights_timer = QTimer(self)
        self._heights_timer.setSingleShot(True)
        self._heights_timer.setInterval(30)
        self._heights_timer.timeout.connect(self.fit_rows)
        model.dataChanged.connect(self._data_changed)
        model.layoutChanged.connect(lambda *_: self.fit_rows())
        header.sectionResized.connect(self._section_resized)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addWidget(self.banner)
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

    def set_playhead(self, ms: int) -> None:
        """Mark the word under the playhead (repaints only the rows it left and entered)."""
        old, self.text_delegate.playhead_ms = self.text_delegate.playhead_ms, ms
        rows = {self.model.row_at(ms)}
        if old is not None:
            rows.add(self.model.row_at(old))
        for row in rows - {-1}:
            self.view.update(self.model.index(row, Col.TEXT))

    def fit_rows(self, first: int = 0, last: int | None = None) -> None:
        """Set the height of rows ``first..last`` (all by default) to their wrapped text."""
        self._heights_timer.stop()
        segments = self.model.segments
        last = len(segments) - 1 if last is None else min(last, len(segments) - 1)
        font, width = self.view.font(), self.view.columnWidth(Col.TEXT)
        rows = self.view.verticalHeader()
        height = self.text_delegate.text_height
        for row in range(max(0, first), last + 1):
            h = height(segments[row].text, font, width)
            if rows.sectionSize(row) != h:
                rows.resizeSection(row, h)

    def show_columns(self) -> None:
        """Hide the columns that have no value in any row (Time, Status and Text stay)."""
        empty = self.model.empty_columns()
        for col in Col:
            hide = col not in ALWAYS_SHOWN and col in empty
            if self.view.isColumnHidden(col) != hide:
                self.view.setColumnHidden(col, hide)

    # -- internals -------------------------------------------------------------------
    def _data_changed(self, top: QModelIndex, bottom: QModelIndex, _roles=()) -> None:
        if top.row() == 0 and bottom.row() >= self.model.rowCount() - 1:
            self.show_columns()  # a reload: a column may have gained or lost its values
        if top.column() <= Col.TEXT <= bottom.column():
            self.fit_rows(top.row(), bottom.row())

    def _section_resized(self, column: int, _old: int, _new: int) -> None:
        if column == Col.TEXT:
            self._heights_timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """A plain left click on a word (press and release on the same word)
        seeks to it; Shift/Ctrl clicks only select, double-clicks edit."""
        kind = event.type()
        if kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease) and isinstance(
            event, QMouseEvent
        ):
            plain = (
                event.button() == Qt.MouseButton.LeftButton
                and event.modifiers() == Qt.KeyboardModifier.NoModifier
            )
            hit = self._word_under(event.position().toPoint()) if plain else None
            if kind == QEvent.Type.MouseButtonPress:
                self._pressed = hit
            elif hit is not None and hit == self._pressed and not self.is_editing():
                self._pressed = None
                seg = self.model.segment(hit[0])
                spans = self.text_delegate.spans(self.model.index(hit[0], Col.TEXT))
                if seg is not None and spans is not None:
                    self.word_clicked.emit(seg, seek_ms(seg, spans[1], hit[1]))
        return super().eventFilter(watched, event)

    def _word_under(self, pos) -> tuple[int, int] | None:
        index = self.view.indexAt(pos)
        if not index.isValid() or index.column() != Col.TEXT:
            return None
        word = self.text_delegate.word_at(self.view, index, pos)
        return None if word is None else (index.row(), word)

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
        self.show_columns()
        self.fit_rows()
        if self._keep_id is not None and self.model.row_of(self._keep_id) >= 0:
            self.select_segment(self._keep_id, scroll=False)
        self._keep_id = None
