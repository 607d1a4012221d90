"""Exceptions a user can act on.

Every error raised on purpose by the core derives from :class:`JazbaError` and
carries a message written for the user (what failed, which file, what to do).
"""

from __future__ import annotations

from pathlib import Path


class JazbaError(Exception):
    """Base class for errors whose message is meant to be shown to a user."""


class Cancelled(JazbaError):
    """Raised inside a job when the user asked it to stop."""

    def __init__(self, message: str = "Cancelled by the user.") -> None:
        super().__init__(message)


class ProjectError(JazbaError):
    """A project folder cannot be created, opened or used."""


class SchemaTooNewError(ProjectError):
    """The project was written by a newer Jazba; we refuse to touch it."""


class ProjectBusyError(ProjectError):
    """Another process (or job) kept the project's database locked longer than we wait."""


class ProjectReadOnlyError(ProjectError):
    """The project is open read-only (read-only medium, damaged database): no edits."""


class NotFoundError(JazbaError):
    """A requested row (recording, segment, speaker…) does not exist."""


class EditError(JazbaError):
    """An edit is invalid (bad times, split outside the segment, …)."""


class AudioImportError(JazbaError):
    """An audio file cannot be read or imported."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"Cannot import '{self.path.name}': {reason}")


class StorageError(JazbaError):
    """Writing to disk failed (read-only folder, disk full, …)."""


class ModelError(JazbaError):
    """A speech model cannot be built, imported, verified or loaded."""


class InteropError(JazbaError):
    """An annotation file cannot be imported, or a dataset cannot be exported."""
