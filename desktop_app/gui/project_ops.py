"""Project-level commands of the main window: open, new, demo, close, import, transcribe.

Long ones (building the demo, importing audio, transcribing) run as jobs on
the window's :class:`~desktop_app.gui.workers.JobRunner`; the window stays
responsive and the Jobs panel shows their progress.
"""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from desktop_app.core.demo import default_demo_path, open_or_build_demo
from desktop_app.core.errors import JazbaError
from desktop_app.core.jobs import JobState
from desktop_app.core.project import Project, project_path
from desktop_app.core.services.recordings import RecordingMeta, RecordingService, import_label
from desktop_app.core.settings import save_settings
from desktop_app.gui.dialogs import common as dialogs
from desktop_app.gui.session import ProjectSession
from desktop_app.gui.workers import Job

if TYPE_CHECKING:
    from desktop_app.gui.main_window import MainWindow

log = logging.getLogger(__name__)


def import_job(service: RecordingService, path: Path, state: JobState):
    """Job: import one audio file (the service runs in the worker thread)."""
    return service.import_file(path, state=state)


def demo_job(path: Path, state: JobState) -> Path:
    """Job: build (or just open) the demo project; returns its folder."""
    project = open_or_build_demo(path, state)
    folder = project.path
    project.close()
    return folder


class ProjectOps:
    def __init__(self, window: MainWindow) -> None:
        self.w = window
        self._pending: set[int] = set()
        self._refresh = QTimer(window)
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(300)
        self._refresh.timeout.connect(self._flush_segments)

    # -- open / new / close -------------------------------------------------------
    def open_project(self, path: str | Path) -> bool:
        if not self.close_project():
            return False
        try:
            project = Project.open(Path(path))
        except JazbaError as exc:
            dialogs.show_error(self.w, str(exc))
            if not Path(path).exists():
                self.w.settings.remove_recent(path)
                self.w.welcome.set_recent(self.w.settings.recent_projects)
            return False
        except Exception as exc:  # a damaged database, a bug
            dialogs.show_error(self.w, dialogs.user_message(exc))
            return False
        self._show(project)
        return True

    def open_project_dialog(self) -> None:
        recent = self.w.settings.recent_projects
        start = Path(recent[0]).parent if recent else None
        path = dialogs.ask_project_to_open(self.w, start)
        if path is not None:
            self.open_project(path)

    def new_project(self) -> None:
        path = dialogs.ask_new_project(self.w)
        if path is None or not self.close_project():
            return
        try:
            project = Project.create(path, name=project_path(path).stem)
        except JazbaError as exc:
            dialogs.show_error(self.w, str(exc))
            return
        self._show(project)

    def open_demo(self) -> Job:
        job = self.w.runner.start(
            "Prepare the demo project", partial(demo_job, default_demo_path())
        )
        job.finished.connect(self.open_project)
        job.failed.connect(lambda msg: dialogs.show_error(self.w, msg))
        self.w.docks["jobs"].show()
        return job

    def _show(self, project: Project) -> None:
        self.w.settings.add_recent(project.path)
        save_settings(self.w.settings)
        self.w.set_session(ProjectSession(project))

    def close_project(self, ask: bool = True) -> bool:
        """Close the open project (after its jobs stop). False if the user said no."""
        session = self.w.session
        if session is None:
            return True
        if self.w.runner.running():
            if ask and not dialogs.confirm(
                self.w, "Jobs are still running on this project. Cancel them and close it?"
            ):
                return False
            if not self.w.runner.shutdown(10_000):
                dialogs.show_error(self.w, "A job did not stop in time; try again in a moment.")
                return False
        self.w.transcript.commit_editor()
        self.w.player.stop()
        self.w.set_session(None)
        try:
            session.close()
        except Exception:
            log.exception("closing the project failed")
        return True

    # -- recordings ------------------------------------------------------------------
    def edit_recording(self, recording_id: int) -> None:
        session = self.w.session
        if session is None:
            return
        from desktop_app.gui.dialogs.recording_dialog import RecordingDialog

        dialog = RecordingDialog(
            session.recordings.get(recording_id), self.w, speakers=session.speaker_list()
        )
        if dialog.exec():
            self.update_recording(recording_id, dialog.meta())

    def update_recording(self, recording_id: int, meta: RecordingMeta) -> bool:
        session = self.w.session
        if session is None:
            return False
        try:
            info = session.recordings.update(recording_id, meta)
        except JazbaError as exc:
            self.w.show_status_error(str(exc))
            return False
        session.recordings_changed.emit()
        if self.w.review.recording is not None and self.w.review.recording.id == info.id:
            self.w.review.recording = info
            self.w.transcript.title.setText(f"Transcript — {session.recording_label(info.id)}")
        return True

    def remove_recording(self, recording_id: int) -> bool:
        session = self.w.session
        if session is None:
            return False
        info = session.recordings.get(recording_id)
        if not dialogs.confirm(
            self.w,
            f"Remove '{session.recording_label(info.id)}' from the project? Its audio copy and "
            "every transcript segment of it are deleted (the original file you imported is "
            "not touched).",
        ):
            return False
        if self.w.review.recording is not None and self.w.review.recording.id == recording_id:
            self.w.review.open_recording_none()
        try:
            session.recordings.remove(recording_id)
        except JazbaError as exc:
            self.w.show_status_error(str(exc))
            return False
        self.w.undo_stack.clear()  # its segments' undo steps cannot apply any more
        session.recordings_changed.emit()
        first = self.w.recordings.model.recording(0)
        if first is not None and self.w.review.recording is None:
            self.w.recordings.select(first.id)
        return True

    # -- jobs on the open project ---------------------------------------------------
    def import_audio(self, files: list[Path] | None = None) -> list[Job]:
        session = self.w.session
        if session is None:
            return []
        files = files if files is not None else dialogs.ask_audio_files(self.w)
        jobs = []
        for f in files:
            job = self.w.runner.start(
                f"Import {import_label(f, files)}", partial(import_job, session.recordings, f)
            )
            job.finished.connect(lambda info, s=session: self._imported(s, info))
            job.failed.connect(self.w.show_status_error)
            jobs.append(job)
        if jobs:
            self.w.docks["jobs"].show()
        return jobs

    def _imported(self, session: ProjectSession, info) -> None:
        if session is self.w.session:
            session.recordings_changed.emit()
            self.w.statusBar().showMessage(f"Imported '{session.recording_label(info.id)}'", 5000)
            if self.w.review.recording is None:
                self.w.recordings.select(info.id)

    def transcribe_current(self) -> Job | None:
        session, rec = self.w.session, self.w.review.recording
        if session is None or rec is None:
            return None
        try:
            from desktop_app.gui.transcription_hook import describe, transcription_job
        except ImportError as exc:  # the ASR runtime is not installed
            log.warning("transcription unavailable: %s", exc)
            dialogs.show_info(
                self.w,
                f"Transcription is not available in this installation ({exc}). You can still "
                "add and correct segments by hand (Add segment at playhead).",
            )
            return None
        relay = _SegmentRelay()
        relay.segment.connect(self._segments_arrived, Qt.ConnectionType.QueuedConnection)
        relay.segment.connect(relay.remember, Qt.ConnectionType.QueuedConnection)
        fn = transcription_job(session.project, rec.id, self.w.settings, relay.segment.emit)
        title = f"Transcribe {session.recording_label(rec.id)}"
        job = self.w.runner.start(title, fn, summary=describe)
        job.relay = relay  # lives as long as the job

        def finished(result) -> None:
            self._transcribed(session, rec.id, describe(result))
            self._adopt_pass(session, result.operation_id, title, rec.id)

        def cancelled() -> None:
            self._transcribed(session, rec.id, "Transcription stopped")
            self._adopt_pass(session, self._pass_of(session, relay.first_id), title, rec.id)

        job.finished.connect(finished)
        job.cancelled.connect(cancelled)
        job.failed.connect(lambda msg: self._transcribed(session, rec.id, msg, error=True))
        self.w.docks["jobs"].show()
        return job

    def _adopt_pass(
        self, session: ProjectSession, operation_id: int | None, title: str, recording_id: int
    ) -> None:
        """The pass (one operation in the core) becomes one step on the undo stack."""
        if operation_id is None or session is not self.w.session or self.w.editor is None:
            return
        self.w.editor.adopt(operation_id, title, recording_id)

    @staticmethod
    def _pass_of(session: ProjectSession, segment_id: int | None) -> int | None:
        """The transcription operation that created ``segment_id`` (a cancelled
        job returns no result, but the segments it wrote are kept and undoable)."""
        if segment_id is None:
            return None
        try:
            history = session.segments.history(segment_id)
        except JazbaError:
            return None
        return next((r.operation_id for r in history if r.operation_kind == "transcribe"), None)

    def _segments_arrived(self, seg) -> None:
        """Segments come in as the model decodes: refresh at most ~3 times a second."""
        self._pending.add(seg.recording_id)
        if not self._refresh.isActive():
            self._refresh.start()

    def _flush_segments(self) -> None:
        pending, self._pending = self._pending, set()
        session = self.w.session
        if session is not None:
            for recording_id in pending:
                session.notify_segments(recording_id)

    def _transcribed(
        self, session: ProjectSession, recording_id: int, message: str, error: bool = False
    ) -> None:
        if session is not self.w.session:
            return
        self._refresh.stop()
        self._pending.discard(recording_id)
        session.notify_segments(recording_id)
        review = self.w.review
        shown = review.recording is not None and review.recording.id == recording_id
        if shown and review.current_segment() is None and self.w.segment_model.rowCount():
            self.w.transcript.select_row(0)  # ready to review from the first segment
        if error:
            self.w.show_status_error(message)
        else:
            self.w.statusBar().showMessage(message, 10000)


class _SegmentRelay(QObject):
    """Carries ``on_segment`` calls from the worker thread to the GUI (queued)."""

    segment = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.first_id: int | None = None

    def remember(self, seg) -> None:
        if self.first_id is None:
            self.first_id = seg.id
