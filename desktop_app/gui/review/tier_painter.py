"""Painting the stacked tiers' rows: a header line and a band of boxes.

Only the boxes inside the visible time span are drawn (found by binary search);
where they are narrower than a few pixels on average, they are merged into
runs of pixels, one rectangle per run, so a row costs about the same at any
zoom. Pens and brushes are made once per theme and status.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen

from desktop_app.gui import theme as themes
from desktop_app.gui.review.tier_rows import Box, TierRow

HEADER_H = 17
BODY_H = 26
INDENT_PX = 16
DENSE_PX = 8.0  # boxes narrower than this on average are drawn as merged runs
TEXT_MIN_PX = 18  # narrower boxes show no text
SEPARATE_PX = 4  # in a dense row, boxes this wide keep a gap after them
ELIDE = Qt.TextElideMode.ElideRight
TEXT_FLAGS = int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft)


@dataclass(frozen=True)
class Span:
    """The time shown: first and last second, the x of the first, pixels per second,
    and the widget's width."""

    t0: float
    t1: float
    left: float
    scale: float
    width_px: int

    def x(self, ms: float) -> float:
        return self.left + (ms / 1000 - self.t0) * self.scale

    def rect(self, box: Box, top: float) -> QRectF:
        a, b = self.x(box.start_ms), self.x(box.end_ms)
        return QRectF(a, top + 3, max(2.0, b - a - 1), BODY_H - 6)


class RowPainter:
    def __init__(self, font: QFont, small: QFont, theme: themes.Theme) -> None:
        self.font, self.small = font, small
        self.metrics = QFontMetrics(font)
        self._styles: dict[tuple[str, str, bool], tuple[QPen, QColor]] = {}
        self.set_theme(theme)

    def set_theme(self, theme: themes.Theme) -> None:
        self.theme = theme
        self.text_pen = QPen(themes.color(theme.text))

    def header(
        self, p: QPainter, row: TierRow, top: int, width: int, parent: str | None, current: bool
    ) -> None:
        """The tier's name (indented under its parent), fold arrow and count."""
        t = self.theme
        rect = QRect(0, top, width, HEADER_H)
        p.fillRect(rect, themes.color(t.highlight if current else t.alt_base))
        p.setPen(themes.color(t.region_line if current else t.window))
        p.drawLine(rect.bottomLeft(), rect.bottomRight())
        indent = 4 + row.depth * INDENT_PX
        if row.depth:  # the branch from the parent's header
            p.setPen(QPen(themes.color(t.muted), 1))
            mid = top + HEADER_H // 2
            p.drawLine(indent - 10, top, indent - 10, mid)
            p.drawLine(indent - 10, mid, indent - 3, mid)
        p.setFont(self.small)
        p.setPen(themes.color(t.text if current else t.muted))
        arrow = "▸" if row.collapsed else "▾"
        label = f"{arrow} {row.label(parent)}   ({row.stored:,})"
        p.drawText(QRect(indent, top, width - indent - 4, HEADER_H), TEXT_FLAGS, label)

    def body(
        self,
        p: QPainter,
        row: TierRow,
        top: int,
        span: Span,
        current: bool,
        selected: tuple[str, int] | None,
    ) -> None:
        """The boxes of ``row`` inside ``span`` (``selected``: the chosen box's key)."""
        if current:
            shade = themes.color(self.theme.highlight)
            shade.setAlpha(70)
            p.fillRect(QRect(0, top, span.width_px, BODY_H), shade)
        i, j = row.visible_range(span.t0 * 1000, span.t1 * 1000)
        if j <= i:
            return
        if (j - i) * DENSE_PX > (span.t1 - span.t0) * span.scale:
            self.dense(p, row, i, j, top, span)
            k = row.find(selected) if current else -1
            if k >= 0:
                self.box(p, span.rect(row.boxes[k], top), row.boxes[k], True)
            return
        p.setFont(self.font)
        for box in row.boxes[i:j]:
            self.box(p, span.rect(box, top), box, current and box.key == selected)

    def style(self, status: str, selected: bool) -> tuple[QPen, QColor]:
        """The pen and fill of a box (made once per theme)."""
        key = (self.theme.name, status, selected)
        style = self._styles.get(key)
        if style is None:
            t = self.theme
            if status == "placeholder":  # an empty box ready to type
                colour = themes.color(t.accent if selected else t.muted)
                pen = QPen(colour, 1, Qt.PenStyle.DashLine)
                fill = themes.color(t.region_selected) if selected else QColor(0, 0, 0, 0)
            else:
                colour = QColor(t.status_color(status))
                fill = themes.color(t.region_selected) if selected else QColor(colour)
                if not selected:
                    fill.setAlpha(52 if status == "approved" else 38)
                pen = QPen(themes.color(t.playhead) if selected else colour, 2 if selected else 1)
            style = self._styles[key] = (pen, fill)
        return style

    def box(self, p: QPainter, rect: QRectF, box: Box, selected: bool) -> None:
        pen, fill = self.style(box.status if box.text else "placeholder", selected)
        p.setBrush(fill)
        p.setPen(pen)
        p.drawRoundedRect(rect, 3, 3)
        if rect.width() >= TEXT_MIN_PX and box.text:
            inner = rect.adjusted(4, 0, -3, 0)
            text = self.metrics.elidedText(box.text, ELIDE, max(0, int(inner.width())))
            p.setPen(self.text_pen)
            p.drawText(inner, TEXT_FLAGS, text)

    def dense(self, p: QPainter, row: TierRow, i: int, j: int, top: int, span: Span) -> None:
        """Too many boxes to tell apart: merged runs of pixels (one rectangle per run)."""
        starts, ends = row.arrays()
        xa = np.floor(span.left + (starts[i:j] / 1000 - span.t0) * span.scale)
        xb = np.ceil(span.left + (ends[i:j] / 1000 - span.t0) * span.scale)
        # a run ends at a gap of a pixel or more, or after a box wide enough to tell apart
        breaks = np.nonzero((xa[1:] > xb[:-1] + 1) | (xb[:-1] - xa[:-1] >= SEPARATE_PX))[0]
        firsts = np.concatenate(([0], breaks + 1))
        lasts = np.concatenate((breaks, [len(xa) - 1]))
        colour = QColor(self.theme.region_line)
        colour.setAlpha(150)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour)
        p.drawRects(
            [
                QRectF(a, top + 6, max(1.0, b - a - 1), BODY_H - 12)
                for a, b in zip(xa[firsts].tolist(), xb[lasts].tolist(), strict=True)
            ]
        )
