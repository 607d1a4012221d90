"""Writing an import's files all-or-nothing, with errors a user can act on."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import soundfile as sf

from desktop_app.core.errors import StorageError

_DISK_FULL = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})
_READ_ONLY = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})
_LOW_SPACE_BYTES = 1 << 20


def storage_message(folder: Path, what: str, exc: BaseException, verb: str = "write") -> str:
    """A sentence telling the user why ``what`` could not be written (or deleted) in ``folder``."""
    code = exc.errno if isinstance(exc, OSError) else None
    if code in _DISK_FULL or (code is None and _low_on_space(folder)):
        return f"The disk is full: cannot {verb} {what} in '{folder}'. Free some space and retry."
    if code in _READ_ONLY:
        return (
            f"Cannot {verb} {what} in '{folder}': the folder is read-only "
            "or you do not have permission to change it."
        )
    if code in (errno.ENOTDIR, errno.EEXIST):
        return f"Cannot {verb} {what}: '{folder}' is not a folder."
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return f"Cannot {verb} {what} in '{folder}': {detail or 'the operation failed'}."


def _low_on_space(folder: Path) -> bool:
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        return shutil.disk_usage(probe).free < _LOW_SPACE_BYTES
    except OSError:
        return False


@contextlib.contextmanager
def storage_errors(folder: Path, what: str) -> Iterator[None]:
    """Turn failures to write ``what`` into ``folder`` into :class:`StorageError`.

    libsndfile reports a failed write as its own error, or (for a short write)
    through soundfile's ``assert``; both are write failures here.
    """
    try:
        yield
    except (OSError, sf.SoundFileError, AssertionError) as exc:
        raise StorageError(storage_message(folder, what, exc)) from exc


def open_new_file(path: Path) -> BinaryIO:
    """Create ``path`` for writing; fail if it exists. (Tests replace this to fake a full disk.)"""
    return open(path, "xb")


def fsync_file(path: Path) -> None:
    """Flush ``path``'s data to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Best effort: make renames inside ``path`` durable (a no-op where unsupported)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class Workspace:
    """Tracks every folder and file one import creates, so a failure undoes them all."""

    def __init__(self) -> None:
        self._dirs: list[Path] = []
        self._files: list[Path] = []

    def make_dir(self, path: Path) -> Path:
        """Create ``path`` (and parents), remembering which ones are new."""
        missing: list[Path] = []
        probe = path
        while not probe.exists() and probe != probe.parent:
            missing.append(probe)
            probe = probe.parent
        with storage_errors(path, "the imported audio"):
            path.mkdir(parents=True, exist_ok=True)
            if not path.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, "Not a directory", str(path))
        self._dirs.extend(reversed(missing))
        return path

    def temp_path(self, folder: Path, suffix: str = "") -> Path:
        """A fresh hidden name in ``folder``, removed on rollback."""
        path = folder / f".{uuid.uuid4().hex}.part{suffix}"
        self._files.append(path)
        return path

    def track(self, path: Path) -> None:
        """Remove ``path`` too on rollback."""
        self._files.append(path)

    def rollback(self) -> None:
        """Delete every tracked file and every folder this import created (if empty)."""
        for path in reversed(self._files):
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
        for path in reversed(self._dirs):
            with contextlib.suppress(OSError):
                path.rmdir()
        self._files.clear()
        self._dirs.clear()
