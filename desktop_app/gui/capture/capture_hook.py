"""The main window's side of recording: the Record command (the import runs as
a job) and recovery of unfinished recordings when a project opens.

Without an audio input the Record command looks disabled (greyed icon, the
reason in its tooltip) but can still be clicked: it then looks for devices
again (one may have been plugged in) and, finding none, says so instead of
opening an empty Record dialog.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

from desktop_app.core.capture import (
    CaptureError,
    InputDevice,
    ProjectRecorder,
    Recovered,
    find_unfinished,
    finish_recording,
    list_input_devices,
    recover_unfinished,
)
from desktop_app.gui import actions as actionlib
from desktop_app.gui.capture.capture_dialog import CaptureDialog
from desktop_app.gui.dialogs import common as dialogs
from desktop_app.gui.review.segment_table_model import fmt_ms

if TYPE_CHECKING:
    from desktop_app.gui.main_window import MainWindow
    from desktop_app.gui.session import ProjectSession
    from desktop_app.gui.workers import Job

log = logging.getLogger(__name__)

NO_MICROPHONE = (
    "No microphone found. Connect one and try again, or import audio (Project ▸ Import audio…)."
)


def find_inputs(rescan: bool = False) -> list[InputDevice]:
    """The audio inputs ([] when there is none or the sound library is missing)."""
    try:
        return list_input_devices(rescan_first=rescan)
    except CaptureError as exc:
        log.info("no audio input: %s", exc)
        return []


def show_record_availability(window: MainWindow, devices: list[InputDevice] | None = None) -> bool:
    """Grey the Record command out (it stays clickable) when there is no input;
    whether there is one."""
    devices = find_inputs() if devices is None else devices
    actionlib.set_unavailable(
        "record", window.actions["record"], None if devices else NO_MICROPHONE
    )
    return bool(devices)


def record_clicked(window: MainWindow) -> CaptureDialog | None:
    """The Record command: the Record dialog, or why it cannot open."""
    if window.session is None:
        return None
    devices = find_inputs()
    if not devices:  # one may have been plugged in since the sound system started
        window.player.stop()  # no stream may be open while it looks again
        devices = find_inputs(rescan=True)
    if not show_record_availability(window, devices):
        dialogs.show_info(window, NO_MICROPHONE, "Record")
        return None
    return open_record_dialog(window, devices=devices)


def open_record_dialog(window: MainWindow, **kwargs: object) -> CaptureDialog | None:
    """The File > Record… command: record into the open project; the import runs
    as a job on the window's job runner so the window stays responsive."""
    session = window.session
    if session is None:
        return None

    def import_job(recorder: ProjectRecorder) -> None:
        title = dialog.meta().title
        job = window.runner.start(
            f"Save recording '{title or recorder.wav_path.stem}'",
            lambda state: finish_recording(recorder, state),
        )
        job.finished.connect(lambda outcome: _imported(window, session, dialog, outcome))
        job.failed.connect(window.show_status_error)
        window.docks["jobs"].show()

    dialog = CaptureDialog(session.project, window, importer=import_job, **kwargs)  # type: ignore[arg-type]
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
    window.record_dialog = dialog  # type: ignore[attr-defined]  # one at a time, kept alive
    dialog.open()  # window-modal: the project cannot be closed under a recording
    return dialog


def _imported(window: MainWindow, session: ProjectSession, dialog: CaptureDialog, outcome):
    dialog.saved(outcome)
    if session is not window.session:
        return
    session.speakers_changed.emit()
    session.recordings_changed.emit()
    info = outcome.info
    if info is not None:
        window.statusBar().showMessage(f"Recorded '{info.title}'", 8000)
        window.recordings.select(info.id)


def recover_on_open(window: MainWindow, session: ProjectSession) -> Job | None:
    """After a project opens: add recordings a crash left unfinished, and say so."""
    try:
        unfinished = find_unfinished(session.project)
    except OSError:
        log.exception("looking for unfinished recordings failed")
        return None
    if not unfinished:
        return None
    job = window.runner.start(
        "Recover unfinished recordings", lambda state: recover_unfinished(session.project, state)
    )
    job.finished.connect(lambda results: _recovered(window, session, results))
    job.failed.connect(window.show_status_error)
    return job


def recovery_message(results: list[Recovered]) -> str:
    lines = []
    for r in results:
        info = r.outcome.info if r.outcome else None
        if r.error:
            lines.append(f"• '{r.wav_name}' could not be added: {r.error}")
        elif info is not None:
            lines.append(
                f"• '{info.title}' ({fmt_ms(info.duration_ms)}) — added as #{info.id}, "
                f"marked '{info.origin}'"
            )
    head = (
        "Jazba found recordings that were not finished (the program or the computer "
        "stopped while recording) and recovered them:"
    )
    return head + "\n\n" + "\n".join(lines)


def _recovered(window: MainWindow, session: ProjectSession, results: list[Recovered]) -> None:
    if session is not window.session or not results:
        return
    session.recordings_changed.emit()
    dialogs.show_info(window, recovery_message(results), "Recovered recordings")
