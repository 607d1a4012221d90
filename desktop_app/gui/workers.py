"""Run plain job functions ``fn(state)`` in worker threads, GUI-safe.

A job function is the same one the CLI and tests call: it takes a
:class:`~desktop_app.core.jobs.JobState`, reports progress through it, calls
``state.check()`` (which raises :class:`~desktop_app.core.errors.Cancelled`) and
returns a result, or yields items one by one (e.g. segments as they are
decoded) which reach the GUI as they come.

Everything the worker thread reports crosses into the GUI thread through
queued signals of a small bridge object; :class:`Job` (living in the GUI
thread) keeps the latest state for views and computes the ETA. Progress is
throttled by the :class:`JobState` (at most ~10 updates a second); a status
text the throttle held back (e.g. "Transcribing…" right after "Loading the
model…", before a long silent step) is picked up by the runner's poll of the
running jobs' states, so a view never shows a stale status for long.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal, Slot

from desktop_app.core.errors import Cancelled, JazbaError
from desktop_app.core.jobs import JobState
from desktop_app.gui.error_text import gui_text

log = logging.getLogger(__name__)

#: How often the runner reads the running jobs' states (for held-back status texts).
POLL_MS = 250

JobFunction = Callable[[JobState], Any]


class JobStatus(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED)


class _Bridge(QObject):
    """Signals emitted from the worker thread; delivered queued to the :class:`Job`."""

    started = Signal()
    progress = Signal(float, str)
    item = Signal(object)
    done = Signal(object)
    error = Signal(str)
    cancelled = Signal()


class _Runnable(QRunnable):
    def __init__(self, fn: JobFunction, state: JobState, bridge: _Bridge, title: str) -> None:
        super().__init__()
        self.fn, self.state, self.bridge, self.title = fn, state, bridge, title

    def run(self) -> None:  # worker thread
        bridge = self.bridge
        try:
            self.state.check()
            bridge.started.emit()
            result = self.fn(self.state)
            if isinstance(result, Iterator):
                items = []
                for item in result:
                    self.state.check()
                    items.append(item)
                    bridge.item.emit(item)
                result = items
            self.state.check()
        except Cancelled:
            bridge.cancelled.emit()
        except JazbaError as exc:
            log.info("job '%s' failed: %s", self.title, exc, exc_info=True)
            bridge.error.emit(gui_text(exc))
        except Exception as exc:  # a bug: keep the traceback, tell the user briefly
            log.exception("job '%s' crashed", self.title)
            bridge.error.emit(f"Unexpected error in '{self.title}': {exc}. Details are in the log.")
        else:
            bridge.done.emit(result)


class Job(QObject):
    """One run of a job function, as seen from the GUI thread."""

    changed = Signal()  # progress, status or state changed
    item = Signal(object)  # an item yielded by a generator job
    finished = Signal(object)  # the result, on success
    failed = Signal(str)  # a message for the user
    cancelled = Signal()
    ended = Signal()  # after finished, failed or cancelled

    def __init__(
        self,
        title: str,
        fn: JobFunction,
        parent: QObject | None = None,
        summary: Callable[[Any], str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.title = title
        #: Turns the result into the final status line (default "Done").
        self.summary = summary
        self.status = JobStatus.QUEUED
        self.progress = 0.0
        self.message = "Waiting…"
        self.error: str | None = None
        self.result: Any = None
        self.started_at: float | None = None
        self.ended_at: float | None = None
        self._bridge = _Bridge()
        conn = Qt.ConnectionType.QueuedConnection
        self._bridge.started.connect(self._on_started, conn)
        self._bridge.progress.connect(self._on_progress, conn)
        self._bridge.item.connect(self._on_item, conn)
        self._bridge.done.connect(self._on_done, conn)
        self._bridge.error.connect(self._on_error, conn)
        self._bridge.cancelled.connect(self._on_cancelled, conn)
        self.state = JobState(on_progress=self._bridge.progress.emit, min_interval=0.1)
        self.runnable = _Runnable(fn, self.state, self._bridge, title)
        self.runnable.setAutoDelete(False)

    # -- user actions ------------------------------------------------------
    def cancel(self) -> None:
        if not self.status.finished:
            self.state.cancel()
            self.message = "Cancelling…"
            self.changed.emit()

    # -- facts for views ---------------------------------------------------
    def elapsed_s(self) -> float:
        if self.started_at is None:
            return 0.0
        return (self.ended_at or time.monotonic()) - self.started_at

    def eta_s(self) -> float | None:
        """Seconds left, extrapolated from progress so far (None if unknown)."""
        if self.status is not JobStatus.RUNNING or self.progress < 0.01:
            return None
        elapsed = self.elapsed_s()
        if elapsed < 0.5:
            return None
        return elapsed * (1.0 - self.progress) / self.progress

    def sync_from_state(self) -> None:
        """Show the state's latest status and progress, which the throttle may
        have held back (the worker thread writes them; reading is safe)."""
        if self.status is not JobStatus.RUNNING or self.state.cancelled:
            return
        status, fraction = self.state.status, self.state.progress
        if (status and status != self.message) or fraction > self.progress:
            self.message = status or self.message
            self.progress = max(self.progress, fraction)
            self.changed.emit()

    # -- from the worker (queued, GUI thread) ------------------------------
    @Slot()
    def _on_started(self) -> None:
        self.status = JobStatus.RUNNING
        self.started_at = time.monotonic()
        self.message = "Running…"
        self.changed.emit()

    @Slot(float, str)
    def _on_progress(self, fraction: float, message: str) -> None:
        if self.status.finished:
            return
        self.progress = fraction
        if message:
            self.message = message
        self.changed.emit()

    @Slot(object)
    def _on_item(self, item: object) -> None:
        self.item.emit(item)

    @Slot(object)
    def _on_done(self, result: object) -> None:
        message = "Done"
        if self.summary is not None:
            try:
                message = self.summary(result) or message
            except Exception:  # a bug in the summary must not lose the result
                log.exception("summary of job '%s' failed", self.title)
        self._end(JobStatus.DONE, message)
        self.progress = 1.0
        self.result = result
        self.finished.emit(result)
        self.ended.emit()

    @Slot(str)
    def _on_error(self, message: str) -> None:
        self.error = message
        self._end(JobStatus.FAILED, message)
        self.failed.emit(message)
        self.ended.emit()

    @Slot()
    def _on_cancelled(self) -> None:
        self._end(JobStatus.CANCELLED, "Cancelled")
        self.cancelled.emit()
        self.ended.emit()

    def _end(self, status: JobStatus, message: str) -> None:
        self.status = status
        self.message = message
        self.ended_at = time.monotonic()
        if self.started_at is None:
            self.started_at = self.ended_at
        self.changed.emit()


class JobRunner(QObject):
    """Starts jobs on a thread pool and keeps the list the Jobs panel shows."""

    job_added = Signal(object)  # Job
    job_ended = Signal(object)  # Job

    def __init__(self, max_threads: int = 2, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self.jobs: list[Job] = []
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._sync_running)

    def start(
        self, title: str, fn: JobFunction, summary: Callable[[Any], str] | None = None
    ) -> Job:
        """Run ``fn(state)``; ``summary(result)`` becomes the final status if given."""
        job = Job(title, fn, self, summary)
        job.ended.connect(lambda: self.job_ended.emit(job))
        self.jobs.append(job)
        self.job_added.emit(job)
        self.pool.start(job.runnable)
        self._poll.start()
        return job

    def _sync_running(self) -> None:
        running = self.running()
        for job in running:
            job.sync_from_state()
        if not running:
            self._poll.stop()

    def running(self) -> list[Job]:
        return [j for j in self.jobs if not j.status.finished]

    def clear_finished(self) -> None:
        self.jobs = [j for j in self.jobs if not j.status.finished]

    def cancel_all(self) -> None:
        for job in self.running():
            job.cancel()

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Cancel everything and wait for the workers (on quit)."""
        self.cancel_all()
        return self.pool.waitForDone(timeout_ms)
