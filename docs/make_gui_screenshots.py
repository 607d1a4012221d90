"""Take the screenshots of the screens changed for the "rough edges" of issue #16.

* ``screenshot-jobs.png``: the main window after a session's work: the Jobs
  panel with a finished transcription (green), a failed import ("Failed: …"
  on an empty red bar), a cancelled and a running job, the newest row in
  view; the toolbar's Record (greyed out: no microphone here) and Transcribe icons;
* ``screenshot-toolbar.png``: the toolbar alone, twice as large;
* ``screenshot-no-microphone.png``: what clicking the greyed Record says;
* ``screenshot-date-field.png``: the recording dialog refusing 2026-02-30;
* ``screenshot-training-conditions.png`` and ``screenshot-training-card.png``:
  the Training dialog before Start (conditions, Log tab; Model card tab);
* ``screenshot-install-model.png``: Settings ▸ Transcription with no model installed.

The model must be installed in ``$JAZBA_DATA_DIR/models`` (see make_screenshot.py).

    JAZBA_DATA_DIR=/tmp/jz JAZBA_CONFIG_DIR=/tmp/jz/config \\
        xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python docs/make_gui_screenshots.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.screens import no_sound, pump  # noqa: E402

OUT = ROOT / "docs"


def main() -> int:
    if "JAZBA_DATA_DIR" not in os.environ or "JAZBA_CONFIG_DIR" not in os.environ:
        print("Set JAZBA_DATA_DIR and JAZBA_CONFIG_DIR (never the real user's).", file=sys.stderr)
        return 2
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMessageBox, QTabWidget, QToolBar

    from desktop_app.asr.registry import ModelRegistry
    from desktop_app.core.demo import build_demo
    from desktop_app.core.errors import JazbaError
    from desktop_app.core.settings import Settings
    from desktop_app.gui.app import create_app, create_window
    from desktop_app.gui.dialogs import common as dialogs
    from desktop_app.gui.dialogs.recording_dialog import RecordingDialog
    from desktop_app.gui.dialogs.settings_dialog import SettingsDialog
    from desktop_app.gui.training.training_view import TrainingDialog

    app = create_app()  # noqa: F841 (kept alive for the whole run)

    def wait(job) -> None:
        while not job.status.finished:
            pump(0.1)

    dialogs.show_info = lambda *a, **k: None  # type: ignore[assignment]
    dialogs.show_error = lambda *a, **k: None  # type: ignore[assignment]
    tmp = Path(tempfile.mkdtemp())
    folder = tmp / "Field trip 2026.jazba"
    build_demo(folder).close()
    window = create_window(folder, Settings(theme="light", auto_advance=False), no_sound)
    window.resize(1400, 900)
    window.show()
    pump(0.5)
    print("status after opening:", window.statusBar().currentMessage())

    # -- a session's jobs ------------------------------------------------------------
    window.recordings.select(2)
    done = window.ops.transcribe_current()
    wait(done)
    window.recordings.select(3)
    stopped = window.ops.transcribe_current()
    pump(1.5)
    stopped.cancel()
    wait(stopped)
    broken = tmp / "interview 3.m4a"
    broken.write_bytes(b"not audio at all" * 64)
    (failed,) = window.ops.import_audio([broken])
    wait(failed)
    release = threading.Event()

    def running(state) -> None:
        state.set_progress(0.42, "Transcribing on CPU…")
        release.wait(60)
        raise JazbaError("stopped for the screenshot")

    window.runner.start("Transcribe Тау (mountains)", running)
    window.docks["jobs"].show()
    window.resizeDocks([window.docks["jobs"]], [280], Qt.Orientation.Vertical)
    window.recordings.select(2)
    pump(1.5)
    window.grab().save(str(OUT / "screenshot-jobs.png"))
    pixmap = window.findChild(QToolBar, "toolbar_main").grab()
    pixmap.scaled(pixmap.size() * 2, Qt.AspectRatioMode.KeepAspectRatio,
                  Qt.TransformationMode.SmoothTransformation).save(
        str(OUT / "screenshot-toolbar.png"))  # fmt: skip
    shown: list[str] = []

    def grab_info(parent, message: str, title: str = "Jazba") -> None:
        box = QMessageBox(QMessageBox.Icon.Information, title, message, parent=parent)
        box.show()
        pump(0.3)
        box.grab().save(str(OUT / "screenshot-no-microphone.png"))
        shown.append(message)
        box.close()

    dialogs.show_info = grab_info  # type: ignore[assignment]
    window.actions["record"].trigger()  # no input device on this machine
    print("record says:", shown, "tooltip:", window.actions["record"].toolTip())
    dialogs.show_info = lambda *a, **k: None  # type: ignore[assignment]
    release.set()
    for j in window.runner.running():
        wait(j)
    print("jobs:", [(j.title, j.status.value, j.error or j.message) for j in window.runner.jobs])

    # -- a date that does not exist ----------------------------------------------------
    info = window.session.recordings.get(2)
    dialog = RecordingDialog(info, window, speakers=window.session.speaker_list())
    dialog.show()
    dialog.recorded_on.edit.setFocus()
    dialog.recorded_on.setText("2026-02-30")
    pump(0.5)
    dialog.grab().save(str(OUT / "screenshot-date-field.png"))
    dialog.reject()

    # -- the Training dialog before Start ---------------------------------------------
    # the demo's 9 approved reference segments: fewer than training needs
    training = TrainingDialog(window.session.project, window.runner, ModelRegistry(), window)
    training.resize(1250, 780)
    training.show()
    training.tabs.setCurrentWidget(training.log_view)
    pump(1.0)
    training.grab().save(str(OUT / "screenshot-training-conditions.png"))
    training.tabs.setCurrentWidget(training.card_view)
    pump(0.5)
    training.grab().save(str(OUT / "screenshot-training-card.png"))
    print("conditions:", training.conditions.text())
    training.close()

    # -- Settings ▸ Transcription with no model installed ---------------------------------
    empty = ModelRegistry(tmp / "no-models")
    settings = SettingsDialog(Settings(), window, runner=window.runner, registry=empty)
    tabs = settings.findChild(QTabWidget)
    tabs.setCurrentIndex(1)
    settings.resize(760, 640)
    settings.show()
    pump(0.5)
    settings.grab().save(str(OUT / "screenshot-install-model.png"))
    settings.reject()
    window.ops.close_project(ask=False)
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
