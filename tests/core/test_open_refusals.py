"""What is not a Jazba project is refused on open, and left exactly as it was."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from desktop_app.cli.main import app
from desktop_app.core.errors import ProjectError
from desktop_app.core.project import DB_NAME, Project
from desktop_app.core.store import database


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _folder_with_db(tmp_path: Path, make) -> Path:
    folder = tmp_path / "thing.jazba"
    folder.mkdir()
    make(folder / DB_NAME)
    return folder


def _foreign(db: Path, app_id: int = 0) -> None:
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE contacts (name TEXT, phone TEXT)")
    con.execute("INSERT INTO contacts VALUES ('Айгүл', '+7 700 000 00 00')")
    if app_id:
        con.execute(f"PRAGMA application_id = {app_id}")
    con.commit()
    con.close()


def _empty_sqlite(db: Path) -> None:
    con = sqlite3.connect(db)
    con.execute("PRAGMA user_version = 1")  # writes a header, no tables
    con.close()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda db: db.write_bytes(b""), r"is empty \(0 bytes\)"),
        (_foreign, "an SQLite database of another program"),
        (lambda db: _foreign(db, 0x47504B47), "another program's database"),
        (_empty_sqlite, "an empty SQLite database"),
    ],
    ids=["zero-bytes", "foreign-tables", "foreign-application-id", "empty-sqlite"],
)
def test_not_a_project_is_refused_and_untouched(tmp_path: Path, make, message: str) -> None:
    folder = _folder_with_db(tmp_path, make)
    before = _digest(folder)
    with pytest.raises(ProjectError, match=message) as err:
        Project.open(folder)
    assert "Nothing was changed" in str(err.value)
    assert _digest(folder) == before  # no tables added, no audio/ or cache/ folders


def test_cli_refuses_a_zero_byte_database_in_one_line(tmp_path: Path) -> None:
    folder = _folder_with_db(tmp_path, lambda db: db.write_bytes(b""))
    res = CliRunner().invoke(app, ["project", "info", str(folder)])
    assert res.exit_code == 1
    assert "Error:" in res.output and "is empty (0 bytes)" in res.output
    assert (folder / DB_NAME).stat().st_size == 0


def _application_id(db: Path) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute("PRAGMA application_id").fetchone()[0]
    finally:
        con.close()


def test_new_project_carries_the_application_id(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p") as p:
        db = p.db_path
    assert _application_id(db) == database.APPLICATION_ID


def test_older_project_without_the_id_is_accepted_and_marked(tmp_path: Path) -> None:
    with Project.create(tmp_path / "old") as p:
        p.set_meta("place", "Шымкент")
        db = p.db_path
    con = sqlite3.connect(db)
    con.execute("PRAGMA application_id = 0")  # as projects before the mark were
    con.close()
    with Project.open(tmp_path / "old.jazba") as p:
        assert p.meta()["place"] == "Шымкент"
    assert _application_id(db) == database.APPLICATION_ID
