"""The Record dialog and the main window's Record command, fed by the synthetic source."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt

from desktop_app.core.capture import (
    InputDevice,
    Journal,
    RecorderOptions,
    SyntheticSource,
    recording_speakers,
    synthetic_samples,
)
from desktop_app.core.capture.project_recording import IN_PROGRESS_DIR
from desktop_app.core.capture.wavstream import WavAppender
from desktop_app.core.project import Project
from desktop_app.core.services.recordings import RecordingService
from desktop_app.core.services.segments import SegmentService
from desktop_app.core.services.speakers import SpeakerService, TierService
from desktop_app.core.settings import Settings
from desktop_app.gui.capture.capture_dialog import CaptureDialog
from desktop_app.gui.dialogs import common as dialogs
from tests.capture.conftest import assert_matches_signal, read_int16

pytestmark = [
    pytest.mark.gui,
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore(
        "This plugin does not support propagateSizeHints",
        "This plugin does not support raise",
        "QStandardPaths: XDG_RUNTIME_DIR",
    ),
]

MIC = InputDevice(3, "Field mic", "ALSA", 2, 48_000.0, True)


@pytest.fixture(autouse=True)
def _qt_guard(qapp) -> None:
    from desktop_app.gui.qtfix import install_refcount_guard

    install_refcount_guard()


def _synthetic(**kwargs):
    def factory(_device: InputDevice, rate: int, channels: int, bits: int) -> SyntheticSource:
        return SyntheticSource(rate, channels, bits=bits, block_frames=rate // 50, **kwargs)

    return factory


def _dialog(qtbot, project: Project, **kwargs) -> CaptureDialog:
    kwargs.setdefault("devices", [MIC])
    dialog = CaptureDialog(project, **kwargs)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def test_record_pause_marker_stop_saves_with_session_metadata(qtbot, project: Project) -> None:
    speakers = SpeakerService(project)
    speakers.create("Айгүл")
    speakers.create("Ерлан")
    dialog = _dialog(qtbot, project, source_factory=_synthetic(speed=1.0))
    dialog.rate_box.setCurrentIndex(dialog.rate_box.findData(16_000))
    dialog.channels_box.setCurrentIndex(dialog.channels_box.findData(2))
    dialog.meta_box.refresh_speakers()
    dialog.meta_box.check_speaker("Ерлан")
    dialog.meta_box.place_edit.setText("Шымкент")
    dialog.meta_box.consent_check.setChecked(True)
    dialog.meta_box.consent_details.setText("for the archive")
    assert "GB free" in dialog.disk_label.text()

    assert dialog.start()
    assert not dialog.record_button.isEnabled() and dialog.stop_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.recorder.status().elapsed_s > 0.5, timeout=5000)
    qtbot.waitUntil(lambda: dialog.meter.level is not None, timeout=2000)
    assert dialog.meter.level.max_peak_db > -20
    assert "dBFS" in dialog.level_label.text()
    assert dialog.elapsed_label.text().startswith("00:00:00.")
    dialog.record_button.setFocus()
    qtbot.keyClick(dialog, Qt.Key.Key_M)  # the marker key
    assert dialog.markers.count() == 1
    dialog.meta_box.place_edit.setFocus()
    qtbot.keyClick(dialog.meta_box.place_edit, Qt.Key.Key_M)  # typing in a field is not a marker
    assert dialog.markers.count() == 1 and dialog.meta_box.place_edit.text() == "Шымкентm"
    dialog.meta_box.place_edit.setText("Шымкент")

    dialog.pause_button.click()
    assert dialog.pause_button.text() == "Resume"
    qtbot.wait(150)
    frozen = dialog.recorder.status().frames
    qtbot.wait(300)
    assert dialog.recorder.status().frames == frozen
    dialog.pause_button.click()
    qtbot.waitUntil(lambda: dialog.recorder.status().frames > frozen + 1600, timeout=3000)
    dialog.marker_button.click()
    saved = []
    dialog.recorded.connect(saved.append)
    dialog.stop_button.click()
    assert saved and saved[0].info is not None
    info = saved[0].info
    assert "Saved" in dialog.state_label.text()
    assert dialog.record_button.isEnabled() and not dialog.stop_button.isEnabled()

    (rec,) = RecordingService(project).list()
    assert rec.id == info.id and rec.origin == "recorded"
    assert (rec.sample_rate, rec.channels) == (16_000, 2)
    assert rec.place == "Шымкент"
    assert rec.consent == "given — oral, recorded at the start; for the archive"
    assert recording_speakers(project, rec.id) == ["Ерлан"]
    markers = {t.name: t.id for t in TierService(project).list()}["markers"]
    assert len(SegmentService(project).list(rec.id, markers)) == 2
    data = read_int16(project.abspath(rec.audio_path))
    assert_matches_signal(data[:frozen], 16_000)


def test_24_bit_recording_from_the_dialog(qtbot, project: Project) -> None:
    dialog = _dialog(qtbot, project, source_factory=_synthetic(speed=4.0))
    dialog.rate_box.setCurrentIndex(dialog.rate_box.findData(16_000))
    at_16 = dialog.disk_label.text()
    dialog.bits_box.setCurrentIndex(dialog.bits_box.findData(24))
    assert dialog.disk_label.text() != at_16  # less time fits on the disk at 24 bits
    assert dialog.start()
    assert "24-bit" in dialog.state_label.text() and not dialog.bits_box.isEnabled()
    qtbot.waitUntil(lambda: dialog.recorder.status().elapsed_s > 0.3, timeout=5000)
    saved = []
    dialog.recorded.connect(saved.append)
    dialog.stop_button.click()
    assert saved and saved[0].info is not None
    path = project.abspath(saved[0].info.audio_path)
    assert sf.info(path).subtype == "PCM_24"
    data, _ = sf.read(path, dtype="int32", always_2d=True)
    assert np.array_equal(data, synthetic_samples(0, len(data), 16_000, 1, bits=24))


def test_no_input_device_says_so(qtbot, project: Project) -> None:
    dialog = _dialog(qtbot, project, devices=[])
    assert dialog.no_device.isVisible()
    assert "No microphone" in dialog.no_device.text()
    assert not dialog.record_button.isEnabled()
    assert not dialog.start()


def test_this_machines_devices(qtbot, project: Project) -> None:
    """Without injected devices the dialog asks the sound system (none in CI)."""
    dialog = _dialog(qtbot, project, devices=None)
    assert dialog.no_device.isVisible() == (dialog.device_box.count() == 0)


def test_clipping_lights_the_indicator(qtbot, project: Project) -> None:
    dialog = _dialog(qtbot, project, source_factory=_synthetic(speed=1.0, gain=3))
    dialog.rate_box.setCurrentIndex(dialog.rate_box.findData(16_000))
    dialog.start()
    qtbot.waitUntil(lambda: dialog.clip_label.property("clipping") is True, timeout=3000)
    dialog.stop()


def test_device_lost_stops_and_keeps_everything(qtbot, project: Project) -> None:
    dialog = _dialog(qtbot, project, source_factory=_synthetic(speed=4.0, fail_after_frames=48_000))
    dialog.start()
    qtbot.waitUntil(lambda: dialog.recorder is None, timeout=5000)
    assert "stopped delivering audio" in dialog.state_label.text()
    assert "Saved" in dialog.state_label.text()
    (rec,) = RecordingService(project).list()
    assert rec.duration_ms == 1000


def test_closing_while_recording_asks_and_saves(
    qtbot, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dialogs, "confirm", lambda *a, **k: False)
    dialog = _dialog(qtbot, project, source_factory=_synthetic(speed=2.0))
    dialog.start()
    qtbot.wait(200)
    dialog.close()
    assert dialog.isVisible() and dialog.recording  # the user said no
    monkeypatch.setattr(dialogs, "confirm", lambda *a, **k: True)
    dialog.close()
    assert not dialog.recording
    assert len(RecordingService(project).list()) == 1


def _leave_unfinished(project: Project) -> Path:
    """What a crash leaves: a WAV whose header was last synced earlier, and a journal."""
    folder = project.path / IN_PROGRESS_DIR
    folder.mkdir()
    wav = folder / "rec-20260714-101500-abcdef.wav"
    writer = WavAppender(wav, 16_000, 1)
    writer.append(synthetic_samples(0, 16_000, 16_000))
    writer.sync()
    writer.append(synthetic_samples(16_000, 8_000, 16_000))  # after the last sync
    os.close(writer.fd)  # no final header: as if killed
    journal = Journal(wav.name, 16_000, 1, "2026-07-14T10:15:00", frames=16_000)
    journal.save(wav.with_suffix(".json"))
    return wav


def test_main_window_recovers_on_open_and_records(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop_app.gui.app import create_window

    infos: list[str] = []
    monkeypatch.setattr(dialogs, "show_info", lambda _p, msg, *a: infos.append(msg))
    with Project.create(tmp_path / "field") as project:
        _leave_unfinished(project)
        folder = project.path
    window = create_window(folder, Settings())
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: bool(infos), timeout=10_000)
    assert "recovered" in infos[0] and "(0:01.5)" in infos[0]
    (rec,) = window.session.recording_list()
    assert rec.origin == "recovered" and rec.duration_ms == 1500
    assert not list((folder / IN_PROGRESS_DIR).glob("*.wav"))

    action = window.actions["record"]
    assert action.isEnabled() and action in window.menuBar().actions()[0].menu().actions()
    dialog = None

    def open_with_synthetic():
        nonlocal dialog
        from desktop_app.gui.capture import capture_hook

        dialog = capture_hook.open_record_dialog(
            window,
            devices=[MIC],
            source_factory=_synthetic(speed=4.0),
            options=RecorderOptions(),
        )

    open_with_synthetic()
    assert dialog is not None and dialog.isVisible()
    dialog.start()
    qtbot.waitUntil(lambda: dialog.recorder.status().elapsed_s > 1.0, timeout=5000)
    dialog.stop()  # the import runs as a job of the window
    qtbot.waitUntil(lambda: len(window.session.recording_list()) == 2, timeout=10_000)
    qtbot.waitUntil(lambda: "Saved" in dialog.state_label.text(), timeout=5000)
    dialog.close()
    window.ops.close_project(ask=False)
    window.close()


def test_record_action_needs_a_project(qtbot) -> None:
    from desktop_app.gui.app import create_window

    window = create_window(None, Settings())
    qtbot.addWidget(window)
    assert not window.actions["record"].isEnabled()
    assert window.actions["record"].shortcut().toString() == "Ctrl+Alt+R"
    window.close()
