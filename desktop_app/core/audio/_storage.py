"""Writing an import's files all-or-nothing, with errors a user can act on.

An import writes under hidden partial names, ``.<import id>-<n>.part<suffix>``
in the project's ``audio/`` and ``cache/`` folders, while it holds
``audio/.<import id>.lock`` (an advisory lock; on Windows, the open file itself,
which no one can delete). A process killed half-way leaves its partial files
behind: :func:`clean_partial_files` finds and removes those whose import no
longer runs. Final names are reserved with an exclusive create
(:func:`reserve`), so two processes never pick the same one.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import shutil
import stat
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import soundfile as sf

from desktop_app.core.errors import StorageError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

AUDIO_DIR = "audio"
CACHE_DIR = "cache"
"""The project folders an import writes into."""

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
        self.id = uuid.uuid4().hex
        self._dirs: list[Path] = []
        self._files: list[Path] = []
        self._temps = 0
        self._lock: _ImportLock | None = None

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

    def hold_lock(self, folder: Path) -> None:
        """Mark this import as running (see :func:`clean_partial_files`); call
        before the first :meth:`temp_path`, with the project's ``audio/`` folder."""
        with storage_errors(folder, "the imported audio"):
            self._lock = _ImportLock.acquire(folder / f".{self.id}{_LOCK_SUFFIX}")

    def temp_path(self, folder: Path, suffix: str = "") -> Path:
        """A fresh hidden name in ``folder``, removed on rollback."""
        self._temps += 1
        path = folder / f".{self.id}-{self._temps}{_PART}{suffix}"
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
        self.release()
        for path in reversed(self._dirs):
            with contextlib.suppress(OSError):
                path.rmdir()
        self._files.clear()
        self._dirs.clear()

    def release(self) -> None:
        """The import is over (committed or rolled back): drop its lock."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None


def reserve(paths: Sequence[Path]) -> bool:
    """Create every one of ``paths`` as an empty file, or none of them.

    False if one already exists (someone else's, never touched); the exclusive
    create makes the check and the claim one step, between processes too.
    """
    made: list[Path] = []
    try:
        for path in paths:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            made.append(path)
    except FileExistsError:
        _unlink_quietly(made)
        return False
    except BaseException:
        _unlink_quietly(made)
        raise
    return True


def _unlink_quietly(paths: Sequence[Path]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


# -- leftovers of imports that were killed -------------------------------------------

_PART = ".part"
_LOCK_SUFFIX = ".lock"
_PARTIAL_NAME = re.compile(r"\.(?P<id>[0-9a-f]{32})(?:-\d+)?\.part(?:\..*)?", re.DOTALL)
_LOCK_NAME = re.compile(r"\.(?P<id>[0-9a-f]{32})\.lock")


@dataclass(frozen=True, slots=True)
class Leftover:
    """A partial file an interrupted import left behind, and its size in bytes."""

    path: Path
    size: int


def clean_partial_files(project_folder: str | os.PathLike[str]) -> list[Leftover]:
    """Remove the partial files of imports that were killed, in one project.

    Looks only at Jazba's own partial names (``.<32 hex digits>[-<n>].part…``,
    regular files, no links) directly inside the project's ``audio/`` and
    ``cache/`` folders, and leaves alone those of an import still running in
    another process. Returns what was removed (lock files, which are empty,
    are removed too but not listed). A file that cannot be removed is logged
    and skipped: cleaning never stops a project from opening.
    """
    folder = Path(project_folder)
    audio_dir = folder / AUDIO_DIR
    parts: dict[str, list[tuple[Path, int]]] = {}
    for sub in (audio_dir, folder / CACHE_DIR):
        for path, size, import_id in _partial_files(sub):
            parts.setdefault(import_id, []).append((path, size))
    locks = {m["id"] for m in _matching(audio_dir, _LOCK_NAME)}
    removed: list[Leftover] = []
    for import_id in sorted(parts.keys() | locks):
        lock = audio_dir / f".{import_id}{_LOCK_SUFFIX}"
        claim = _ImportLock.claim_if_dead(lock)
        if claim is None:
            log.debug("import %s is still running; its partial files stay", import_id)
            continue
        try:
            for path, size in parts.get(import_id, []):
                try:
                    path.unlink()
                except FileNotFoundError:  # that import just finished after all
                    continue
                except OSError as exc:
                    log.warning("cannot remove the leftover %s: %s", path, exc)
                    continue
                log.info("removed %s (%d bytes) left by an interrupted import", path, size)
                removed.append(Leftover(path, size))
        finally:
            claim.release()
    return removed


def _matching(folder: Path, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if match := pattern.fullmatch(name):
            yield match


def _partial_files(folder: Path) -> Iterator[tuple[Path, int, str]]:
    for match in _matching(folder, _PARTIAL_NAME):
        path = folder / match.string
        try:
            st = path.lstat()
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode):
            yield path, st.st_size, match["id"]


class _ImportLock:
    """``.<import id>.lock``: held by a running import, free once its process is gone."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd = fd

    @classmethod
    def acquire(cls, path: Path) -> _ImportLock:
        """Create and hold the lock of a new import."""
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            if fcntl is None:
                return cls(path, fd)
            fcntl.flock(fd, fcntl.LOCK_EX)  # waits while a cleaner looks at it
            if os.fstat(fd).st_nlink:
                return cls(path, fd)
            os.close(fd)  # a cleaner took it for a dead import's and removed it

    @classmethod
    def claim_if_dead(cls, path: Path) -> _ImportLock | None:
        """Hold ``path`` if no running import does (it may not exist); else None."""
        if fcntl is None:
            # Windows: the running import holds the file open, so it cannot be deleted.
            try:
                path.unlink(missing_ok=True)
            except PermissionError:
                return None
            return cls(path, -1)
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            return cls(path, -1)
        except OSError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return None
        return cls(path, fd)

    def release(self) -> None:
        """Remove the lock file, then let go of it."""
        with contextlib.suppress(OSError):
            self.path.unlink(missing_ok=True)
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
