"""Project-level commands of the main window: open, new, demo, close, import, transcribe.

Long ones (building the demo, importing audio, transcribing) run as jobs on
the window's :class:`~desktop_app.gui.workers.JobRunner`; the window stays
responsive and the Jobs panel shows their progress. Transcription has its own
module, :mod:`~desktop_app.gui.transcribe_ops`.
"""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_app.core.demo import default_demo_path, open_or_build_demo
from desktop_app.core.errors import JazbaError
from desktop_app.core.jobs import JobState
from desktop_app.core.project import Project, project_path
from desktop_app.core.services.recordings import RecordingMeta, RecordingService, import_label
from desktop_app.core.settings import save_settings
from desktop_app.gui.dialogs import common as dialogs
from desktop_app.gui.session import ProjectSession
from desktop_app.gui.transcribe_ops import TranscribeOps
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


def _same_folder(a: Path, b: Path) -> bool:
    """Whether the user-given ``b`` names the project folder ``a``."""
    try:
        return a.resolve() == project_path(b).resolve() or a.resolve() == b.resolve()
    except OSError:
        return False


class ProjectOps:
    def __init__(self, window: MainWindow) -> None:
        self.w = window
        self.transcriber = TranscribeOps(window)

    # -- open / new / close -------------------------------------------------------
    def open_project(self, path: str | Path) -> bool:
        """Open ``path`` in place of the open project. The new one is opened
        first: if that fails, the project that was open stays open."""
        session = self.w.session
        if session is not None and _same_folder(session.path, Path(path)):
            return True  # already open
        if not self._may_close(ask=True):
            return False
        try:
            project = Project.open(Path(path))
        except JazbaError as exc:
            dialogs.show_error(self.w, dialogs.user_message(exc))
            if not Path(path).exists():
                self.w.settings.remove_recent(path)
                self.w.welcome.set_recent(self.w.settings.recent_projects)
            return False
        except Exception as exc:  # a damaged database, a bug
            dialogs.show_error(self.w, dialogs.user_message(exc))
            return False
        return self._replace_with(project)

    def open_project_dialog(self) -> None:
        recent = self.w.settings.recent_projects
        start = Path(recent[0]).parent if recent else None
        path = dialogs.ask_project_to_open(self.w, start)
        if path is not None:
            self.open_project(path)

    def new_project(self) -> None:
        path = dialogs.ask_new_project(self.w)
        if path is None or not self._may_close(ask=True):
            return
        try:
            project = Project.create(path, name=project_path(path).stem)
        except JazbaError as exc:
            dialogs.show_error(self.w, dialogs.user_message(exc))
            return
        self._replace_with(project)

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

    def _replace_with(self, project: Project) -> bool:
        """Close the open project (its jobs were already confirmed) and show ``project``."""
        if not self.close_project(ask=False):
            project.close()  # a job would not stop: keep the one that was open
            return False
        self._show(project)
        return True

    def _may_close(self, ask: bool) -> bool:
        """Whether the open project may be closed: no jobs, or the user agrees
        to cancel them (``ask``). Nothing is closed or cancelled here."""
        if self.w.session is None or not self.w.runner.running() or not ask:
            return True
        return dialogs.confirm(
            self.w, "Jobs are still running on this project. Cancel them and close it?"
        )

    def close_project(self, ask: bool = True) -> bool:
        """Close the open project (after its jobs stop). False if the user said no."""
        session = self.w.session
        if session is None:
            return True
        if not self._may_close(ask):
            return False
        if self.w.runner.running() and not self.w.runner.shutdown(10_000):
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
        """Transcribe the shown recording (see :mod:`~desktop_app.gui.transcribe_ops`)."""
        return self.transcriber.transcribe_current()
