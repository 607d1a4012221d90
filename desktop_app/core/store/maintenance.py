"""Database care: full checks, consistent online copies, and salvage of a damaged file.

Plain SQLite, no ORM: these work on databases that cannot be opened as a
project (damaged, or another process is writing to them).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from desktop_app.core.store import database

log = logging.getLogger(__name__)

BACKUP_PAGES_PER_STEP = 1024
FTS_SHADOW_SUFFIXES = ("_data", "_idx", "_docsize", "_config", "_content")


def integrity_check(db_path: Path, *, immutable: bool = False) -> list[str]:
    """``PRAGMA integrity_check``: the problems found (empty when sound)."""
    return database._check(db_path, "integrity_check", immutable)


def foreign_key_check(db_path: Path, *, immutable: bool = False) -> list[str]:
    """Rows pointing at rows that do not exist, as ``table row N -> parent``."""
    try:
        con = database.connect(db_path, "immutable" if immutable else "ro")
        try:
            rows = con.execute("PRAGMA foreign_key_check").fetchall()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    return [f"{t} row {rowid} points at a missing {parent} row" for t, rowid, parent, _ in rows]


def backup_database(
    src: Path,
    dest: Path,
    *,
    immutable: bool = False,
    on_progress: Callable[[float], None] | None = None,
) -> None:
    """Copy ``src`` to the new file ``dest`` with SQLite's online backup API.

    The copy is one consistent snapshot even while other processes write:
    the source is read inside one read transaction (in WAL mode writers carry
    on meanwhile, their later commits are simply not in the copy).
    """
    source = database.connect(src, "immutable" if immutable else "ro")
    target = sqlite3.connect(dest)
    try:
        source.execute("BEGIN")
        source.execute("SELECT count(*) FROM sqlite_master").fetchone()  # pins the snapshot

        def progress(_status: int, remaining: int, total: int) -> None:
            if on_progress is not None and total:
                on_progress(1.0 - remaining / total)

        source.backup(target, pages=BACKUP_PAGES_PER_STEP, progress=progress)
        source.rollback()
    finally:
        target.close()
        source.close()


@dataclass
class Salvage:
    """What :func:`salvage_database` got out of a damaged file."""

    rows: dict[str, int] = field(default_factory=dict)  # table -> rows copied
    damaged_tables: list[str] = field(default_factory=list)  # reading them hit damage
    problems: list[str] = field(default_factory=list)  # what could not be rebuilt


def _is_virtual(sql: str) -> bool:
    return sql.lstrip().upper().startswith("CREATE VIRTUAL")


def _schema(con: sqlite3.Connection) -> list[tuple[str, str, str, str]]:
    rows = con.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid"
    ).fetchall()
    virtual = {name for _, name, _, sql in rows if _is_virtual(sql)}
    shadows = {v + s for v in virtual for s in FTS_SHADOW_SUFFIXES}
    return [r for r in rows if r[1] not in shadows and not r[1].startswith("sqlite_")]


def _copy_rows(src: sqlite3.Connection, dst: sqlite3.Connection, table: str) -> tuple[int, bool]:
    """Copy a table's rows, reading past damage from both ends (as ``.dump`` does).
    Returns (rows copied, whether damage was met)."""
    cols = [r[1] for r in src.execute(f'PRAGMA table_info("{table}")')]
    names = ", ".join(f'"{c}"' for c in cols)
    marks = ", ".join("?" * (len(cols) + 1))
    insert = f'INSERT OR IGNORE INTO "{table}" (rowid, {names}) VALUES ({marks})'
    copied, damaged, last = 0, False, None
    for order in ("ASC", "DESC"):
        try:
            cur = src.execute(f'SELECT rowid, {names} FROM "{table}" ORDER BY rowid {order}')
            for row in cur:
                if order == "DESC" and last is not None and row[0] <= last:
                    break
                dst.execute(insert, row)
                copied += 1
                if order == "ASC":
                    last = row[0]
            else:
                if order == "ASC":
                    break  # read to the end: no need to come from the other side
        except sqlite3.DatabaseError as exc:
            damaged = True
            log.warning("salvage: reading %s (%s) stopped: %s", table, order, exc)
    return copied, damaged


def salvage_database(src: Path, dest: Path) -> Salvage:
    """Recover what can be read of ``src`` into the new file ``dest``: the schema,
    every readable row of every table, then indexes, the full-text index
    (rebuilt from the segments) and triggers. ``src`` is only read."""
    result = Salvage()
    source = database.connect(src, "ro")
    target = sqlite3.connect(dest, isolation_level=None)
    try:
        schema = _schema(source)
        for pragma in ("application_id", "user_version"):
            value = int(source.execute(f"PRAGMA {pragma}").fetchone()[0])
            target.execute(f"PRAGMA {pragma} = {value}")
        target.execute("BEGIN")
        tables = [(n, sql) for t, n, _, sql in schema if t == "table" and not _is_virtual(sql)]
        for name, sql in tables:
            target.execute(sql)
            copied, damaged = _copy_rows(source, target, name)
            result.rows[name] = copied
            if damaged:
                result.damaged_tables.append(name)
        rest = [r for r in schema if r[0] != "table" or _is_virtual(r[3])]
        rest.sort(key=lambda r: ("index", "table", "view", "trigger").index(r[0]))
        for type_, name, _, sql in rest:
            is_virtual = _is_virtual(sql)
            try:
                target.execute(sql)
                if is_virtual:
                    target.execute(f'INSERT INTO "{name}"("{name}") VALUES (\'rebuild\')')
            except sqlite3.DatabaseError as exc:  # e.g. a unique index over damaged rows
                result.problems.append(f"{type_} {name}: {exc}")
        target.execute("COMMIT")
    finally:
        target.close()
        source.close()
    return result
