"""The central waveform: peak envelope, segment regions, playhead, spectrogram.

The envelope is drawn from the recording's :class:`PeakPyramid`: on every view
change the visible span is queried for one min/max pair per pixel, so a
two-hour recording draws as fast as a two-second one. Only when zoomed in
past the pyramid's finest level (and the span is short) are raw samples read,
and then only the visible ones. Wheel zooms, drag pans, Shift+drag draws a new
segment, the scroll bar scrolls; y is fixed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QScrollBar, QVBoxLayout, QWidget

from desktop_app.core.audio.importer import load_model_audio
from desktop_app.core.audio.peaks import PeakPyramid
from desktop_app.core.errors import JazbaError
from desktop_app.core.services.dto import SegmentInfo
from desktop_app.gui import theme as themes
from desktop_app.gui.review.segment_regions import SegmentLayer
from desktop_app.gui.review.silence import snap_to_silence, sound_span
from desktop_app.gui.review.spectrogram import SpectrogramPlot

log = logging.getLogger(__name__)

RAW_MAX_S = 3.0  # below this span (and past level 0) raw samples are drawn
MIN_SPAN_S = 0.05
SNAP_PX = 12  # boundaries snap to silence this many pixels away ...
SNAP_MIN_S, SNAP_MAX_S = 0.03, 0.5  # ... but never closer or further than this


class _SeekViewBox(pg.ViewBox):
    """A click on empty waveform moves the playhead; Shift+drag draws a range
    (a new segment); a plain drag pans."""

    def __init__(self, on_click, on_draw) -> None:
        super().__init__(enableMenu=False)
        self._on_click = on_click
        self._on_draw = on_draw
        self.drawing: pg.LinearRegionItem | None = None

    def mouseClickEvent(self, ev) -> None:
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self._on_click(self.mapSceneToView(ev.scenePos()).x())
        else:
            super().mouseClickEvent(ev)

    def mouseDragEvent(self, ev, axis=None) -> None:
        shift = bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if ev.button() != Qt.MouseButton.LeftButton or (not shift and self.drawing is None):
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        a = self.mapSceneToView(ev.buttonDownScenePos()).x()
        b = self.mapSceneToView(ev.scenePos()).x()
        if self.drawing is None:
            self.drawing = pg.LinearRegionItem(values=(a, b), movable=False)
            self.drawing.setZValue(15)
            self.addItem(self.drawing)
        self.drawing.setRegion((min(a, b), max(a, b)))
        if ev.isFinish():
            self.removeItem(self.drawing)
            self.drawing = None
            self._on_draw(min(a, b), max(a, b))


class WaveformView(QWidget):
    seek_requested = Signal(int)  # ms
    segment_clicked = Signal(int, bool)  # id, double click
    segment_times_changed = Signal(int, int, int)  # id, start ms, end ms
    range_drawn = Signal(int, int)  # start ms, end ms (Shift+drag on the waveform)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = themes.current()
        self.peaks: PeakPyramid | None = None
        self.audio_path: Path | None = None
        self.duration_s = 0.0
        self.follow_playhead = True
        self.snap_enabled = True
        self._syncing_scroll = False

        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.ci.setContentsMargins(2, 2, 2, 2)
        self.canvas.setMinimumHeight(140)
        self.plot: pg.PlotItem = self.canvas.addPlot(
            row=0, col=0, viewBox=_SeekViewBox(self._clicked, self._drawn)
        )
        self.plot.setMouseEnabled(x=True, y=False)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.getAxis("left").hide()
        self.plot.setYRange(-1.05, 1.15, padding=0)
        self.plot.getViewBox().disableAutoRange()
        self.plot.showGrid(x=True, y=False, alpha=0.15)
        self.curve = pg.PlotCurveItem(connect="pairs", antialias=False)
        self.raw_curve = pg.PlotCurveItem(antialias=True)
        self.plot.addItem(self.curve)
        self.plot.addItem(self.raw_curve)
        self.layer = SegmentLayer(self.plot, self.theme)
        self.layer.clicked.connect(self.segment_clicked)
        self.layer.times_changed.connect(self.segment_times_changed)
        self.playhead = pg.InfiniteLine(pos=0, angle=90, movable=True)
        self.playhead.setZValue(20)
        self.playhead.sigPositionChangeFinished.connect(
            lambda line: self.seek_requested.emit(round(line.value() * 1000))
        )
        self.plot.addItem(self.playhead)

        self.spec_plot: pg.PlotItem = self.canvas.addPlot(row=1, col=0)
        self.spec_plot.setXLink(self.plot)
        self.spec_plot.getAxis("left").setWidth(0)
        self.spec_plot.getAxis("left").hide()
        self.spectrogram = SpectrogramPlot(self.spec_plot)
        self.spec_plot.setVisible(False)
        self.canvas.removeItem(self.spec_plot)

        self.scroll = QScrollBar(Qt.Orientation.Horizontal)
        self.scroll.valueChanged.connect(self._scrolled)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.scroll)

        self.plot.getViewBox().sigXRangeChanged.connect(self._range_changed)
        self.plot.getViewBox().sigResized.connect(self._range_changed)
        self.set_theme(self.theme)
        self.set_recording(None, None, 0)

    # -- content --------------------------------------------------------------
    def set_recording(self, peaks: PeakPyramid | None, audio_path: Path | None, duration_ms: int):
        self.peaks = peaks
        self.audio_path = audio_path
        self.duration_s = max(duration_ms / 1000, MIN_SPAN_S)
        vb = self.plot.getViewBox()
        vb.setLimits(xMin=0, xMax=self.duration_s, minXRange=MIN_SPAN_S, maxXRange=self.duration_s)
        self.layer.set_segments([])
        self.playhead.setBounds((0, self.duration_s))
        self.playhead.setValue(0)
        self.spectrogram.set_source(audio_path, self.duration_s)
        self.zoom_fit()
        self._redraw()

    def set_segments(self, segments: Sequence[SegmentInfo], editable: bool = True) -> None:
        self.layer.editable = editable
        self.layer.set_segments(segments)

    def select_segment(self, segment_id: int | None, reveal: bool = True) -> None:
        self.layer.select(segment_id)
        if reveal and segment_id is not None:
            seg = next((s for s in self.layer.segments if s.id == segment_id), None)
            if seg is not None:
                self.ensure_visible(seg.start_ms / 1000, seg.end_ms / 1000)

    def set_theme(self, theme: themes.Theme) -> None:
        self.theme = theme
        self.canvas.setBackground(theme.plot_bg)
        self.curve.setPen(pg.mkPen(theme.wave, width=1))
        self.raw_curve.setPen(pg.mkPen(theme.wave_raw, width=1.5))
        self.playhead.setPen(pg.mkPen(theme.playhead, width=2))
        self.playhead.setHoverPen(pg.mkPen(theme.playhead, width=4))
        for plot in (self.plot, self.spec_plot):
            for axis in ("bottom", "left"):
                plot.getAxis(axis).setPen(pg.mkPen(theme.muted))
                plot.getAxis(axis).setTextPen(pg.mkPen(theme.muted))
        self.spectrogram.note.setColor(theme.muted)
        self.layer.set_theme(theme)

    def set_spectrogram_visible(self, visible: bool) -> None:
        """Show or hide the spectrogram row (a hidden plot gives its space back)."""
        shown = self.spec_plot.scene() is not None and self.spec_plot.isVisible()
        if visible and not shown:
            self.canvas.addItem(self.spec_plot, row=1, col=0)
            self.spec_plot.setVisible(True)
            self.canvas.ci.layout.setRowStretchFactor(0, 3)
            self.canvas.ci.layout.setRowStretchFactor(1, 2)
            self.spectrogram.schedule()
        elif not visible and shown:
            self.spec_plot.setVisible(False)
            self.canvas.removeItem(self.spec_plot)

    # -- view range ---------------------------------------------------------------
    def view_range(self) -> tuple[float, float]:
        (x0, x1), _ = self.plot.getViewBox().viewRange()
        return x0, x1

    def set_view(self, start_s: float, end_s: float) -> None:
        span = max(MIN_SPAN_S, min(end_s - start_s, self.duration_s))
        start = min(max(0.0, start_s), max(0.0, self.duration_s - span))
        self.plot.setXRange(start, start + span, padding=0)

    def zoom_fit(self) -> None:
        self.set_view(0.0, self.duration_s)

    def zoom(self, factor: float, center_s: float | None = None) -> None:
        """Zoom by ``factor`` (>1 = in) around ``center_s`` (default: the playhead
        when visible, else the middle of the view)."""
        x0, x1 = self.view_range()
        if center_s is None:
            ph = self.playhead.value()
            center_s = ph if x0 <= ph <= x1 else (x0 + x1) / 2
        span = (x1 - x0) / factor
        frac = (center_s - x0) / (x1 - x0) if x1 > x0 else 0.5
        self.set_view(center_s - span * frac, center_s + span * (1 - frac))

    def ensure_visible(self, start_s: float, end_s: float) -> None:
        x0, x1 = self.view_range()
        if start_s >= x0 and end_s <= x1:
            return
        span = x1 - x0
        if end_s - start_s > span * 0.9:
            self.set_view(start_s - 0.5, end_s + 0.5)
        else:
            self.set_view(start_s - span * 0.2, start_s + span * 0.8)

    def set_playhead(self, ms: int) -> None:
        t = ms / 1000
        if self.playhead.moving:
            return
        self.playhead.setValue(t)
        if self.follow_playhead:
            x0, x1 = self.view_range()
            if not x0 <= t <= x1 or t > x1 - (x1 - x0) * 0.02:
                span = x1 - x0
                self.set_view(t - span * 0.05, t + span * 0.95)

    def playhead_ms(self) -> int:
        return round(self.playhead.value() * 1000)

    def snap_ms(self, ms: int) -> int:
        """``ms`` moved to the nearest silence within a few pixels (if snapping
        is on and there is one); see :func:`~desktop_app.gui.review.silence.snap_to_silence`."""
        if not self.snap_enabled or self.peaks is None:
            return ms
        radius = min(SNAP_MAX_S, max(SNAP_MIN_S, SNAP_PX * self._pixel_seconds()))
        return round(snap_to_silence(self.peaks, ms / 1000, radius) * 1000)

    def sound_span_ms(self, start_ms: int, limit_ms: int) -> tuple[int, int] | None:
        """The stretch of sound from ``start_ms`` to the next pause (before ``limit_ms``)."""
        if self.peaks is None or limit_ms <= start_ms:
            return None
        span = sound_span(self.peaks, start_ms / 1000, limit_ms / 1000)
        return None if span is None else (round(span[0] * 1000), round(span[1] * 1000))

    # -- internals ------------------------------------------------------------------
    def _pixel_seconds(self) -> float:
        x0, x1 = self.view_range()
        width = self.plot.getViewBox().width()
        return (x1 - x0) / width if width > 0 else 0.0

    def _clicked(self, t: float) -> None:
        self.seek_requested.emit(round(min(max(t, 0.0), self.duration_s) * 1000))

    def _drawn(self, a: float, b: float) -> None:
        a, b = max(0.0, a), min(self.duration_s, b)
        if b > a:
            self.range_drawn.emit(round(a * 1000), round(b * 1000))

    def _range_changed(self, *args: object) -> None:
        # Redrawn at once (not on a timer) so the next paint shows the new range's
        # envelope: with a deferred redraw every zoom or scroll step was painted twice,
        # first with the old data stretched into the new range.
        self._redraw()

    def _redraw(self) -> None:
        self._draw_wave()
        self.layer.refresh()
        self._sync_scrollbar()
        if self.spec_plot.isVisible():
            self.spectrogram.schedule()

    def _draw_wave(self) -> None:
        x0, x1 = self.view_range()
        x0, x1 = max(0.0, x0), min(self.duration_s, x1)
        if self.peaks is None or x1 <= x0:
            self.curve.setData([], [])
            self.raw_curve.setData([], [])
            return
        n_bins = max(16, int(self.plot.getViewBox().width()))
        samples_per_bin = (x1 - x0) * self.peaks.rate / n_bins
        if (
            samples_per_bin < self.peaks.bin_samples
            and x1 - x0 <= RAW_MAX_S
            and self._draw_raw(x0, x1)
        ):
            self.curve.setData([], [])
            return
        self.raw_curve.setData([], [])
        mins, maxs = self.peaks.query(x0, x1, n_bins)
        w = (x1 - x0) / n_bins
        centers = x0 + (np.arange(n_bins) + 0.5) * w
        x = np.repeat(centers, 2)
        y = np.empty(2 * n_bins, dtype=np.float32)
        y[0::2] = mins
        y[1::2] = np.maximum(maxs, mins + 0.004)  # silence still shows a hairline
        self.curve.setData(x, y)

    def _draw_raw(self, x0: float, x1: float) -> bool:
        if self.audio_path is None:
            return False
        try:
            samples = load_model_audio(self.audio_path, x0, x1)
        except (JazbaError, OSError) as exc:
            log.info("cannot draw raw samples: %s", exc)
            return False
        if not len(samples):
            return False
        t = x0 + np.arange(len(samples)) / 16_000
        self.raw_curve.setData(t, samples)
        return True

    def _sync_scrollbar(self) -> None:
        x0, x1 = self.view_range()
        total_ms = int(self.duration_s * 1000)
        span_ms = int((x1 - x0) * 1000)
        self._syncing_scroll = True
        try:
            self.scroll.setRange(0, max(0, total_ms - span_ms))
            self.scroll.setPageStep(max(1, span_ms))
            self.scroll.setSingleStep(max(1, span_ms // 10))
            self.scroll.setValue(int(x0 * 1000))
        finally:
            self._syncing_scroll = False

    def _scrolled(self, value: int) -> None:
        if self._syncing_scroll:
            return
        x0, x1 = self.view_range()
        self.set_view(value / 1000, value / 1000 + (x1 - x0))
