"""Run the slow searches (a regular expression with no literal part scans every
segment: about 0.75 s over 100,000) off the GUI thread.

Each search gets a generation number; only the newest one's result is
delivered, and a queued search that a newer one overtook never starts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class _Task(QRunnable):
    def __init__(self, owner: SearchWorker, generation: int, fn: Callable[[], Any]) -> None:
        super().__init__()
        self.owner, self.generation, self.fn = owner, generation, fn

    def run(self) -> None:  # worker thread
        if self.generation != self.owner.latest:
            return  # overtaken before it started
        try:
            result: Any = self.fn()
        except Exception as exc:  # delivered to the GUI thread, shown there
            result = exc
        self.owner.finished.emit(self.generation, result)


class SearchWorker(QObject):
    """``finished(generation, hits or exception)``, queued to the GUI thread."""

    finished = Signal(int, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.latest = 0

    def next_generation(self) -> int:
        """A new search supersedes every earlier one (their results are dropped)."""
        self.latest += 1
        return self.latest

    def start(self, fn: Callable[[], Any]) -> int:
        generation = self.next_generation()
        self.pool.start(_Task(self, generation, fn))
        return generation

    def is_current(self, generation: int) -> bool:
        return generation == self.latest

    def wait(self, msecs: int = 5000) -> bool:
        return self.pool.waitForDone(msecs)
