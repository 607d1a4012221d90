"""Project folders, the database set-up and migrations."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from desktop_app.core.errors import ProjectError, SchemaTooNewError
from desktop_app.core.project import DB_NAME, Project
from desktop_app.core.store import database
from desktop_app.core.store.schema import Base


def test_create_makes_portable_folder(tmp_path: Path) -> None:
    with Project.create(tmp_path / "field", name="Field trip") as p:
        assert p.path == tmp_path / "field.jazba"
        assert (p.path / DB_NAME).is_file()
        assert (p.path / "audio").is_dir() and (p.path / "cache").is_dir()
        assert p.name == "Field trip"


def test_pragmas_wal_foreign_keys_busy_timeout(project: Project) -> None:
    with project.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == database.BUSY_TIMEOUT_MS


def test_create_refuses_non_empty_folder(tmp_path: Path) -> None:
    target = tmp_path / "x.jazba"
    target.mkdir()
    (target / "something.txt").write_text("keep me")
    with pytest.raises(ProjectError, match="already exists"):
        Project.create(target)
    assert (target / "something.txt").read_text() == "keep me"


def test_open_missing_and_non_project(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="No project"):
        Project.open(tmp_path / "nothing.jazba")
    (tmp_path / "plain").mkdir()
    with pytest.raises(ProjectError, match="not a Jazba project"):
        Project.open(tmp_path / "plain")


def test_open_corrupt_database(tmp_path: Path) -> None:
    folder = tmp_path / "bad.jazba"
    folder.mkdir()
    (folder / DB_NAME).write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(ProjectError, match="not a readable Jazba project"):
        Project.open(folder)


def test_reopen_after_move_keeps_data(tmp_path: Path) -> None:
    with Project.create(tmp_path / "a") as p:
        p.set_meta("place", "Алматы")
    moved = tmp_path / "elsewhere" / "b.jazba"
    moved.parent.mkdir()
    (tmp_path / "a.jazba").rename(moved)
    with Project.open(moved) as p:
        assert p.meta()["place"] == "Алматы"


def test_close_checkpoints_wal(tmp_path: Path) -> None:
    with Project.create(tmp_path / "w") as p:
        p.set_meta("k", "v" * 10_000)
    wal = tmp_path / "w.jazba" / (DB_NAME + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0


def test_newer_schema_refused_and_untouched(tmp_path: Path) -> None:
    with Project.create(tmp_path / "future") as p:
        db = p.db_path
    con = sqlite3.connect(db)
    con.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    con.commit()
    con.close()
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    mtime = db.stat().st_mtime_ns
    with pytest.raises(SchemaTooNewError, match="newer version of Jazba"):
        Project.open(db.parent)
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest
    assert db.stat().st_mtime_ns == mtime


def test_migrations_match_the_orm(project: Project) -> None:
    """The migration scripts build exactly the schema the ORM describes."""
    assert database.current_revision(project.engine) == database.head_revision()
    with project.engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn,
            opts={
                "include_object": lambda o, name, type_, r, c: (
                    not (type_ == "table" and str(name).startswith("segments_fts"))
                )
            },
        )
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_unmigrated_database_is_upgraded_on_open(tmp_path: Path) -> None:
    """A database Jazba marked as its own but gave no schema yet (an interrupted
    creation) is upgraded; an unmarked one without Jazba's tables is refused
    (see tests/core/test_open_refusals.py)."""
    folder = tmp_path / "half.jazba"
    folder.mkdir()
    con = sqlite3.connect(folder / DB_NAME)
    con.execute(f"PRAGMA application_id = {database.APPLICATION_ID}")
    con.close()
    with Project.open(folder) as p:
        assert database.current_revision(p.engine) == database.head_revision()


def test_downgrade_then_upgrade_round_trip(project: Project) -> None:
    from alembic import command

    cfg = database.alembic_config(project.engine)
    command.downgrade(cfg, "base")
    assert database.current_revision(project.engine) is None
    command.upgrade(cfg, "head")
    assert database.current_revision(project.engine) == database.head_revision()


def test_two_threads_open_projects_at_once(tmp_path: Path) -> None:
    """Alembic keeps its context in module globals: opening (and migrating) two
    projects in two threads at once must not make either fail."""
    import shutil
    import threading

    Project.create(tmp_path / "a").close()
    shutil.copytree(tmp_path / "a.jazba", tmp_path / "b.jazba")
    with Project.open(tmp_path / "b.jazba") as b:  # b needs its migrations again
        from alembic import command

        command.downgrade(database.alembic_config(b.engine), "0001")
    errors: list[str] = []

    def open_many(name: str) -> None:
        for _ in range(15):
            try:
                Project.open(tmp_path / name).close()
            except Exception as exc:
                errors.append(repr(exc))

    threads = [threading.Thread(target=open_many, args=(n,)) for n in ("a.jazba", "b.jazba")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
