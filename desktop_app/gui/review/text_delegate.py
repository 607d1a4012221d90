"""The transcript's Text column: whole sentences, words the model was unsure of,
and words to click.

The text wraps over as many lines as it needs (up to
:data:`~desktop_app.gui.review.text_layout.MAX_LINES`, then an ellipsis after
the last whole word that fits); :meth:`TextDelegate.row_height` tells the
transcript how tall each row must be. When a segment has the model's words
(see :mod:`desktop_app.gui.review.word_spans`) the words below the model's
calibrated threshold are coloured, underlined and tinted, and the word under
the playhead gets a soft accent background (so a jump to a word, or playback,
shows where it is). One layout (:mod:`~desktop_app.gui.review.text_layout`)
paints a cell and answers "which word is at this point" for clicks and
tooltips, so what is clicked is exactly what is drawn.
"""

from __future__ import annotations

import html
import math

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QPointF,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont, QPalette, QTextCharFormat, QTextLayout
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolTip,
    QWidget,
)

from desktop_app.core.services.dto import SegmentInfo
from desktop_app.gui import theme
from desktop_app.gui.painting import draw_item_frame
from desktop_app.gui.review.segment_editor import SegmentTextEditor
from desktop_app.gui.review.segment_table_model import (
    LOW_RULE_ROLE,
    SEGMENT_ROLE,
    SPANS_ROLE,
    fmt_ms,
)
from desktop_app.gui.review.text_layout import Wrapped, Wrapper, offset_at, text_layout
from desktop_app.gui.review.word_spans import WordSpan, span_at_offset

Index = QModelIndex | QPersistentModelIndex
MARGIN_LEFT, MARGIN_RIGHT = 5, 4  # the text's inset inside the cell
PAD_Y = 6  # space above and below the text, in all
MIN_ROW_HEIGHT = 30  # a one-line row (the transcript's default row height)


def _rgba(colour: str, alpha: float) -> QColor:
    c = QColor(theme.color(colour))
    c.setAlphaF(alpha)
    return c


def word_formats(spans: list[WordSpan], playhead_ms: int | None) -> list[QTextLayout.FormatRange]:
    """How the words are marked: low ones coloured, underlined and tinted, the
    one under the playhead shaded (ranges of ``" ".join(words)``)."""
    t = theme.current()
    out = []
    for span in spans:
        fmt = QTextCharFormat()
        if span.low:
            fmt.setForeground(QBrush(QColor(t.low_conf_word)))
            fmt.setFontUnderline(True)
            fmt.setBackground(QBrush(_rgba(t.low_conf_word, 0.16)))
        if (
            playhead_ms is not None
            and span.start_ms is not None
            and span.end_ms is not None
            and span.start_ms <= playhead_ms < span.end_ms
        ):
            fmt.setBackground(QBrush(_rgba(t.accent, 0.30)))
        if fmt.propertyCount():
            r = QTextLayout.FormatRange()
            r.start, r.length, r.format = span.offset, len(span.text), fmt
            out.append(r)
    return out


def word_tooltip(span: WordSpan, low_means: str = "below the review threshold") -> str:
    """What the model said about one word (shown when hovering it); ``low_means``
    says what "low" is for this model (e.g. "below this project's 20th percentile, 0.41")."""
    lines = [f"<b>{html.escape(span.text)}</b>"]
    if span.p is not None:
        low = f" — {html.escape(low_means, quote=False)}" if span.low else ""
        lines.append(f"Model probability {span.p:.2f}{low}")
    elif span.start_ms is None:
        lines.append("Typed by a reviewer (no model timing)")
    if span.start_ms is not None:
        lines.append(f"At {fmt_ms(span.start_ms)} — click to move the playhead here")
    return "<br>".join(lines)


class TextDelegate(QStyledItemDelegate):
    """Paints the wrapped text with its low-confidence words; edits it in a
    :class:`~desktop_app.gui.review.segment_editor.SegmentTextEditor`."""

    #: An editor opened on a segment: ``(editor, SegmentInfo)`` (for the draft journal).
    editor_opened = Signal(object, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.active_editor: QWidget | None = None
        self.playhead_ms: int | None = None
        self._wrappers: dict[str, Wrapper] = {}

    # -- layout (shared by row heights, painting and hit-testing) -----------------
    def wrapper(self, font: QFont) -> Wrapper:
        key = font.key()
        w = self._wrappers.get(key)
        if w is None:
            w = self._wrappers[key] = Wrapper(font)
        return w

    @staticmethod
    def spans(index: Index) -> tuple[SegmentInfo, list[WordSpan]] | None:
        """The segment and its words with what the model said (None: no model words)."""
        seg = index.data(SEGMENT_ROLE)
        spans = index.data(SPANS_ROLE) if isinstance(seg, SegmentInfo) else None
        return (seg, spans) if spans else None

    def wrapped(self, text: str, font: QFont, cell_width: float) -> Wrapped:
        """``text`` as laid out in a Text cell this wide (its words, in lines)."""
        return self.wrapper(font).wrap(text.split(), cell_width - MARGIN_LEFT - MARGIN_RIGHT)

    def text_height(self, text: str, font: QFont, cell_width: float) -> int:
        """How tall a row must be to show ``text`` wrapped in a cell this wide."""
        return max(MIN_ROW_HEIGHT, math.ceil(self.wrapped(text, font, cell_width).height + PAD_Y))

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        view = option.widget
        column_width = getattr(view, "columnWidth", None)
        width = column_width(index.column()) if column_width else option.rect.width()
        seg = index.data(SEGMENT_ROLE)
        text = seg.text if isinstance(seg, SegmentInfo) else ""
        return QSize(width, self.text_height(text, option.font, width))

    def _layout(
        self, index: Index, font: QFont, rect: QRectF, playhead: int | None
    ) -> tuple[QTextLayout, QPointF, list[WordSpan]]:
        """The laid-out text of a cell, where to draw it, and its shown words."""
        seg = index.data(SEGMENT_ROLE)
        wrapped = self.wrapped(seg.text if isinstance(seg, SegmentInfo) else "", font, rect.width())
        found = self.spans(index)
        spans = found[1][: wrapped.words] if found else []
        layout = text_layout(wrapped, font, word_formats(spans, playhead))
        top = rect.top() + (rect.height() - wrapped.height) / 2
        return layout, QPointF(rect.left() + MARGIN_LEFT, top), spans

    def word_at(self, view: QAbstractItemView, index: Index, pos: QPoint) -> int | None:
        """The index of the word drawn at ``pos`` (viewport coordinates) in ``index``."""
        if self.spans(index) is None:
            return None
        rect = QRectF(view.visualRect(QModelIndex(index)))
        if not rect.adjusted(MARGIN_LEFT, 0, -MARGIN_RIGHT, 0).contains(QPointF(pos)):
            return None
        layout, origin, spans = self._layout(index, view.font(), rect, None)
        offset = offset_at(layout, QPointF(pos) - origin)
        return None if offset is None else span_at_offset(spans, offset)

    # -- painting ------------------------------------------------------------------
    def paint(self, painter, option: QStyleOptionViewItem, index: Index) -> None:
        seg = index.data(SEGMENT_ROLE)
        if not isinstance(seg, SegmentInfo):
            super().paint(painter, option, index)
            return
        opt = draw_item_frame(self, painter, option, index)
        playhead = self.playhead_ms
        if playhead is not None and not seg.start_ms <= playhead < seg.end_ms:
            playhead = None
        layout, origin, _spans = self._layout(index, opt.font, QRectF(opt.rect), playhead)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.save()
        painter.setClipRect(QRectF(opt.rect).adjusted(MARGIN_LEFT, 0, -MARGIN_RIGHT, 0))
        painter.setPen(QColor(opt.palette.color(role)))
        layout.draw(painter, origin)
        painter.restore()

    def helpEvent(self, event, view, option, index) -> bool:
        """A tooltip for the word under the mouse (the whole text elsewhere)."""
        if event is not None and event.type() == QEvent.Type.ToolTip and view is not None:
            found = self.spans(index)
            i = self.word_at(view, index, event.pos()) if found else None
            if found is not None and i is not None:
                rule = index.data(LOW_RULE_ROLE)
                tip = word_tooltip(found[1][i], rule) if rule else word_tooltip(found[1][i])
                QToolTip.showText(event.globalPos(), tip, view)
                return True
        return super().helpEvent(event, view, option, index)

    # -- editing -------------------------------------------------------------------
    def createEditor(self, parent: QWidget, option, index: Index) -> QWidget:
        editor = SegmentTextEditor(parent)
        editor.submitted.connect(lambda e=editor: self._submit(e))
        self.active_editor = editor
        editor.destroyed.connect(lambda _obj=None, e=editor: self._forget(e))
        seg = index.data(SEGMENT_ROLE)
        if isinstance(seg, SegmentInfo):
            self.editor_opened.emit(editor, seg)
        return editor

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        if isinstance(editor, SegmentTextEditor):
            if not editor.document().isModified():  # a refresh never overwrites typing
                editor.setText(str(index.data(Qt.ItemDataRole.EditRole) or ""))
                editor.document().setModified(False)
            return
        super().setEditorData(editor, index)

    def setModelData(self, editor: QWidget, model, index: Index) -> None:
        if isinstance(editor, SegmentTextEditor):
            model.setData(index, editor.text(), Qt.ItemDataRole.EditRole)
            return
        super().setModelData(editor, model, index)

    def updateEditorGeometry(self, editor: QWidget, option, index: Index) -> None:
        editor.setGeometry(option.rect)
        if isinstance(editor, SegmentTextEditor):
            editor.set_min_height(option.rect.height())

    def _submit(self, editor: SegmentTextEditor) -> None:
        self.commitData.emit(editor)
        self.closeEditor.emit(editor, QAbstractItemDelegate.EndEditHint.NoHint)

    def _forget(self, editor: QWidget) -> None:
        if self.active_editor is editor:  # not a newer editor opened meanwhile
            self.active_editor = None
