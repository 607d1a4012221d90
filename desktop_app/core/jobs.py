"""Job state shared by the GUI, the CLI and tests.

A long-running job is a plain function ``run(..., state: JobState)``. It reports
progress through the state and calls :meth:`JobState.check` at safe points; when
the user cancels, ``check`` raises :class:`~desktop_app.core.errors.Cancelled`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from desktop_app.core.errors import Cancelled

ProgressCallback = Callable[[float, str], None]


class Progress(Protocol):
    """What a job function needs from its state: report progress, honour cancel."""

    @property
    def cancelled(self) -> bool: ...

    def check(self) -> None: ...

    def set_status(self, text: str) -> None: ...

    def set_progress(self, fraction: float, status: str | None = None) -> None: ...


@dataclass
class JobState:
    """Progress, status text and a cancel flag for one running job.

    ``on_progress`` receives ``(fraction 0..1, status text)``; calls are
    throttled to at most one every ``min_interval`` seconds, except the final
    ``1.0`` which always goes through.
    """

    on_progress: ProgressCallback | None = None
    min_interval: float = 0.1
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    _last_emit: float = field(default=0.0, repr=False)
    progress: float = 0.0
    status: str = ""

    def cancel(self) -> None:
        """Ask the job to stop at its next check."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` if cancellation was requested."""
        if self._cancel.is_set():
            raise Cancelled()

    def set_status(self, text: str) -> None:
        self.status = text
        self._emit(force=True)

    def set_progress(self, fraction: float, status: str | None = None) -> None:
        """Record progress (clamped to 0..1) and check for cancellation."""
        self.progress = min(1.0, max(0.0, fraction))
        if status is not None:
            self.status = status
        self._emit(force=self.progress >= 1.0)
        self.check()

    def sub(self, start: float, end: float) -> SubState:
        """A state whose 0..1 maps onto ``[start, end]`` of this one."""
        return SubState(self, start, end)

    def _emit(self, force: bool) -> None:
        if self.on_progress is None:
            return
        now = time.monotonic()
        if force or now - self._last_emit >= self.min_interval:
            self._last_emit = now
            self.on_progress(self.progress, self.status)


@dataclass
class SubState:
    """A view of a parent :class:`JobState` covering ``[start, end]`` of its range."""

    parent: Progress
    start: float
    end: float

    @property
    def cancelled(self) -> bool:
        return self.parent.cancelled

    def check(self) -> None:
        self.parent.check()

    def set_status(self, text: str) -> None:
        self.parent.set_status(text)

    def set_progress(self, fraction: float, status: str | None = None) -> None:
        span = self.end - self.start
        self.parent.set_progress(self.start + span * min(1.0, max(0.0, fraction)), status)

    def sub(self, start: float, end: float) -> SubState:
        span = self.end - self.start
        return SubState(self.parent, self.start + span * start, self.start + span * end)
