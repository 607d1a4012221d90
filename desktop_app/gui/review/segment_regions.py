"""Segments drawn on the waveform: one draggable region per visible segment.

Only segments inside (or near) the visible time range get a
``LinearRegionItem``; items are pooled and reused while scrolling, so a
recording with thousands of segments costs no more than the few on screen.
When too many are visible to edit comfortably, the regions are hidden and a
single lightweight bar item marks them instead ("zoom in to edit").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics

from desktop_app.core.services.dto import SegmentInfo
from desktop_app.gui import theme as themes
from desktop_app.gui.theme import Theme

MAX_REGIONS = 250  # more visible segments than this are drawn as bars only ...
MIN_REGION_PX = 12  # ... and so are more than one per this many pixels (too narrow to edit)
LABEL_MIN_PX = 36  # narrower regions get no label


class SegmentRegion(pg.LinearRegionItem):
    """A region whose edges can be dragged; its body selects (click) or plays
    (double-click) and lets drags through to pan the view."""

    def __init__(self, on_click: Callable[[SegmentRegion, bool], None]) -> None:
        super().__init__(values=(0, 1), movable=True, swapMode="block")
        self.segment_id: int | None = None
        self.times_ms: tuple[int, int] = (0, 0)
        self._on_click = on_click
        for line in self.lines:
            line.setCursor(Qt.CursorShape.SizeHorCursor)

    def mouseDragEvent(self, ev) -> None:
        ev.ignore()  # the body does not move; dragging pans the view

    def hoverEvent(self, ev) -> None:
        self.setMouseHover(not ev.isExit())

    def mouseClickEvent(self, ev) -> None:
        if ev.button() == Qt.MouseButton.LeftButton and self.segment_id is not None:
            ev.accept()
            self._on_click(self, ev.double())
        else:
            super().mouseClickEvent(ev)


class SegmentLayer(QObject):
    """Keeps the regions and labels of a plot in step with a list of segments."""

    clicked = Signal(int, bool)  # segment id, double click
    times_changed = Signal(int, int, int)  # segment id, start ms, end ms

    def __init__(self, plot: pg.PlotItem, theme: Theme) -> None:
        super().__init__()
        self.plot = plot
        self.theme = theme
        self.segments: list[SegmentInfo] = []
        self.selected_id: int | None = None
        self._pool: list[SegmentRegion] = []
        self._labels: list[pg.TextItem] = []
        self._updating = False
        self.editable = True
        self._bars = pg.PlotCurveItem(connect="pairs")
        self._bars.setZValue(-5)
        self.plot.addItem(self._bars)
        self._font = QFont()
        self._font.setPointSizeF(max(7.0, self._font.pointSizeF() - 1))

    # -- data -----------------------------------------------------------------
    def set_segments(self, segments: Sequence[SegmentInfo]) -> None:
        self.segments = sorted(segments, key=lambda s: (s.start_ms, s.id))
        self.refresh()

    def select(self, segment_id: int | None) -> None:
        self.selected_id = segment_id
        for region in self._pool:
            if region.isVisible():
                self._style(region)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.refresh()

    # -- drawing ----------------------------------------------------------------
    def refresh(self) -> None:
        (x0, x1), _ = self.plot.getViewBox().viewRange()
        margin = (x1 - x0) * 0.1
        lo_ms, hi_ms = (x0 - margin) * 1000, (x1 + margin) * 1000
        visible = [
            (i, s) for i, s in enumerate(self.segments) if s.end_ms > lo_ms and s.start_ms < hi_ms
        ]
        self._updating = True
        try:
            width = self.plot.getViewBox().width()
            if len(visible) > min(MAX_REGIONS, max(20, width / MIN_REGION_PX)):
                self._draw_bars([s for _, s in visible])
                self._use(0)
            else:
                self._bars.setData([], [])
                self._use(len(visible))
                px = self._pixel_seconds()
                for region, label, (i, seg) in zip(self._pool, self._labels, visible, strict=False):
                    self._place(region, label, i, seg, px)
        finally:
            self._updating = False

    def _use(self, n: int) -> None:
        while len(self._pool) < n:
            region = SegmentRegion(self._region_clicked)
            region.sigRegionChangeFinished.connect(self._region_moved)
            label = pg.TextItem(anchor=(0, 0))
            label.setFont(self._font)
            self.plot.addItem(region)
            self.plot.addItem(label)
            self._pool.append(region)
            self._labels.append(label)
        for k, (region, label) in enumerate(zip(self._pool, self._labels, strict=True)):
            region.setVisible(k < n)
            label.setVisible(k < n)
            if k >= n:
                region.segment_id = None

    def _place(
        self, region: SegmentRegion, label: pg.TextItem, i: int, seg: SegmentInfo, px: float
    ) -> None:
        region.segment_id = seg.id
        region.times_ms = (seg.start_ms, seg.end_ms)
        prev_end = self.segments[i - 1].end_ms / 1000 if i > 0 else 0.0
        next_start = self.segments[i + 1].start_ms / 1000 if i + 1 < len(self.segments) else None
        region.setBounds((prev_end, next_start))
        region.setRegion((seg.start_ms / 1000, seg.end_ms / 1000))
        region.setMovable(self.editable)
        self._style(region)
        width_px = (seg.end_ms - seg.start_ms) / 1000 / px if px > 0 else 0
        text = seg.text or "…"
        if width_px >= LABEL_MIN_PX:
            label.setText(
                QFontMetrics(self._font).elidedText(
                    text, Qt.TextElideMode.ElideRight, int(width_px) - 8
                )
            )
        else:
            label.setText("")
        label.setColor(QColor(self.theme.label))
        label.setPos(seg.start_ms / 1000, 1.0)

    def _style(self, region: SegmentRegion) -> None:
        selected = region.segment_id == self.selected_id
        fill = themes.color(self.theme.region_selected if selected else self.theme.region)
        region.setBrush(fill)
        hover = QColor(fill)
        hover.setAlpha(min(255, fill.alpha() + 40))
        region.setHoverBrush(hover)
        pen = pg.mkPen(self.theme.region_line, width=2 if selected else 1)
        for line in region.lines:
            line.setPen(pen)
            line.setHoverPen(pg.mkPen(self.theme.playhead, width=3))
        region.setZValue(5 if selected else 0)
        region.update()

    def _draw_bars(self, segs: list[SegmentInfo]) -> None:
        x = np.empty(len(segs) * 2)
        x[0::2] = [s.start_ms / 1000 for s in segs]
        x[1::2] = [s.end_ms / 1000 for s in segs]
        y = np.full(len(x), 0.97)
        self._bars.setData(x, y, pen=pg.mkPen(self.theme.region_line, width=4))

    def _pixel_seconds(self) -> float:
        vb = self.plot.getViewBox()
        width = vb.width()
        (x0, x1), _ = vb.viewRange()
        return (x1 - x0) / width if width > 0 else 0.0

    # -- user actions -------------------------------------------------------------
    def _region_clicked(self, region: SegmentRegion, double: bool) -> None:
        if region.segment_id is not None:
            self.clicked.emit(region.segment_id, double)

    def _region_moved(self, region: SegmentRegion) -> None:
        if self._updating or region.segment_id is None:
            return
        a, b = region.getRegion()
        start_ms, end_ms = round(a * 1000), round(b * 1000)
        if (start_ms, end_ms) != region.times_ms:
            region.times_ms = (start_ms, end_ms)
            self.times_changed.emit(region.segment_id, start_ms, end_ms)
