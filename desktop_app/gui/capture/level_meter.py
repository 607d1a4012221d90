"""A live level meter: per-channel bars (RMS filled, peak tip, peak hold) in dBFS."""

from __future__ import annotations

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop_app.core.capture import Level

METER_MIN_DB = -60.0


class LevelMeter(QWidget):
    """Horizontal bars per channel: RMS (filled), peak (bright tip), peak hold (tick)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.level: Level | None = None
        self.hold: list[float] = []
        self.setMinimumHeight(46)
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

    @staticmethod
    def _x(db: float, width: float) -> float:
        return width * (max(METER_MIN_DB, min(0.0, db)) - METER_MIN_DB) / -METER_MIN_DB

    def paintEvent(self, _event: object) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        w, h = self.width(), self.height()
        p.fillRect(0, 0, w, h, QColor("#1b1f24"))
        n = len(self.level.peak_db) if self.level else 1
        gap, top = 3, 3
        bar_h = (h - 16 - gap * (n - 1) - top) / n
        for c in range(n):
            y = top + c * (bar_h + gap)
            p.fillRect(QRectF(0, y, w, bar_h), QColor("#2b313a"))
            if self.level is None:
                continue
            peak, rms = self.level.peak_db[c], self.level.rms_db[c]
            for lo, hi, colour in ((-60, -18, "#2f9e44"), (-18, -6, "#e0a800"), (-6, 0, "#e03131")):
                x0, x1 = self._x(lo, w), self._x(min(hi, rms), w)
                if x1 > x0:
                    p.fillRect(QRectF(x0, y, x1 - x0, bar_h), QColor(colour))
            xp = self._x(peak, w)
            p.fillRect(QRectF(max(0, xp - 2), y, 2, bar_h), QColor("#f1f3f5"))
            if c < len(self.hold):
                xh = self._x(self.hold[c], w)
                p.fillRect(QRectF(max(0, xh - 1), y, 1, bar_h), QColor("#ffd43b"))
        p.setPen(QColor("#adb5bd"))
        font = p.font()
        font.setPointSizeF(max(6.0, font.pointSizeF() * 0.75))
        p.setFont(font)
        for db in (-60, -48, -36, -24, -18, -12, -6, -3, 0):
            x = self._x(db, w)
            p.drawLine(int(x), h - 14, int(x), h - 11)
            label = f"{db}"
            tw = p.fontMetrics().horizontalAdvance(label)
            p.drawText(int(min(max(0, x - tw / 2), w - tw)), h - 1, label)
        p.end()
