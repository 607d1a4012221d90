"""A live level meter: per-channel bars (RMS filled, peak tip, peak hold) in dBFS,
over a dB scale whose labels always fit inside the widget."""

from __future__ import annotations

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop_app.core.capture import Level

METER_MIN_DB = -60.0
#: Scale marks, most important first (a label that would touch a kept one is left out).
SCALE_DB = (0, -60, -6, -18, -12, -24, -36, -48, -3)
BAR_MIN_H = 12.0
GAP = 3.0
TICK = 3.0


class LevelMeter(QWidget):
    """Horizontal bars per channel: RMS (filled), peak (bright tip), peak hold (tick)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.level: Level | None = None
        self.hold: list[float] = []
        self.setMinimumHeight(round(2 * BAR_MIN_H + GAP + self._scale_height() + 2))
        self.setMinimumWidth(round(self._pad() * 2 + 160))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_level(self, level: Level | None) -> None:
        self.level = level
        if level is None:
            self.hold = []
        else:
            if len(self.hold) != len(level.peak_db):
                self.hold = list(level.peak_db)
            self.hold = [max(p, h - 0.6) for p, h in zip(level.peak_db, self.hold, strict=True)]
        self.update()

    # -- geometry --------------------------------------------------------------------
    def scale_font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.8))
        return font

    def _metrics(self) -> QFontMetricsF:
        return QFontMetricsF(self.scale_font())

    def _pad(self) -> float:
        """Room left and right of the bars for half of the widest label."""
        return self._metrics().horizontalAdvance("-60") / 2 + 2

    def _scale_height(self) -> float:
        return TICK + 1 + self._metrics().height()

    def bar_span(self) -> tuple[float, float]:
        """``(x of -60 dB, width up to 0 dB)`` of the bars in this widget."""
        pad = self._pad()
        return pad, max(1.0, self.width() - 2 * pad)

    def x_of(self, db: float) -> float:
        x0, span = self.bar_span()
        return x0 + span * (max(METER_MIN_DB, min(0.0, db)) - METER_MIN_DB) / -METER_MIN_DB

    def scale_labels(self) -> list[tuple[int, QRectF]]:
        """The dB labels drawn and where: inside the widget, none touching another."""
        fm = self._metrics()
        top = self.height() - fm.height()
        kept: list[tuple[int, QRectF]] = []
        for db in SCALE_DB:
            label = str(db)
            w = fm.horizontalAdvance(label)
            x = min(max(0.0, self.x_of(db) - w / 2), self.width() - w)
            rect = QRectF(x, top, w, fm.height())
            if all(not rect.adjusted(-3, 0, 3, 0).intersects(r) for _db, r in kept):
                kept.append((db, rect))
        return sorted(kept, key=lambda item: item[0])

    # -- painting --------------------------------------------------------------------
    def paintEvent(self, _event: object) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        w, h = self.width(), self.height()
        p.fillRect(0, 0, w, h, QColor("#1b1f24"))
        n = len(self.level.peak_db) if self.level else 1
        top = 3.0
        bars_bottom = h - self._scale_height()
        bar_h = (bars_bottom - top - GAP * (n - 1)) / n
        x0, span = self.bar_span()
        for c in range(n):
            y = top + c * (bar_h + GAP)
            p.fillRect(QRectF(x0, y, span, bar_h), QColor("#2b313a"))
            if self.level is None:
                continue
            peak, rms = self.level.peak_db[c], self.level.rms_db[c]
            for lo, hi, colour in ((-60, -18, "#2f9e44"), (-18, -6, "#e0a800"), (-6, 0, "#e03131")):
                xa, xb = self.x_of(lo), self.x_of(min(hi, rms))
                if xb > xa:
                    p.fillRect(QRectF(xa, y, xb - xa, bar_h), QColor(colour))
            xp = self.x_of(peak)
            p.fillRect(QRectF(max(x0, xp - 2), y, 2, bar_h), QColor("#f1f3f5"))
            if c < len(self.hold):
                xh = self.x_of(self.hold[c])
                p.fillRect(QRectF(max(x0, xh - 1), y, 1, bar_h), QColor("#ffd43b"))
        p.setPen(QColor("#adb5bd"))
        p.setFont(self.scale_font())
        for db in SCALE_DB:
            x = round(self.x_of(db))
            p.drawLine(x, round(bars_bottom), x, round(bars_bottom + TICK))
        for db, rect in self.scale_labels():
            p.drawText(rect, str(db))
        p.end()
