"""Transcript menu: "Identify speakers…" as a job, and the suggestions under the speakers list.

``install(window)`` adds the action after "Transcribe" and the
:class:`SuggestionsBox` to the speakers panel, without the window knowing the
details. The job is :func:`desktop_app.services.diarization.diarize_recording`
in a worker thread (progress and cancel in the Jobs panel); its writes are one
step on the window's undo stack.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction

from desktop_app.core.services.dto import OpResult
from desktop_app.core.services.speaker_profiles import ProfileService
from desktop_app.gui.actions import insert_after
from desktop_app.gui.dialogs import common as dialogs
from desktop_app.gui.speakers.suggestions_box import SuggestionsBox
from desktop_app.gui.undo import ServiceOpCommand
from desktop_app.services.diarization import DiarizeRequest, DiarizeResult, diarize_recording

if TYPE_CHECKING:
    from desktop_app.gui.main_window import MainWindow
    from desktop_app.gui.session import ProjectSession
    from desktop_app.gui.workers import Job

log = logging.getLogger(__name__)

ACTION_TEXT = "Identify &speakers…"
COUNT_CHOICES = ["Find out how many", "1", "2", "3", "4", "5", "6"]


def describe(result: DiarizeResult) -> str:
    a = result.applied
    done = f"{a.created} created" if a.created else f"{a.labelled + a.split} labelled"
    model = f" (speaker model: {result.model_name or result.model_id})"
    text = f"{len(result.speakers)} speaker(s); {done}; {a.kept} kept as a person set them"
    if a.overlaps:  # a segmentation model found people speaking at once
        text += f"; {a.overlaps} overlap(s) on the Overlap tier"
    return text + model


class DiarizeHook:
    def __init__(self, window: MainWindow) -> None:
        self.w = window
        self.running: dict[int, Job] = {}
        self.action = QAction(ACTION_TEXT, window)
        self.action.setObjectName("action_identify_speakers")
        self.action.setStatusTip("Find who spoke when and label this recording's segments")
        self.action.triggered.connect(lambda: self.identify())
        menu = insert_after(window.menuBar(), window.actions.get("transcribe"), self.action)
        if menu is None:
            window.addAction(self.action)
        else:
            menu.aboutToShow.connect(self._enable)
        self.box = SuggestionsBox()
        window.speakers.layout().addWidget(self.box)
        self.box.accepted.connect(self._accepted)
        self.box.error.connect(lambda msg: dialogs.show_error(self.w, msg))
        self._session: ProjectSession | None = None
        # the speakers list reloads on a new project and after any speaker change
        window.speakers.model.modelReset.connect(self._sync)

    def _enable(self) -> None:
        self.action.setEnabled(self.w.session is not None and self.w.review.recording is not None)

    def _sync(self) -> None:
        session = self.w.session
        if session is not self._session:
            self._session = session
            self.box.set_profiles(ProfileService(session.project) if session else None)
        else:
            self.box.refresh()

    def identify(self, n_speakers: int | None = None, ask: bool = True) -> Job | None:
        """Diarize the shown recording as a job; ``ask`` asks for the number of speakers."""
        session, rec = self.w.session, self.w.review.recording
        if session is None or rec is None:
            return None
        label = session.recording_label(rec.id)
        if rec.id in self.running:
            self.w.statusBar().showMessage(f"Speakers of '{label}' are being identified.", 5000)
            return self.running[rec.id]
        if ask:
            i = dialogs.choose(self.w, "Identify speakers", "How many speakers?", COUNT_CHOICES)
            if i is None:
                return None
            n_speakers = None if i == 0 else int(COUNT_CHOICES[i])
        self.w.transcript.commit_editor()
        project = session.project
        request = DiarizeRequest(rec.id, n_speakers=n_speakers)
        title = f"Identify speakers in {label}"
        job = self.w.runner.start(
            title, lambda state: diarize_recording(project, request, state), summary=describe
        )
        self.running[rec.id] = job
        job.ended.connect(lambda: self.running.pop(rec.id, None))

        def finished(result: DiarizeResult) -> None:
            if session is not self.w.session:
                return
            if result.applied.operation_id is not None and self.w.editor is not None:
                self.w.editor.adopt(result.applied.operation_id, title, rec.id)
            session.speakers_changed.emit()
            session.notify_segments(rec.id)
            self.box.refresh()
            self.w.statusBar().showMessage(f"{label}: {describe(result)}", 8000)

        job.finished.connect(finished)
        job.failed.connect(lambda msg: dialogs.show_error(self.w, msg))
        self.w.docks["jobs"].show()
        return job

    def _accepted(self, result: OpResult, text: str) -> None:
        session, editor = self.w.session, self.w.editor
        if session is None or editor is None:
            return
        editor.stack.push(
            ServiceOpCommand(session, result, text, None, editor.error.emit, speakers=True)
        )
        session.speakers_changed.emit()
        session.notify_segments(None)


def install(window: MainWindow) -> DiarizeHook:
    hook = DiarizeHook(window)
    window.diarization = hook  # keeps it alive; tests reach it here
    return hook
