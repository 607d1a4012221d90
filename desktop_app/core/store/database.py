"""Engine set-up (WAL, foreign keys, busy timeout) and schema migrations.

A project database is always brought to the newest schema this Jazba knows
when it is opened. A database whose schema revision we do not know was written
by a newer Jazba: it is refused before anything is written to it.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.pool import NullPool

from desktop_app.core.errors import ProjectError, SchemaTooNewError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_MS = 10_000


def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.close()


def make_engine(db_path: Path, *, read_only: bool = False) -> Engine:
    """An engine for one project database file.

    Each connection gets foreign keys and a busy timeout. ``NullPool`` keeps
    connections per unit of work, so no connection is ever shared by threads.
    """
    if read_only:
        url = f"sqlite:///file:{db_path.as_posix()}?mode=ro&uri=true"
    else:
        url = f"sqlite:///{db_path.as_posix()}"
    engine = create_engine(url, poolclass=NullPool, connect_args={"check_same_thread": False})
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


def check_schema_known(db_path: Path) -> str | None:
    """Return the schema revision of an existing database, refusing unknown ones.

    Opens the file read-only, so a refused project is never modified.
    """
    engine = make_engine(db_path, read_only=True)
    try:
        rev = current_revision(engine)
    except DatabaseError as exc:
        raise ProjectError(
            f"'{db_path}' is not a readable Jazba project database ({exc.orig})."
        ) from exc
    finally:
        engine.dispose()
    if rev is None:
        return None
    script = ScriptDirectory.from_config(alembic_config())
    known = {s.revision for s in script.walk_revisions()}
    if rev not in known:
        raise SchemaTooNewError(
            f"This project was saved by a newer version of Jazba (schema '{rev}'). "
            "Update Jazba to open it; the project was not modified."
        )
    return rev


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest schema (in one transaction per step)."""
    try:
        command.upgrade(alembic_config(engine), "head")
    except OperationalError as exc:
        raise ProjectError(f"Cannot update the project database: {exc.orig}") from exc


def enable_wal(engine: Engine) -> None:
    with engine.connect() as conn:
        mode = conn.exec_driver_sql("PRAGMA journal_mode = WAL").scalar()
        if str(mode).lower() != "wal":
            log.warning("SQLite refused WAL mode (got %s); continuing in %s mode", mode, mode)
