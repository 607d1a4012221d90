"""A thin strip under the waveform: each segment coloured by its unit-LM perplexity.

Green is typical for the project, yellow unusual, red very unusual (likely
noise, non-speech or another language); unscored segments are not drawn. The
colour is the segment's robust z-score of log-perplexity within the project,
the same measure as the flags of :mod:`desktop_app.services.unit_scoring`.
The strip knows nothing of the database: the window hands it plain values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QToolTip, QWidget

from desktop_app.services.unit_scoring import FLAG_TEXT, FlagThresholds

HEIGHT = 12


@dataclass(frozen=True)
class StripItem:
    segment_id: int
    start_ms: int
    end_ms: int
    perplexity: float
    z: float
    flag: str | None


def z_colour(z: float, thresholds: FlagThresholds) -> QColor:
    """Green (typical) -> yellow (``unusual``) -> red (``noise``)."""
    if z <= 0:
        return QColor(76, 175, 80)
    if z < thresholds.unusual:
        t = z / thresholds.unusual
        return QColor(int(76 + t * (240 - 76)), int(175 + t * (200 - 175)), int(80 - t * 40))
    t = min(1.0, (z - thresholds.unusual) / max(1e-6, thresholds.noise - thresholds.unusual))
    return QColor(int(240 - t * 20), int(200 - t * 160), 40)


class QualityStrip(QWidget):
    segment_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedHeight(HEIGHT)
        self.setMouseTracking(True)
        self.setToolTip("Unit-LM perplexity of each segment (Project ▸ Score with the unit LM)")
        self.items: list[StripItem] = []
        self.thresholds = FlagThresholds()
        self._left, self._width = 0.0, 1.0
        self._x0, self._x1 = 0.0, 1.0

    def set_items(self, items: Sequence[StripItem]) -> None:
        self.items = sorted(items, key=lambda it: it.start_ms)
        self.update()

    def set_view(self, left_px: float, width_px: float, x0_s: float, x1_s: float) -> None:
        """Pixels of the waveform's plot area and the seconds it shows, to line up with it."""
        self._left, self._width = left_px, max(1.0, width_px)
        self._x0, self._x1 = x0_s, max(x0_s + 1e-6, x1_s)
        self.update()

    def x_of(self, ms: float) -> float:
        return self._left + (ms / 1000 - self._x0) / (self._x1 - self._x0) * self._width

    def item_at(self, x: float) -> StripItem | None:
        for it in self.items:
            if self.x_of(it.start_ms) <= x <= self.x_of(it.end_ms):
                return it
        return None

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().window())
        for it in self.items:
            a, b = self.x_of(it.start_ms), self.x_of(it.end_ms)
            if b < 0 or a > self.width():
                continue
            rect = QRectF(a, 1, max(1.0, b - a - 1), self.height() - 2)
            painter.fillRect(rect, z_colour(it.z, self.thresholds))
        painter.end()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        it = self.item_at(event.position().x())
        if it is not None:
            flag = f"\n{FLAG_TEXT[it.flag]}" if it.flag else ""
            QToolTip.showText(
                event.globalPosition().toPoint(),
                f"Unit-LM perplexity {it.perplexity:.1f} (z {it.z:+.1f}){flag}",
                self,
            )
        super().mouseMoveEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        it = self.item_at(event.position().x())
        if it is not None and event.button() == Qt.MouseButton.LeftButton:
            self.segment_clicked.emit(it.segment_id)
        super().mousePressEvent(event)
