"""A spectrogram of the visible time range, under the waveform.

Only the visible span is decoded and transformed (at most ``MAX_SPAN_S``
seconds, with at most about two frames per pixel), recomputed shortly after
the view stops moving.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QTimer

from desktop_app.core.audio.importer import load_model_audio
from desktop_app.core.errors import JazbaError

log = logging.getLogger(__name__)

RATE = 16_000
N_FFT = 512
MAX_SPAN_S = 30.0
FLOOR_DB = -90.0


def spectrogram_db(samples: np.ndarray, n_frames: int, n_fft: int = N_FFT) -> np.ndarray:
    """``(n_frames, n_fft // 2 + 1)`` log-magnitude frames evenly spread over ``samples``."""
    n_frames = max(1, n_frames)
    padded = np.pad(samples.astype(np.float32), (n_fft // 2, n_fft // 2))
    starts = np.linspace(0, max(0, len(padded) - n_fft), n_frames).astype(np.int64)
    idx = starts[:, None] + np.arange(n_fft)[None, :]
    frames = padded[np.minimum(idx, len(padded) - 1)] * np.hanning(n_fft).astype(np.float32)
    mag = np.abs(np.fft.rfft(frames, axis=1))
    return np.maximum(20 * np.log10(mag + 1e-9), FLOOR_DB).astype(np.float32)


class SpectrogramPlot:
    """Owns a plot (x-linked to the waveform) with one image item."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self.plot = plot
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(pg.colormap.get("magma"))
        plot.addItem(self.image)
        plot.setMouseEnabled(x=True, y=False)
        plot.setYRange(0, RATE / 2, padding=0)
        plot.getAxis("left").setLabel("Hz")
        plot.hideButtons()
        self.note = pg.TextItem("Zoom in (under 30 s) to see the spectrogram", anchor=(0.5, 0.5))
        plot.addItem(self.note, ignoreBounds=True)
        self.path: Path | None = None
        self.duration_s = 0.0
        self._timer = QTimer()
        self._timer.setSingleShot(True)
        self._timer.setInterval(120)
        self._timer.timeout.connect(self.update_now)

    def set_source(self, path: Path | None, duration_s: float) -> None:
        self.path, self.duration_s = path, duration_s
        self.image.clear()
        self.schedule()

    def schedule(self) -> None:
        if self.plot.isVisible():
            self._timer.start()

    def update_now(self) -> None:
        if self.path is None or not self.plot.isVisible():
            return
        (x0, x1), _ = self.plot.getViewBox().viewRange()
        x0, x1 = max(0.0, x0), min(self.duration_s, x1)
        self.note.setPos((x0 + x1) / 2, RATE / 4)
        if x1 - x0 > MAX_SPAN_S or x1 <= x0:
            self.image.setVisible(False)
            self.note.setVisible(True)
            return
        try:
            samples = load_model_audio(self.path, x0, x1)
        except (JazbaError, OSError) as exc:
            log.info("no spectrogram: %s", exc)
            self.image.setVisible(False)
            return
        width = max(64, int(self.plot.getViewBox().width()))
        db = spectrogram_db(samples, min(2 * width, max(1, len(samples) // 80)))
        self.image.setImage(db.T, autoLevels=False, levels=(FLOOR_DB + 20, db.max()))
        self.image.setRect(QRectF(x0, 0.0, x1 - x0, RATE / 2))
        self.image.setVisible(True)
        self.note.setVisible(False)
