"""The Record dialog: choose an input, watch the level, record crash-safe, tell
who, where and with what consent.

The recording itself runs in :mod:`desktop_app.core.capture`: the audio
callback queues blocks, a writer thread writes them, and this dialog only
polls :meth:`Recorder.status` on a timer (the UI thread never touches audio
or the disk). When the recording stops it is added to the project by
``importer`` (the main window runs it as a job); without one it is added here.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.capture import (
    NO_DEVICE_MESSAGE,
    SAMPLE_RATES,
    CaptureError,
    CaptureSource,
    ImportOutcome,
    InputDevice,
    ProjectRecorder,
    RecorderOptions,
    RecorderStatus,
    SessionMeta,
    finish_recording,
    list_input_devices,
    open_input,
    start_recording,
)
from desktop_app.core.capture.levels import FLOOR_DB
from desktop_app.core.capture.wavstream import frame_bytes
from desktop_app.core.errors import JazbaError
from desktop_app.core.project import Project
from desktop_app.core.services.speakers import SpeakerService
from desktop_app.gui.capture.level_meter import LevelMeter
from desktop_app.gui.capture.session_meta_box import SessionMetaBox
from desktop_app.gui.dialogs import common as dialogs
from desktop_app.gui.review.segment_table_model import fmt_ms

log = logging.getLogger(__name__)

SourceFactory = Callable[[InputDevice, int, int, int], CaptureSource]  # rate, channels, bits
Importer = Callable[[ProjectRecorder], None]

METER_MIN_DB = -60.0
CLIP_HOLD_MS = 2000


def _default_source(device: InputDevice, rate: int, channels: int, bits: int) -> CaptureSource:
    return open_input(device.index, rate, channels, bits=bits)


def fmt_elapsed(seconds: float) -> str:
    tenths = int(seconds * 10)
    s, t = divmod(tenths, 10)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return f"{h:02d}:{m:02d}:{s:02d}.{t}"


def fmt_disk(free_bytes: int, rate: int, channels: int, bits: int = 16) -> str:
    hours = free_bytes / (rate * frame_bytes(channels, bits)) / 3600
    span = f"about {hours:.0f} h" if hours >= 2 else f"about {hours * 60:.0f} min"
    return f"Disk: {free_bytes / 1e9:.1f} GB free — {span} at this setting"


class CaptureDialog(QDialog):
    """Record into ``project``; see the module docstring."""

    recorded = Signal(object)  # ImportOutcome, when the dialog imported it itself

    def __init__(
        self,
        project: Project,
        parent: QWidget | None = None,
        *,
        devices: list[InputDevice] | None = None,
        source_factory: SourceFactory | None = None,
        importer: Importer | None = None,
        options: RecorderOptions | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Record")
        self.project = project
        self.speakers = SpeakerService(project)
        self.source_factory = source_factory or _default_source
        self.importer = importer
        self.options = options or RecorderOptions()
        self.recorder: ProjectRecorder | None = None
        self._clip_until = 0
        self._elapsed_ms = 0
        self.device_error: str | None = None
        if devices is None:
            try:
                devices = list_input_devices()
            except CaptureError as exc:
                devices, self.device_error = [], str(exc)
        self.devices = devices
        self._build()
        self._timer = QTimer(self)
        self._timer.setInterval(50)
        self._timer.timeout.connect(self._tick)
        self._update_controls()
        self._update_disk()

    # -- layout ---------------------------------------------------------------------------
    def _build(self) -> None:
        self.device_box = QComboBox()
        for d in self.devices:
            self.device_box.addItem(d.label, d)
            if d.is_default:
                self.device_box.setCurrentIndex(self.device_box.count() - 1)
        self.rate_box = QComboBox()
        for r in SAMPLE_RATES:
            self.rate_box.addItem(f"{r / 1000:g} kHz", r)
        self.rate_box.setCurrentIndex(SAMPLE_RATES.index(48_000))
        self.channels_box = QComboBox()
        self.channels_box.addItem("Mono", 1)
        self.channels_box.addItem("Stereo", 2)
        self.bits_box = QComboBox()
        self.bits_box.addItem("16-bit", 16)
        self.bits_box.addItem("24-bit (archive quality, 1.5× the space)", 24)
        self.bits_box.setToolTip(
            "24-bit keeps quiet speech clean when the input gain is set low; "
            "archives such as ELAR and PARADISEC ask for it"
        )
        self.format_box = QComboBox()
        self.format_box.addItem("WAV (uncompressed)", "wav")
        self.format_box.addItem("FLAC (lossless, smaller)", "flac")
        for box in (self.rate_box, self.channels_box, self.bits_box):
            box.currentIndexChanged.connect(self._update_disk)
        self.no_device = QLabel(self.device_error or NO_DEVICE_MESSAGE)
        self.no_device.setObjectName("noDevice")
        self.no_device.setWordWrap(True)
        self.no_device.setStyleSheet("color: #c92a2a; font-weight: bold;")
        self.no_device.setVisible(not self.devices)

        inputs = QFormLayout()
        inputs.addRow("Input:", self.device_box)
        inputs.addRow("Sample rate:", self.rate_box)
        inputs.addRow("Channels:", self.channels_box)
        inputs.addRow("Bit depth:", self.bits_box)
        inputs.addRow("Keep as:", self.format_box)
        input_box = QGroupBox("Input")
        input_layout = QVBoxLayout(input_box)
        input_layout.addLayout(inputs)
        input_layout.addWidget(self.no_device)

        self.meter = LevelMeter()
        self.clip_label = QLabel("CLIP")
        self.clip_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.clip_label.setFixedWidth(52)
        self.clip_label.setToolTip("Lights up when the input is too loud (clipping)")
        self._set_clip(False)
        self.elapsed_label = QLabel(fmt_elapsed(0))
        big = QFont(self.elapsed_label.font())
        big.setPointSizeF(big.pointSizeF() * 2.2)
        big.setBold(True)
        self.elapsed_label.setFont(big)
        self.level_label = QLabel("")
        self.disk_label = QLabel("")
        self.state_label = QLabel("Ready." if self.devices else "")
        self.state_label.setWordWrap(True)
        self.dropped_label = QLabel("")

        self.record_button = QPushButton("● Record")
        self.record_button.setStyleSheet("QPushButton { color: #c92a2a; font-weight: bold; }")
        self.pause_button = QPushButton("Pause")
        self.marker_button = QPushButton("Marker (M)")
        self.stop_button = QPushButton("■ Stop and save")
        self.record_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.marker_button.clicked.connect(lambda: self.add_marker())
        self.stop_button.clicked.connect(self.stop)
        QShortcut(QKeySequence("M"), self, activated=self.add_marker)

        meter_row = QHBoxLayout()
        meter_row.addWidget(self.meter, 1)
        meter_row.addWidget(self.clip_label)
        buttons = QHBoxLayout()
        for b in (self.record_button, self.pause_button, self.marker_button, self.stop_button):
            buttons.addWidget(b)
        live_box = QGroupBox("Recording")
        live = QVBoxLayout(live_box)
        top = QHBoxLayout()
        top.addWidget(self.elapsed_label)
        top.addStretch(1)
        top.addWidget(self.level_label)
        live.addLayout(top)
        live.addLayout(meter_row)
        live.addLayout(buttons)
        live.addWidget(self.state_label)
        live.addWidget(self.disk_label)
        live.addWidget(self.dropped_label)
        self.markers = QListWidget()
        self.markers.setMaximumHeight(90)
        live.addWidget(QLabel("Markers:"))
        live.addWidget(self.markers)

        left = QVBoxLayout()
        left.addWidget(input_box)
        left.addWidget(live_box, 1)
        grid = QGridLayout(self)
        grid.addLayout(left, 0, 0)
        self.meta_box = SessionMetaBox(self.speakers, self)
        self.meta_box.changed.connect(self._meta_changed)
        grid.addWidget(self.meta_box, 0, 1)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(close)
        grid.addLayout(row, 1, 0, 1, 2)
        self.resize(980, 600)

    def meta(self) -> SessionMeta:
        return self.meta_box.meta()

    def _meta_changed(self) -> None:
        if self.recorder is not None and not self.recorder.finished:
            self.recorder.set_meta(self.meta())

    # -- recording --------------------------------------------------------------------------
    @property
    def recording(self) -> bool:
        return self.recorder is not None and not self.recorder.finished

    def start(self) -> bool:
        if self.recording:
            return False
        device = self.device_box.currentData()
        if device is None:
            self._show_state(NO_DEVICE_MESSAGE, error=True)
            return False
        rate, channels = self.rate_box.currentData(), self.channels_box.currentData()
        bits = self.bits_box.currentData()
        try:
            source = self.source_factory(device, rate, channels, bits)
            self.recorder = start_recording(
                self.project,
                source,
                self.meta(),
                final_format=self.format_box.currentData(),
                options=self.options,
            )
        except JazbaError as exc:
            self._show_state(str(exc), error=True)
            return False
        self.markers.clear()
        self._show_state(f"Recording from '{source.name}' ({rate} Hz, {bits}-bit, {channels} ch)…")
        self._timer.start()
        self._update_controls()
        return True

    def toggle_pause(self) -> None:
        if not self.recording:
            return
        assert self.recorder is not None
        if self.recorder.paused:
            self.recorder.resume()
            self._show_state("Recording…")
        else:
            self.recorder.pause()
            self._show_state("Paused — press Resume to go on.")
        self._update_controls()

    def add_marker(self, label: str | None = None) -> None:
        if not self.recording:
            return
        assert self.recorder is not None
        marker = self.recorder.add_marker(label)
        ms = marker.frame * 1000 // self.recorder.source.rate
        self.markers.addItem(f"{fmt_ms(ms)}  {marker.label}")
        self.markers.scrollToBottom()

    def stop(self) -> None:
        """Stop (if recording) and add the recording to the project."""
        recorder = self.recorder
        if recorder is None:
            return
        self._timer.stop()
        if not recorder.finished:
            recorder.set_meta(self.meta())
            try:
                recorder.stop(30)
            except CaptureError as exc:
                self._show_state(str(exc), error=True)
        self._tick_final(recorder)
        self.recorder = None
        self._update_controls()
        if self.importer is not None:
            self.importer(recorder)
            self._show_state(self.state_label.text() + " Adding it to the project…")
            return
        try:
            outcome = finish_recording(recorder)
        except JazbaError as exc:
            self._show_state(
                f"{exc} The audio is safe in '{recorder.wav_path.parent}' and will be added "
                "the next time the project is opened.",
                error=True,
            )
            return
        self.saved(outcome)

    def saved(self, outcome: ImportOutcome) -> None:
        """Tell the user what was added (called by whoever imported it)."""
        info = outcome.info
        if info is None:
            self._show_state("Nothing was recorded.")
        else:
            self._show_state(
                f"Saved '{info.title}' ({fmt_ms(info.duration_ms)}, {outcome.markers} "
                f"marker(s), {outcome.utterances} utterance(s) found)."
            )
        self.recorded.emit(outcome)

    # -- live display ----------------------------------------------------------------------
    def _tick(self) -> None:
        recorder = self.recorder
        if recorder is None:
            return
        st = recorder.status()
        self._show_status(st)
        if recorder.finished:  # stopped by itself: device lost, disk full
            message = st.message or "The recording stopped."
            self.stop()
            self._show_state(f"{message} {self.state_label.text()}", error=True)

    def _tick_final(self, recorder: ProjectRecorder) -> None:
        self._show_status(recorder.status())
        self.meter.set_level(None)

    def _show_status(self, st: RecorderStatus) -> None:
        self.meter.set_level(st.level if not st.paused else None)
        self.elapsed_label.setText(fmt_elapsed(st.elapsed_s))
        peak = st.level.max_peak_db
        self.level_label.setText(
            f"peak {peak:5.1f} dBFS · RMS {max(st.level.rms_db):5.1f} dBFS"
            if peak > FLOOR_DB
            else ""
        )
        if st.level.clipped:
            self._clip_until = self._elapsed_ms + CLIP_HOLD_MS
        self._elapsed_ms += self._timer.interval()
        self._set_clip(self._elapsed_ms < self._clip_until)
        self.disk_label.setText(fmt_disk(st.free_bytes, st.rate, st.channels, st.bits))
        lost = st.dropped_frames / st.rate
        self.dropped_label.setText(
            f"Dropped: {st.dropped_blocks} block(s) ({lost:.2f} s), {st.overflows} overflow(s)"
        )
        if st.dropped_blocks or st.overflows:
            self.dropped_label.setStyleSheet("color: #c92a2a;")

    def _set_clip(self, on: bool) -> None:
        self.clip_label.setProperty("clipping", on)
        colour = "background: #e03131; color: white;" if on else "color: #868e96;"
        self.clip_label.setStyleSheet(f"QLabel {{ {colour} border-radius: 3px; padding: 2px; }}")

    def _update_disk(self) -> None:
        if self.recording:
            return
        try:
            free = shutil.disk_usage(self.project.path).free
        except OSError:
            return
        rate, channels = self.rate_box.currentData(), self.channels_box.currentData()
        self.disk_label.setText(fmt_disk(free, rate, channels, self.bits_box.currentData()))

    def _show_state(self, text: str, error: bool = False) -> None:
        self.state_label.setText(text)
        self.state_label.setStyleSheet("color: #c92a2a;" if error else "")

    def _update_controls(self) -> None:
        rec = self.recording
        has_device = bool(self.devices)
        self.record_button.setEnabled(has_device and not rec)
        for w in (self.device_box, self.rate_box, self.channels_box, self.bits_box,
                  self.format_box):  # fmt: skip
            w.setEnabled(has_device and not rec)
        self.pause_button.setEnabled(rec)
        self.marker_button.setEnabled(rec)
        self.stop_button.setEnabled(rec)
        paused = rec and self.recorder is not None and self.recorder.paused
        self.pause_button.setText("Resume" if paused else "Pause")

    # -- closing -----------------------------------------------------------------------------
    def _may_close(self) -> bool:
        """Stop and save a running recording first (if the user agrees)."""
        if self.recording:
            if not dialogs.confirm(self, "A recording is running. Stop it and save it?"):
                return False
            self.stop()
        self._timer.stop()
        return True

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._may_close():
            event.ignore()
            return
        super().closeEvent(event)

    def reject(self) -> None:  # Esc, the window's close button
        if self._may_close():
            super().reject()
