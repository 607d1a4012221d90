"""A Jazba project: a portable folder ``<name>.jazba/``.

The folder holds ``project.sqlite`` (the database), ``audio/`` (the original
recordings, copied in) and ``cache/`` (16 kHz copies for the models and peak
pyramids for the waveform; derived data that can be rebuilt). All paths in the
database are relative to the folder, so it can be moved between machines.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from desktop_app import __version__
from desktop_app.core.errors import ProjectError
from desktop_app.core.store import database
from desktop_app.core.store.schema import ProjectMeta, Tier, utcnow

PROJECT_SUFFIX = ".jazba"
DB_NAME = "project.sqlite"
AUDIO_DIR = "audio"
CACHE_DIR = "cache"
DEFAULT_TIER = "transcription"


def project_path(path: str | os.PathLike[str]) -> Path:
    """The project folder for a user-given path (adds ``.jazba`` if missing)."""
    p = Path(path).expanduser()
    return p if p.suffix == PROJECT_SUFFIX else p.with_name(p.name + PROJECT_SUFFIX)


class Project:
    """An open project. Use :meth:`create` or :meth:`open`, then :meth:`unit`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db_path = path / DB_NAME
        self.engine = database.make_engine(self.db_path)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

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
        project._migrate()
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
    def open(cls, path: str | os.PathLike[str]) -> Project:
        folder = Path(path).expanduser()
        if not folder.exists() and project_path(folder).exists():
            folder = project_path(folder)
        db = folder / DB_NAME
        if not folder.is_dir():
            raise ProjectError(f"No project at '{folder}'.")
        if not db.is_file():
            raise ProjectError(f"'{folder}' is not a Jazba project: '{DB_NAME}' is missing.")
        rev = database.check_schema_known(db)  # refuses newer schemas, read-only
        if rev != database.head_revision() and not os.access(folder, os.W_OK):
            raise ProjectError(
                f"Project '{folder.name}' needs an update of its database but its folder "
                "is read-only. Copy it somewhere writable first."
            )
        for sub in (AUDIO_DIR, CACHE_DIR):
            (folder / sub).mkdir(exist_ok=True)
        project = cls(folder)
        project._migrate()
        return project

    def _migrate(self) -> None:
        database.enable_wal(self.engine)
        database.upgrade(self.engine)

    def close(self) -> None:
        """Checkpoint the WAL so the folder is self-contained, then release it."""
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            self.engine.dispose()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- units of work -----------------------------------------------------
    @contextmanager
    def unit(self) -> Iterator[Session]:
        """One transaction: committed on success, rolled back on any error."""
        with self._sessions.begin() as session:
            yield session

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
