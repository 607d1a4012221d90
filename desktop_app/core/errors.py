"""Exceptions a user can act on.

Every error raised on purpose by the core derives from :class:`JazbaError` and
carries a message written for the user (what failed, which file, what to do).

The core is shared by the command line and the desktop app, which do things
differently ("run 'jazba models install-default'" against a button in the
Settings). So the message itself names no command, flag or menu: what to do
is a :class:`Fix` that each front end words, with the command-line wording
given as ``cli`` (``str(error)`` is the command-line text, as the CLI and the
log show it; the GUI words the fix with its own menu paths).
"""

from __future__ import annotations

import enum
from pathlib import Path


class Fix(enum.Enum):
    """What the user can do about an error, for each front end to word."""

    INSTALL_SPEECH_MODEL = "install_speech_model"
    ADD_INT8 = "add_int8"
    LEARN_UNIT_LM = "learn_unit_lm"
    CHOOSE_RECORDING = "choose_recording"
    IMPORT_AUDIO_OR_CHOOSE_RECORDING = "import_audio_or_choose_recording"


class JazbaError(Exception):
    """Base class for errors whose message is meant to be shown to a user.

    ``message`` is front-end neutral; ``fix`` says what to do, ``cli`` how on
    the command line (appended in ``str()``; a front end with its own wording
    of ``fix`` shows ``message`` and that instead).
    """

    def __init__(self, message: str = "", *, fix: Fix | None = None, cli: str = "") -> None:
        self.message = message
        self.fix = fix
        self.cli = cli
        super().__init__(f"{message} {cli}" if cli else message)


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
