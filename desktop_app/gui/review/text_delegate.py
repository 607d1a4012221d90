"""The transcript's Text column: words the model was unsure of, and words to click.

When a segment has the model's words (see :mod:`desktop_app.gui.review.word_spans`)
its text is laid out as rich text: words below the review threshold are
coloured, underlined and tinted; the word under the playhead gets a soft
accent background (so a jump to a word, or playback, shows where it is).
Text too long for the cell ends, after the last whole word that fits, in an
ellipsis. The same layout answers "which word is at this point" for clicks
and tooltips, so what is clicked is exactly what is drawn.
"""

from __future__ import annotations

import html

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QPointF,
    QRectF,
    Qt,
    Signal,
)
from PySide6.QtGui import QAbstractTextDocumentLayout, QColor, QFont, QPalette, QTextDocument
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
from desktop_app.gui.review.segment_editor import SegmentTextEditor
from desktop_app.gui.review.segment_table_model import SEGMENT_ROLE, fmt_ms
from desktop_app.gui.review.word_spans import WordSpan, span_at_offset, word_spans

Index = QModelIndex | QPersistentModelIndex
MARGIN_LEFT, MARGIN_RIGHT = 5, 4  # the text's inset inside the cell


def _rgba(colour: str, alpha: float) -> str:
    c = theme.color(colour)
    return f"rgba({c.red()},{c.green()},{c.blue()},{alpha:.2f})"


def words_html(spans: list[WordSpan], playhead_ms: int | None, *, more: bool = False) -> str:
    """The words as rich text: low ones marked, the one under the playhead tinted;
    ``more``: an ellipsis after them (the text goes on past the cell)."""
    t = theme.current()
    parts = []
    for span in spans:
        style = []
        if span.low:
            style += [
                f"color:{t.low_conf_word}",
                "text-decoration: underline",
                f"background-color:{_rgba(t.low_conf_word, 0.16)}",
            ]
        if (
            playhead_ms is not None
            and span.start_ms is not None
            and span.end_ms is not None
            and span.start_ms <= playhead_ms < span.end_ms
        ):
            style.append(f"background-color:{_rgba(t.accent, 0.30)}")
        text = html.escape(span.text)
        parts.append(f'<span style="{"; ".join(style)}">{text}</span>' if style else text)
    return " ".join([*parts, "…"] if more else parts)


def word_tooltip(span: WordSpan) -> str:
    """What the model said about one word (shown when hovering it)."""
    lines = [f"<b>{html.escape(span.text)}</b>"]
    if span.p is not None:
        low = " — below the review threshold" if span.low else ""
        lines.append(f"Model probability {span.p:.2f}{low}")
    elif span.start_ms is None:
        lines.append("Typed by a reviewer (no model timing)")
    if span.start_ms is not None:
        lines.append(f"At {fmt_ms(span.start_ms)} — click to move the playhead here")
    return "<br>".join(lines)


class TextDelegate(QStyledItemDelegate):
    """Paints the text with its low-confidence words; edits it in a
    :class:`~desktop_app.gui.review.segment_editor.SegmentTextEditor`."""

    #: An editor opened on a segment: ``(editor, SegmentInfo)`` (for the draft journal).
    editor_opened = Signal(object, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.active_editor: QWidget | None = None
        self.playhead_ms: int | None = None

    # -- layout (shared by painting and hit-testing) -------------------------
    @staticmethod
    def spans(index: Index) -> tuple[SegmentInfo, list[WordSpan]] | None:
        seg = index.data(SEGMENT_ROLE)
        threshold = getattr(index.model(), "threshold", 0.6)
        spans = word_spans(seg, threshold) if isinstance(seg, SegmentInfo) else None
        return (seg, spans) if spans else None

    @staticmethod
    def _document(
        rect: QRectF, font: QFont, spans: list[WordSpan], playhead: int | None
    ) -> tuple[QTextDocument, QPointF, int]:
        """The laid-out words for a cell, where to draw them, and how many are shown."""

        def build(k: int) -> QTextDocument:
            doc = QTextDocument()
            doc.setDefaultFont(font)
            doc.setDocumentMargin(0)
            doc.setHtml(words_html(spans[:k], playhead, more=k < len(spans)))
            return doc

        width = rect.width() - MARGIN_LEFT - MARGIN_RIGHT
        shown = len(spans)
        doc = build(shown)
        if doc.size().width() > width and shown > 1:
            lo, hi = 1, shown - 1  # the most words that fit with the ellipsis (at least one)
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if build(mid).size().width() <= width:
                    lo = mid
                else:
                    hi = mid - 1
            shown = lo
            doc = build(shown)
        top = rect.top() + (rect.height() - doc.size().height()) / 2
        return doc, QPointF(rect.left() + MARGIN_LEFT, top), shown

    def word_at(self, view: QAbstractItemView, index: Index, pos: QPoint) -> int | None:
        """The index of the word drawn at ``pos`` (viewport coordinates) in ``index``."""
        found = self.spans(index)
        if found is None:
            return None
        _seg, spans = found
        rect = QRectF(view.visualRect(QModelIndex(index)))
        if not rect.adjusted(MARGIN_LEFT, 0, -MARGIN_RIGHT, 0).contains(QPointF(pos)):
            return None
        doc, origin, shown = self._document(rect, view.font(), spans, None)
        offset = doc.documentLayout().hitTest(QPointF(pos) - origin, Qt.HitTestAccuracy.ExactHit)
        return None if offset < 0 else span_at_offset(spans[:shown], offset)

    # -- painting ------------------------------------------------------------------
    def paint(self, painter, option: QStyleOptionViewItem, index: Index) -> None:
        found = self.spans(index)
        if found is None:
            super().paint(painter, option, index)
            return
        seg, spans = found
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        playhead = self.playhead_ms
        if playhead is not None and not seg.start_ms <= playhead < seg.end_ms:
            playhead = None
        doc, origin, _shown = self._document(QRectF(opt.rect), opt.font, spans, playhead)
        clip = QRectF(opt.rect).adjusted(MARGIN_LEFT, 0, -MARGIN_RIGHT, 0)
        painter.save()
        painter.setClipRect(clip)
        painter.translate(origin)
        ctx = QAbstractTextDocumentLayout.PaintContext()
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        ctx.palette.setColor(QPalette.ColorRole.Text, QColor(opt.palette.color(role)))
        ctx.clip = QRectF(0, 0, clip.width(), opt.rect.height())
        doc.documentLayout().draw(painter, ctx)
        painter.restore()

    def helpEvent(self, event, view, option, index) -> bool:
        """A tooltip for the word under the mouse (the whole text elsewhere)."""
        if event is not None and event.type() == QEvent.Type.ToolTip and view is not None:
            found = self.spans(index)
            i = self.word_at(view, index, event.pos()) if found else None
            if found is not None and i is not None:
                QToolTip.showText(event.globalPos(), word_tooltip(found[1][i]), view)
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
