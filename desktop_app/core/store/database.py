"""Engine set-up (WAL, foreign keys, busy timeout), identity and schema migrations.

A project database is always brought to the newest schema this Jazba knows
when it is opened. A database whose schema revision we do not know was written
by a newer Jazba: it is refused before anything is written to it. So is a file
that is not a Jazba database at all (empty, another program's SQLite file):
:func:`identify` reads it without writing, and only a database that carries
Jazba's application id, or Jazba's tables, is ever migrated.

Transactions: the driver begins a transaction at the first statement that
writes, and a writer waits for another writer's lock up to the connection's
busy timeout (see :meth:`desktop_app.core.project.Project.waiting`).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from desktop_app.core.errors import ProjectError, SchemaTooNewError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_MS = 60_000
"""How long a write waits for another writer (another process, another job)."""
APPLICATION_ID = 0x4A415A42  # "JAZB" in the database header (PRAGMA application_id)
SQLITE_HEADER = b"SQLite format 3\x00"
JAZBA_TABLES = frozenset({"project_meta", "alembic_version", "recordings", "segments"})

# Primary SQLite result codes (``sqlite3.Error.sqlite_errorcode & 0xFF``).
SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_CORRUPT, SQLITE_NOTADB = 5, 6, 8, 11, 26


def sqlite_code(exc: BaseException) -> int | None:
    """The primary SQLite result code behind ``exc`` (a driver or SQLAlchemy error)."""
    orig = getattr(exc, "orig", exc)
    code = getattr(orig, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def _uri(db_path: Path, mode: str) -> str:
    """``file:`` URI of a database; ``mode`` ``ro`` or ``immutable`` (read-only medium)."""
    path = db_path.absolute().as_posix()
    path = quote(path if path.startswith("/") else "/" + path, safe="/:")  # /C:/… on Windows
    return f"file:{path}?mode=ro&immutable=1" if mode == "immutable" else f"file:{path}?mode={mode}"


def connect(db_path: Path, mode: str = "rwc", timeout_s: float = 5.0) -> sqlite3.Connection:
    """A plain driver connection (``mode``: ``rwc``, ``rw``, ``ro`` or ``immutable``)."""
    return sqlite3.connect(
        _uri(db_path, mode), uri=True, timeout=timeout_s, check_same_thread=False
    )


def make_engine(
    db_path: Path,
    *,
    mode: str = "rwc",
    busy_timeout_ms: Callable[[], int] | None = None,
) -> Engine:
    """An engine for one project database file.

    ``mode`` ``ro`` opens it read-only, ``immutable`` also tells SQLite that
    nothing can change the file (a read-only medium: no lock or ``-shm`` file is
    created). Each connection gets foreign keys and a busy timeout (asked of
    ``busy_timeout_ms`` when the connection opens, so it can differ per thread).
    ``NullPool`` keeps connections per unit of work, so no connection is ever
    shared by threads.
    """
    wait = busy_timeout_ms or (lambda: BUSY_TIMEOUT_MS)

    def _connect() -> sqlite3.Connection:
        return connect(db_path, mode, wait() / 1000)

    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute(f"PRAGMA busy_timeout = {int(wait())}")
        if mode not in ("ro", "immutable"):
            cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    engine = create_engine("sqlite://", creator=_connect, poolclass=NullPool)
    event.listen(engine, "connect", _on_connect)
    return engine


def alembic_config(engine: Engine | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migrations found"
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@dataclass(frozen=True)
class Identity:
    """What a database file is, read without writing to it."""

    application_id: int
    tables: frozenset[str]
    revision: str | None


def identify(db_path: Path, *, immutable: bool = False) -> Identity:
    """Read a database's application id, tables and schema revision.

    Refuses (:class:`ProjectError`, nothing written) what is not a Jazba
    project database: an empty file, a file that is not SQLite, another
    program's SQLite database; and (:class:`SchemaTooNewError`) a schema
    written by a newer Jazba.
    """
    name = db_path.name
    try:
        with db_path.open("rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise ProjectError(f"Cannot read '{db_path}': {exc.strerror}.") from exc
    if not head:
        raise ProjectError(
            f"'{db_path}' is empty (0 bytes): this is not a Jazba project, or its database was "
            "lost (an interrupted copy?). Nothing was changed. Restore the folder from a backup "
            "or from the place it was copied from."
        )
    if head != SQLITE_HEADER:
        raise ProjectError(
            f"'{db_path}' is not a readable Jazba project database (it is not an SQLite "
            "file). Nothing was changed."
        )
    try:
        con = connect(db_path, "immutable" if immutable else "ro")
        try:
            app_id = con.execute("PRAGMA application_id").fetchone()[0]
            tables = frozenset(
                r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            )
            rev = None
            if "alembic_version" in tables:
                row = con.execute("SELECT version_num FROM alembic_version").fetchone()
                rev = row[0] if row else None
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise ProjectError(
            f"'{db_path}' is not a readable Jazba project database ({exc}). Nothing was changed.",
            cli="'jazba project check' tells more.",
        ) from exc
    if app_id not in (0, APPLICATION_ID):
        raise ProjectError(
            f"'{db_path}' is another program's database (application id {app_id:#x}), "
            f"not a Jazba project. Nothing was changed."
        )
    if app_id == 0 and not JAZBA_TABLES.issubset(tables):
        what = "an empty SQLite database" if not tables else "an SQLite database of another program"
        raise ProjectError(
            f"'{name}' in '{db_path.parent}' is {what} (no Jazba tables), not a Jazba "
            "project. Nothing was changed: Jazba adds its tables only to projects it created."
        )
    if rev is not None:
        known = {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
        if rev not in known:
            raise SchemaTooNewError(
                f"This project was saved by a newer version of Jazba (schema '{rev}'). "
                "Update Jazba to open it; the project was not modified."
            )
    return Identity(app_id, tables, rev)


def quick_check(db_path: Path, *, immutable: bool = False) -> list[str]:
    """``PRAGMA quick_check``: the problems found (empty when the file is sound)."""
    return _check(db_path, "quick_check", immutable)


def _check(db_path: Path, pragma: str, immutable: bool = False) -> list[str]:
    try:
        con = connect(db_path, "immutable" if immutable else "ro")
        try:
            rows = [str(r[0]) for r in con.execute(f"PRAGMA {pragma}")]
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    return [] if rows == ["ok"] else rows


_ALEMBIC = threading.Lock()
"""Alembic's command API keeps its running context in module globals: two
threads migrating at once (two projects opened together) trip over each other."""


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest schema (in one transaction per step)."""
    try:
        if current_revision(engine) == head_revision():
            return  # the usual case: nothing to do, and no alembic run to serialise
        with _ALEMBIC:
            command.upgrade(alembic_config(engine), "head")
    except OperationalError as exc:
        if sqlite_code(exc) in (SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY):
            raise  # the project says what holds it, or that it is read-only
        raise ProjectError(f"Cannot update the project database: {exc.orig}") from exc


def stamp_application_id(engine: Engine) -> None:
    """Mark the file as Jazba's (older projects were created without the mark).
    Best effort: while another process writes, the mark waits for a later open."""
    with engine.connect() as conn:
        if conn.exec_driver_sql("PRAGMA application_id").scalar() == APPLICATION_ID:
            return
        try:
            conn.exec_driver_sql(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.commit()
        except OperationalError as exc:
            if sqlite_code(exc) not in (SQLITE_BUSY, SQLITE_LOCKED):
                raise
            log.info("application id not written now: the database is busy")


def enable_wal(engine: Engine) -> None:
    with engine.connect() as conn:
        mode = conn.exec_driver_sql("PRAGMA journal_mode = WAL").scalar()
        if str(mode).lower() != "wal":
            log.warning("SQLite refused WAL mode (got %s); continuing in %s mode", mode, mode)
