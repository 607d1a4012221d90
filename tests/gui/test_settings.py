"""Typed, versioned settings (Qt-free core) and the settings dialog."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from desktop_app.core import settings as settings_mod
from desktop_app.core.settings import (
    SETTINGS_VERSION,
    Settings,
    from_dict,
    load_settings,
    save_settings,
    settings_path,
)


def test_settings_live_in_the_test_config_dir() -> None:
    assert settings_path().parent == Path(os.environ["JAZBA_CONFIG_DIR"])


def test_round_trip() -> None:
    s = Settings(theme="dark", low_confidence=0.4, shortcuts={"split": "Ctrl+K"})
    s.add_recent("/a/one.jazba")
    s.add_recent("/b/two.jazba")
    s.add_recent("/a/one.jazba")
    assert save_settings(s)
    back = load_settings()
    assert back == s
    assert back.recent_projects == ["/a/one.jazba", "/b/two.jazba"]
    data = json.loads(settings_path().read_text(encoding="utf-8"))
    assert data["version"] == SETTINGS_VERSION


def test_missing_file_gives_defaults() -> None:
    assert load_settings() == Settings()


def test_bad_values_fall_back_per_field() -> None:
    s = from_dict(
        {
            "version": SETTINGS_VERSION,
            "theme": "purple",
            "low_confidence": "high",
            "auto_advance": 1,
            "playback_speed": 7,
            "shortcuts": {"split": 5},
            "recent_projects": ["/x", "/x", "/y"],
            "unknown_key": True,
        }
    )
    d = Settings()
    assert (s.theme, s.low_confidence, s.auto_advance) == (d.theme, d.low_confidence, True)
    assert s.playback_speed == 1.0 and s.shortcuts == {}
    assert s.recent_projects == ["/x", "/y"]


def test_damaged_file_is_kept_aside() -> None:
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json", encoding="utf-8")
    assert load_settings() == Settings()
    assert path.with_name("settings.json.bad").read_text(encoding="utf-8") == "{not json"
    assert not path.exists()


def test_old_versions_are_migrated(monkeypatch: pytest.MonkeyPatch) -> None:
    """A future version 2 renames a field; a version-1 file still loads."""

    def v1_to_v2(data: dict) -> dict:
        data = dict(data)
        data["theme"] = "dark" if data.pop("dark_mode", False) else "light"
        return data

    monkeypatch.setattr(settings_mod, "SETTINGS_VERSION", 2)
    monkeypatch.setattr(settings_mod, "MIGRATIONS", {1: v1_to_v2})
    s = from_dict({"version": 1, "dark_mode": True, "auto_advance": False})
    assert s.theme == "dark" and s.auto_advance is False
    assert settings_mod.migrate({"dark_mode": False})["version"] == 2


def test_newer_file_is_read_but_never_overwritten() -> None:
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    newer = {"version": SETTINGS_VERSION + 5, "theme": "dark", "new_thing": [1, 2]}
    path.write_text(json.dumps(newer), encoding="utf-8")
    s = load_settings()
    assert s.theme == "dark"
    assert not save_settings(s)
    assert json.loads(path.read_text(encoding="utf-8")) == newer


def test_dialog_returns_changed_settings(qtbot) -> None:
    from desktop_app.gui.dialogs.settings_dialog import SettingsDialog

    s = Settings()
    dialog = SettingsDialog(s)
    qtbot.addWidget(dialog)
    dialog.theme.setCurrentIndex(dialog.theme.findData("dark"))
    dialog.device.setCurrentIndex(dialog.device.findData("cpu"))
    dialog.preset.setCurrentIndex(dialog.preset.findData("fast"))
    dialog.low_mode.setCurrentIndex(dialog.low_mode.findData(True))  # the user's own
    dialog.low_conf.setValue(0.45)
    keys = dialog.shortcut_model
    row = next(i for i, spec in enumerate(keys.specs) if spec.id == "split")
    keys.setData(keys.index(row, 1), "Ctrl+K")
    out = dialog.result_settings()
    assert (out.theme, out.device, out.decoding_preset) == ("dark", "cpu", "fast")
    assert out.low_confidence == pytest.approx(0.45)
    assert out.low_confidence_fixed
    assert out.shortcuts == {"split": "Ctrl+K"}
    assert s.theme == "light"  # the caller's settings are not touched


def test_dialog_refuses_clashing_keys(qtbot) -> None:
    from PySide6.QtWidgets import QDialogButtonBox

    from desktop_app.gui.dialogs.settings_dialog import SettingsDialog

    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    keys = dialog.shortcut_model
    row = next(i for i, spec in enumerate(keys.specs) if spec.id == "merge")
    keys.setData(keys.index(row, 1), "Ctrl+B")  # already "split"
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()
    assert "Ctrl+B" in dialog.conflict_label.text()
    keys.reset_defaults()
    assert ok.isEnabled()


def test_applying_settings_updates_the_window(window) -> None:
    from dataclasses import replace

    new = replace(
        window.settings,
        theme="dark",
        low_confidence=0.9,
        low_confidence_fixed=True,
        shortcuts={"merge": "Ctrl+J"},
    )
    window.apply_settings(new)
    from desktop_app.gui import theme

    assert theme.current().name == "dark"
    assert window.actions["merge"].shortcut().toString() == "Ctrl+J"
    assert window.segment_model.low.fixed == 0.9
    assert load_settings().shortcuts == {"merge": "Ctrl+J"}
    window.set_theme("light")
    theme.manager().apply("light")


# -- snap to silence: remembered between sessions ------------------------------------
def test_snap_to_silence_defaults_on_and_survives_a_round_trip() -> None:
    assert Settings().snap_to_silence is True
    assert from_dict({"version": 1, "theme": "dark"}).snap_to_silence is True  # older file
    assert from_dict({"version": 1, "snap_to_silence": "no"}).snap_to_silence is True
    assert save_settings(Settings(snap_to_silence=False))
    assert load_settings().snap_to_silence is False
    data = json.loads(settings_path().read_text(encoding="utf-8"))
    assert data["snap_to_silence"] is False


def test_dialog_shows_and_returns_snap(qtbot) -> None:
    from desktop_app.gui.dialogs.settings_dialog import SettingsDialog

    dialog = SettingsDialog(Settings(snap_to_silence=False))
    qtbot.addWidget(dialog)
    assert not dialog.snap.isChecked()
    dialog.snap.setChecked(True)
    assert dialog.result_settings().snap_to_silence is True


def test_view_menu_snap_is_saved_and_restored(make_window, project_path: Path) -> None:
    w = make_window(project_path)
    assert w.actions["snap"].isChecked() and w.waveform.snap_enabled
    w.actions["snap"].trigger()  # the View menu toggle
    assert not w.waveform.snap_enabled and w.settings.snap_to_silence is False
    w.close()  # quitting saves the settings
    assert load_settings().snap_to_silence is False
    again = make_window(project_path, load_settings())
    assert not again.actions["snap"].isChecked() and not again.waveform.snap_enabled
    from dataclasses import replace

    again.apply_settings(replace(again.settings, snap_to_silence=True))  # Settings dialog OK
    assert again.actions["snap"].isChecked() and again.waveform.snap_enabled
    assert load_settings().snap_to_silence is True
    again.close()


# -- precision: fp32 / int8 / automatic ------------------------------------------------
def test_precision_is_typed_and_persisted() -> None:
    from desktop_app.services.transcription import PRECISIONS as ENGINE_PRECISIONS

    assert settings_mod.PRECISIONS == ENGINE_PRECISIONS  # the same choices as the engine
    assert Settings().precision == "auto"
    assert from_dict({"version": 1, "theme": "dark"}).precision == "auto"  # an older file
    assert from_dict({"version": 1, "precision": "fp16"}).precision == "auto"
    assert from_dict({"version": 1, "precision": 8}).precision == "auto"
    assert save_settings(Settings(precision="int8"))
    assert load_settings().precision == "int8"
    assert json.loads(settings_path().read_text(encoding="utf-8"))["precision"] == "int8"


def test_dialog_shows_and_returns_precision(qtbot) -> None:
    from desktop_app.gui.dialogs.settings_dialog import SettingsDialog

    dialog = SettingsDialog(Settings(precision="fp32"))
    qtbot.addWidget(dialog)
    box = dialog.precision
    assert [box.itemText(i) for i in range(box.count())] == [
        "Automatic (fast int8 on the CPU when the model has it)",
        "Full precision (fp32)",
        "Fast (int8)",
    ]
    assert box.currentData() == "fp32"
    box.setCurrentIndex(box.findData("int8"))
    assert dialog.result_settings().precision == "int8"


def test_the_request_carries_the_precision_and_the_result_says_what_ran() -> None:
    from desktop_app.gui.transcription_hook import describe, request_for
    from desktop_app.services.transcription import TranscribeResult

    request = request_for(7, Settings(precision="int8", device="cpu"))
    assert (request.recording_id, request.precision, request.device) == (7, "int8", "cpu")
    result = TranscribeResult(
        recording_id=7, model_id="m", operation_id=1, added=3, skipped=0, language="kk",
        device="cpu", device_warning=None, audio_seconds=10.0, wall_seconds=1.25,
        precision="int8",
    )  # fmt: skip
    assert describe(result) == "Transcribed 3 segment(s) in 1.2 s on CPU (int8)"


def test_finished_transcription_shows_device_and_precision(window, qtbot, fake_asr) -> None:
    """The job runs with the precision from the settings; the Jobs panel and the
    status bar say what was actually used, and the job log records it."""
    from desktop_app.core.services.job_log import JobLog
    from desktop_app.gui.panels.jobs_panel import JobCol

    window.settings.precision = "fp32"
    job = window.ops.transcribe_current()
    with qtbot.waitSignal(job.finished, timeout=10_000):
        pass
    status = window.jobs.model.index(0, JobCol.STATUS).data()
    assert status.startswith("Transcribed 2 segment(s)") and status.endswith("on CPU (fp32)")
    assert window.statusBar().currentMessage() == status
    assert JobLog(window.session.project).list()[0].params["precision"] == "fp32"


def test_int8_on_a_model_without_it_is_a_clear_error(window, qtbot, fake_asr) -> None:
    window.settings.precision = "int8"  # the fake model folder has no int8 graphs
    job = window.ops.transcribe_current()
    with qtbot.waitSignal(job.failed, timeout=10_000) as blocker:
        pass
    assert "no int8 variant" in blocker.args[0]
    assert "Upgrade under Project ▸ Settings… ▸ Transcription" in blocker.args[0]
    assert "jazba" not in blocker.args[0]  # the command-line wording is the CLI's
    assert window.jobs.model.index(0, 2).data() == f"Failed: {blocker.args[0]}"
