"""A Jazba project: a portable folder ``<name>.jazba/``.

The folder holds ``project.sqlite`` (the database), ``audio/`` (the original
recordings, copied in) and ``cache/`` (16 kHz copies for the models and peak
pyramids for the waveform; derived data that can be rebuilt). All paths in the
database are relative to the folder, so it can be moved between machines.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from desktop_app import __version__
from desktop_app.core import project_open
from desktop_app.core.errors import (
    JazbaError,
    ProjectBusyError,
    ProjectError,
    ProjectReadOnlyError,
)
from desktop_app.core.project_open import OpenReport
from desktop_app.core.services.job_log import JobLog, is_stale
from desktop_app.core.store import database
from desktop_app.core.store.schema import ProjectMeta, Tier, utcnow

log = logging.getLogger(__name__)

PROJECT_SUFFIX = ".jazba"
DB_NAME = "project.sqlite"
AUDIO_DIR = "audio"
CACHE_DIR = "cache"
DEFAULT_TIER = "transcription"
WAIT_ENV = "JAZBA_BUSY_WAIT_S"
"""Seconds a write waits for another process's write to end (default 60)."""


def default_wait_s() -> float:
    try:
        return max(0.0, float(os.environ[WAIT_ENV]))
    except (KeyError, ValueError):
        return database.BUSY_TIMEOUT_MS / 1000


def project_path(path: str | os.PathLike[str]) -> Path:
    """The project folder for a user-given path (adds ``.jazba`` if missing)."""
    p = Path(path).expanduser()
    return p if p.suffix == PROJECT_SUFFIX else p.with_name(p.name + PROJECT_SUFFIX)


class Project:
    """An open project. Use :meth:`create` or :meth:`open`, then :meth:`unit`.

    A project opened read-only (a read-only medium, a damaged database, or on
    request) reads as usual and refuses every write with
    :class:`ProjectReadOnlyError`; :attr:`open_report` says why.
    """

    def __init__(
        self, path: Path, *, mode: str = "rwc", read_only_reason: str | None = None
    ) -> None:
        self.path = path
        self.db_path = path / DB_NAME
        self.read_only_reason = read_only_reason if mode != "rwc" else None
        self.read_only = mode != "rwc"
        self.wait_s = default_wait_s()
        self._local = threading.local()
        self.engine = database.make_engine(
            self.db_path, mode=mode, busy_timeout_ms=self._busy_timeout_ms
        )
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.open_report = OpenReport(read_only=self.read_only, read_only_reason=read_only_reason)

    # -- lifecycle ---------------------------------------------------------
    @classmethod
    def create(cls, path: str | os.PathLike[str], name: str | None = None) -> Project:
        folder = project_path(path)
        if folder.exists() and any(folder.iterdir()):
            raise ProjectError(
                f"Cannot create project: '{folder}' already exists and is not empty."
            )
        try:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / AUDIO_DIR).mkdir(exist_ok=True)
            (folder / CACHE_DIR).mkdir(exist_ok=True)
        except OSError as exc:
            raise ProjectError(f"Cannot create project folder '{folder}': {exc.strerror}.") from exc
        project = cls(folder)
        try:
            project._migrate()
        except BaseException:
            project.engine.dispose()
            raise
        with project.unit() as s:
            s.add_all(
                [
                    ProjectMeta(key="name", value=name or folder.stem),
                    ProjectMeta(key="created_at", value=utcnow().isoformat(timespec="seconds")),
                    ProjectMeta(key="created_by", value=f"Jazba {__version__}"),
                    Tier(name=DEFAULT_TIER, kind="transcription", position=0),
                ]
            )
        return project

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, read_only: bool = False) -> Project:
        """Open a project folder; see :mod:`desktop_app.core.project_open` for the
        checks and :attr:`open_report` for what they found and did."""
        folder = Path(path).expanduser()
        if not folder.exists() and project_path(folder).exists():
            folder = project_path(folder)
        db = folder / DB_NAME
        if not folder.is_dir():
            raise ProjectError(f"No project at '{folder}'.")
        if not db.is_file():
            raise ProjectError(f"'{folder}' is not a Jazba project: '{DB_NAME}' is missing.")
        plan = project_open.plan_open(folder, db, read_only=read_only)
        if not plan.read_only:
            for sub in (AUDIO_DIR, CACHE_DIR):
                (folder / sub).mkdir(exist_ok=True)
        project = cls(folder, mode=plan.mode, read_only_reason=plan.read_only_reason)
        try:
            if not plan.read_only:
                project._migrate()
            project.open_report = project_open.report_open(project, plan)
        except BaseException:
            project.engine.dispose()
            raise
        return project

    def _migrate(self) -> None:
        """Mark the file as Jazba's (first, so an interrupted creation is still
        recognised), switch to WAL and bring the schema up to date."""
        try:
            with self.waiting(project_open.OPEN_WAIT_S):
                database.stamp_application_id(self.engine)
            database.enable_wal(self.engine)
            database.upgrade(self.engine)
        except DBAPIError as exc:
            err = self._translate(exc)
            if err is None:
                raise
            raise err from exc

    def close(self) -> None:
        """Checkpoint the WAL so the folder is self-contained, then release it."""
        try:
            if not self.read_only:
                with self.waiting(1.0), self.engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        except DBAPIError:
            log.info("WAL not checkpointed on close (another process uses the project)")
        finally:
            self.engine.dispose()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- units of work -----------------------------------------------------
    @contextmanager
    def unit(self) -> Iterator[Session]:
        """One transaction: committed on success, rolled back on any error.

        A write waits for another process's write up to :meth:`waiting`'s
        time, then raises :class:`ProjectBusyError` naming what holds the
        project; a write to a read-only project raises
        :class:`ProjectReadOnlyError`.
        """
        try:
            with self._sessions.begin() as session:
                yield session
        except DBAPIError as exc:
            err = self._translate(exc)
            if err is None:
                raise
            raise err from exc

    @contextmanager
    def waiting(self, seconds: float) -> Iterator[None]:
        """Writes in this thread wait at most ``seconds`` for another writer."""
        before = getattr(self._local, "wait_s", None)
        self._local.wait_s = seconds
        try:
            yield
        finally:
            self._local.wait_s = before

    def set_thread_wait(self, seconds: float | None) -> None:
        """How long writes of the calling thread wait (None: :attr:`wait_s`).
        The GUI thread waits briefly, so the window never hangs for long."""
        self._local.wait_s = seconds

    def _busy_timeout_ms(self) -> int:
        wait = getattr(self._local, "wait_s", None)
        return round(1000 * (self.wait_s if wait is None else wait))

    def _translate(self, exc: DBAPIError) -> JazbaError | None:
        """The user's version of a database error (None: a bug, keep the original)."""
        code = database.sqlite_code(exc)
        if code in (database.SQLITE_BUSY, database.SQLITE_LOCKED):
            return ProjectBusyError(self.busy_message())
        if code == database.SQLITE_READONLY:
            return ProjectReadOnlyError(self.read_only_message())
        if code in (database.SQLITE_CORRUPT, database.SQLITE_NOTADB):
            return ProjectError(project_open.damaged_message(self.path, [str(exc.orig)]))
        return None

    def busy_message(self) -> str:
        """What holds the project, for a user who has to wait for it."""
        name = self.path.name
        jobs = []
        if not getattr(self._local, "explaining", False):  # reading may be busy too
            self._local.explaining = True
            try:
                with self.waiting(0.5):
                    jobs = [j for j in JobLog(self).running() if not is_stale(j)]
            except (JazbaError, DBAPIError):
                jobs = []
            finally:
                self._local.explaining = False
        if jobs:
            what = "; ".join(
                f"{j.describe()} in {j.process.describe() if j.process else 'another Jazba'}"
                for j in jobs
            )
            return f"The project '{name}' is busy with {what}. Try again when it finishes."
        return (
            f"The project '{name}' is busy: another Jazba process (or another program) is "
            "writing to it. Try again when it finishes."
        )

    def read_only_message(self) -> str:
        reason = self.read_only_reason or project_open.READ_ONLY_MEDIUM
        return (
            f"{reason} To edit it, save a copy to a writable folder "
            f"(Project ▸ Save a copy…, or 'jazba project backup') and open the copy."
        )

    # -- paths and facts ---------------------------------------------------
    def abspath(self, relative: str) -> Path:
        return self.path / relative

    def relpath(self, absolute: Path) -> str:
        return absolute.relative_to(self.path).as_posix()

    @property
    def name(self) -> str:
        return self.meta().get("name", self.path.stem)

    def meta(self) -> dict[str, str]:
        with self.unit() as s:
            return {m.key: m.value for m in s.scalars(select(ProjectMeta))}

    def set_meta(self, key: str, value: str) -> None:
        with self.unit() as s:
            s.merge(ProjectMeta(key=key, value=value))
