"""Stacked tiers under the waveform (ELAN-style): one row of boxes per tier.

Every tier of the recording is a row of time-aligned boxes on the waveform's
own time axis: the view follows the waveform's zoom and scroll, and a box
sits exactly under the sound it annotates. Each row has a header line (its
name, indented under its parent tier for a child tier) that folds the row
away when clicked.

The whole stack is one widget painting only what is visible: each row finds
its visible boxes by binary search (see :mod:`.tier_rows`), and where boxes
are narrower than a few pixels they are merged into runs, so a row of 2,000
annotations costs a handful of rectangles at any zoom. The widget holds no
data of its own beyond the rows it is given and never touches the project:
selection and edits leave through signals (the hook saves them through the
undoable edit path).

Keys (when the stack has focus): Up/Down move between tiers, Left/Right along
a tier, Enter or F2 edits the selected box in place (Enter saves, Esc
cancels, leaving the box saves too).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QEvent, QPoint, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QFont,
    QFontMetrics,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QWheelEvent,
)
from PySide6.QtWidgets import QCompleter, QFrame, QLineEdit, QScrollArea, QToolTip, QWidget

from desktop_app.gui import theme as themes
from desktop_app.gui.review.segment_table_model import fmt_ms
from desktop_app.gui.review.tier_painter import BODY_H, HEADER_H, RowPainter, Span
from desktop_app.gui.review.tier_rows import Box, TierRow
from desktop_app.gui.review.waveform_view import WaveformView

EDITOR_MIN_PX = 180
EDIT_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_F2)
MOVE_KEYS = (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Left, Qt.Key.Key_Right)


class _InlineEdit(QLineEdit):
    """The line edit over a box; Esc cancels (``cancelled``)."""

    cancelled = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.cancelled.emit()
            return
        super().keyPressEvent(event)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()  # (a line edit passes Enter on: the box would reopen)


class TierCanvas(QWidget):
    """The painted rows (inside :class:`TierStack`'s scroll area)."""

    box_selected = Signal(int, object)  # tier id, Box | None (the tier's empty space)
    edit_committed = Signal(int, object, str)  # tier id, Box, new text
    seek_requested = Signal(int)  # ms: a click on a row's empty space
    collapsed_changed = Signal()

    def __init__(self, wave: WaveformView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.wave = wave
        self.theme = themes.current()
        self.rows: list[TierRow] = []
        self.current_tier: int | None = None
        self.choices_for: Callable[[int], list[str] | None] = lambda _tier: None
        """A tier's controlled-vocabulary values (None: free text), offered while typing."""
        self.selected: tuple[str, int] | None = None
        self.playhead_ms: int | None = None
        self._editor: _InlineEdit | None = None
        self._edit_target: tuple[int, Box] | None = None
        self._font = QFont(self.font())
        self._small = QFont(self.font())
        self._small.setPointSizeF(max(7.0, self._small.pointSizeF() - 1.5))
        self._metrics = QFontMetrics(self._font)
        self.painter = RowPainter(self._font, self._small, self.theme)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(False)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        vb = wave.plot.getViewBox()
        vb.sigXRangeChanged.connect(lambda *_args: self.update())
        vb.sigResized.connect(lambda *_args: self.update())

    # -- content ------------------------------------------------------------------
    def set_rows(self, rows: Sequence[TierRow]) -> None:
        self.rows = list(rows)
        self.setMinimumHeight(self.content_height())
        self.updateGeometry()
        self.update()

    def content_height(self) -> int:
        return sum(self.row_height(r) for r in self.rows) + 1

    @staticmethod
    def row_height(row: TierRow) -> int:
        return HEADER_H + (0 if row.collapsed else BODY_H)

    def set_theme(self, theme: themes.Theme) -> None:
        self.theme = theme
        self.painter.set_theme(theme)
        self.update()

    def set_playhead(self, ms: int | None) -> None:
        if ms != self.playhead_ms:
            self.playhead_ms = ms
            self.update()

    def row_index(self, tier_id: int | None) -> int:
        return next((k for k, r in enumerate(self.rows) if r.tier.id == tier_id), -1)

    def selected_box(self) -> tuple[TierRow, Box] | None:
        k = self.row_index(self.current_tier)
        if k < 0:
            return None
        i = self.rows[k].find(self.selected)
        return (self.rows[k], self.rows[k].boxes[i]) if i >= 0 else None

    def select(self, tier_id: int | None, key: tuple[str, int] | None) -> None:
        """Show ``key`` on ``tier_id`` as selected (no signal)."""
        if (tier_id, key) != (self.current_tier, self.selected):
            self.current_tier, self.selected = tier_id, key
            self.update()

    def toggle(self, tier_id: int) -> None:
        k = self.row_index(tier_id)
        if k >= 0:
            self.rows[k].collapsed = not self.rows[k].collapsed
            self.setMinimumHeight(self.content_height())
            self.updateGeometry()
            self.collapsed_changed.emit()
            self.update()

    # -- the time axis ------------------------------------------------------------------
    def axis(self) -> tuple[float, float, float, float]:
        """(first and last second shown, x of the first, pixels per second): the
        waveform plot's own, mapped into this widget."""
        x0, x1 = self.wave.view_range()
        vb = self.wave.plot.getViewBox()
        rect = vb.sceneBoundingRect()
        view = self.wave.canvas
        port = view.viewport()
        left = self.mapFromGlobal(port.mapToGlobal(view.mapFromScene(rect.topLeft()))).x()
        right = self.mapFromGlobal(port.mapToGlobal(view.mapFromScene(rect.topRight()))).x()
        scale = (right - left) / (x1 - x0) if x1 > x0 and right > left else 0.0
        return x0, x1, float(left), scale

    def time_at(self, x: float) -> float:
        x0, _x1, left, scale = self.axis()
        return x0 + (x - left) / scale if scale > 0 else x0

    def span(self) -> Span:
        return Span(*self.axis(), self.width())

    def box_rect(self, k: int, box: Box) -> QRectF:
        """Where ``box`` of row ``k`` is drawn."""
        return self.span().rect(box, self.row_top(k) + HEADER_H)

    def row_top(self, k: int) -> int:
        return sum(self.row_height(r) for r in self.rows[:k])

    def row_at_y(self, y: int) -> tuple[int, bool]:
        """(row index or -1, whether ``y`` is on its header)."""
        top = 0
        for k, row in enumerate(self.rows):
            h = self.row_height(row)
            if top <= y < top + h:
                return k, y < top + HEADER_H
            top += h
        return -1, False

    # -- painting --------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        clip = event.rect()
        p.fillRect(clip, themes.color(self.theme.plot_bg))
        span = self.span()
        x0, left, scale = span.t0, span.left, span.scale
        top = 0
        names = {r.tier.id: r.tier.name for r in self.rows}
        for row in self.rows:
            h = self.row_height(row)
            if top + h >= clip.top() and top <= clip.bottom():
                current = row.tier.id == self.current_tier
                parent = names.get(row.tier.parent_id or -1)
                self.painter.header(p, row, top, span.width_px, parent, current)
                if not row.collapsed and scale > 0:
                    self.painter.body(p, row, top + HEADER_H, span, current, self.selected)
            top += h
        if self.playhead_ms is not None and scale > 0:
            x = left + (self.playhead_ms / 1000 - x0) * scale
            p.setPen(QPen(themes.color(self.theme.playhead), 1.5))
            p.drawLine(QPoint(round(x), 0), QPoint(round(x), top))
        p.end()

    # -- mouse ---------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        k, on_header = self.row_at_y(round(event.position().y()))
        if k < 0:
            return
        row = self.rows[k]
        if on_header:
            self.toggle(row.tier.id)
            return
        ms = self.time_at(event.position().x()) * 1000
        i = row.box_at(ms)
        self._choose(k, i)
        if i < 0:
            self.seek_requested.emit(max(0, round(ms)))

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        k, on_header = self.row_at_y(round(event.position().y()))
        if k >= 0 and not on_header and self.selected_box() is not None:
            self.start_edit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        """Ctrl+wheel zooms the shared time axis around the pointer; otherwise
        the rows scroll (when there are more than fit)."""
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            steps = event.angleDelta().y() / 120
            if steps:
                self.wave.zoom(1.25**steps, self.time_at(event.position().x()))
            event.accept()
            return
        super().wheelEvent(event)

    # -- keyboard ---------------------------------------------------------------------------
    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            self._tooltip(event)
            return True
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            plain = event.modifiers() in (
                Qt.KeyboardModifier.NoModifier,
                Qt.KeyboardModifier.KeypadModifier,
            )
            if plain and event.key() in (*EDIT_KEYS, *MOVE_KEYS):
                event.accept()  # ours, not a window shortcut's (F2 edits the box here)
                return True
        return super().event(event)

    def _tooltip(self, event: QHelpEvent) -> None:
        """The whole text and times of the box under the pointer."""
        k, on_header = self.row_at_y(event.pos().y())
        i = -1 if k < 0 or on_header else self.rows[k].box_at(self.time_at(event.pos().x()) * 1000)
        if i < 0:
            QToolTip.hideText()
            return
        box = self.rows[k].boxes[i]
        span = f"{fmt_ms(box.start_ms)}–{fmt_ms(box.end_ms)}"
        text = box.text or "(empty: double-click or Enter to type)"
        QToolTip.showText(event.globalPos(), f"{self.rows[k].tier.name} · {span}\n{text}", self)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            super().keyPressEvent(event)
        elif key == Qt.Key.Key_Up:
            self.move_tier(-1)
        elif key == Qt.Key.Key_Down:
            self.move_tier(+1)
        elif key == Qt.Key.Key_Left:
            self.move_box(-1)
        elif key == Qt.Key.Key_Right:
            self.move_box(+1)
        elif key in EDIT_KEYS:
            self.start_edit()
        else:
            super().keyPressEvent(event)

    def _anchor_ms(self) -> float:
        sel = self.selected_box()
        if sel is not None:
            return (sel[1].start_ms + sel[1].end_ms) / 2
        if self.playhead_ms is not None:
            return float(self.playhead_ms)
        x0, x1 = self.wave.view_range()
        return (x0 + x1) * 500

    def move_tier(self, delta: int) -> None:
        """Select the box at the same time on the next open tier above/below."""
        if not self.rows:
            return
        ms = self._anchor_ms()
        k = self.row_index(self.current_tier)
        k = k if k >= 0 else (-1 if delta > 0 else len(self.rows))
        k += delta
        while 0 <= k < len(self.rows) and self.rows[k].collapsed:
            k += delta
        if 0 <= k < len(self.rows):
            self._choose(k, self.rows[k].nearest(ms))

    def move_box(self, delta: int) -> None:
        """Select the previous/next box on the current tier."""
        k = self.row_index(self.current_tier)
        if k < 0:
            self.move_tier(+1)
            return
        row = self.rows[k]
        i = row.find(self.selected)
        i = row.nearest(self._anchor_ms()) if i < 0 else min(len(row.boxes) - 1, max(0, i + delta))
        if i >= 0:
            self._choose(k, i)

    def _choose(self, k: int, i: int) -> None:
        row = self.rows[k]
        box = row.boxes[i] if 0 <= i < len(row.boxes) else None
        self.select(row.tier.id, box.key if box else None)
        self.box_selected.emit(row.tier.id, box)
        if box is not None:
            self.wave.ensure_visible(box.start_ms / 1000, box.end_ms / 1000)

    # -- editing in place ---------------------------------------------------------------------
    def is_editing(self) -> bool:
        return self._editor is not None

    def start_edit(self) -> bool:
        sel = self.selected_box()
        if sel is None or self._editor is not None:
            return False
        row, box = sel
        k = self.rows.index(row)
        if row.collapsed:
            self.toggle(row.tier.id)
        self.wave.ensure_visible(box.start_ms / 1000, box.end_ms / 1000)
        rect = self.box_rect(k, box).toAlignedRect()
        wanted = self._metrics.horizontalAdvance(box.text) + 24
        width = min(max(EDITOR_MIN_PX, rect.width(), wanted), max(EDITOR_MIN_PX, self.width()))
        x = min(max(0, rect.x()), max(0, self.width() - width))
        editor = _InlineEdit(self)
        editor.setText(box.text)
        editor.setPlaceholderText(f"{row.tier.name}…")
        values = self.choices_for(row.tier.id)
        if values:  # a tier with a controlled vocabulary: its values drop down as you type
            completer = QCompleter(values, editor)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            editor.setCompleter(completer)
            editor.setPlaceholderText(f"{row.tier.name}: {', '.join(values[:6])}…")
        editor.setGeometry(x, self.row_top(k) + HEADER_H + 1, width, BODY_H - 2)
        editor.selectAll()
        self._editor, self._edit_target = editor, (row.tier.id, box)
        editor.editingFinished.connect(lambda: self.finish_edit(save=True))
        editor.cancelled.connect(lambda: self.finish_edit(save=False))
        editor.show()
        editor.setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    def finish_edit(self, *, save: bool) -> None:
        """Close the editor; with ``save``, hand changed text to whoever stores it."""
        editor, target = self._editor, self._edit_target
        if editor is None or target is None:
            return
        self._editor = self._edit_target = None
        text = editor.text()
        editor.hide()
        editor.deleteLater()
        self.setFocus(Qt.FocusReason.OtherFocusReason)
        tier_id, box = target
        if save and text != box.text and (box.segment_id is not None or text.strip()):
            self.edit_committed.emit(tier_id, box, text)

    def editor_widget(self) -> QLineEdit | None:
        return self._editor


class TierStack(QScrollArea):
    """The canvas in a vertical scroll area (many tiers scroll; time never does)."""

    MAX_SHOWN_H = 260

    def __init__(self, wave: WaveformView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = TierCanvas(wave)
        self.setWidget(self.canvas)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumHeight(HEADER_H + 2)
        self.canvas.collapsed_changed.connect(self.updateGeometry)

    def sizeHint(self) -> QSize:
        """As tall as the rows, within reason."""
        hint = super().sizeHint()
        hint.setHeight(min(self.MAX_SHOWN_H, self.canvas.content_height() + 2))
        return hint
