"""The open report: open-time cleanups, the quick check, and what the CLI prints."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from desktop_app.cli.main import app
from desktop_app.core import project_open
from desktop_app.core.errors import ProjectReadOnlyError
from desktop_app.core.project import DB_NAME, Project
from desktop_app.core.services.segments import NewSegment, SegmentService
from tests.core.conftest import add_fake_recording
from tests.core.test_two_processes import Holder


def remove_leftovers(folder: Path) -> Iterable[Path]:
    """An open cleanup as the audio import's will be: Jazba's own temporaries."""
    for path in sorted((folder / "audio").glob(".*.part.wav")):
        path.unlink()
        yield path


@pytest.fixture
def with_cleanup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(project_open, "OPEN_CLEANUPS", [remove_leftovers])


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    Project.create(tmp_path / "p").close()
    folder = tmp_path / "p.jazba"
    (folder / "audio" / ".0a1b.part.wav").write_bytes(b"RIFF" + bytes(1000))
    (folder / "audio" / "keep.wav").write_bytes(b"RIFF" + bytes(10))
    return folder


def test_registered_cleanup_runs_on_open_and_is_reported(folder: Path, with_cleanup) -> None:
    with Project.open(folder) as project:
        report = project.open_report
    assert [p.name for p in report.removed_leftovers] == [".0a1b.part.wav"]
    assert "Removed 1 leftover file(s) of interrupted work: .0a1b.part.wav." in report.notes()
    assert sorted(p.name for p in (folder / "audio").iterdir()) == ["keep.wav"]


def test_cleanup_waits_while_another_process_works(folder: Path, with_cleanup) -> None:
    holder = Holder(folder, 0.3, "import", "big.wav")  # its .part.wav may be in use
    try:
        with Project.open(folder) as project:
            assert project.open_report.removed_leftovers == ()
    finally:
        holder.release()
    assert (folder / "audio" / ".0a1b.part.wav").exists()


def test_cleanup_does_not_run_read_only(folder: Path, with_cleanup) -> None:
    with Project.open(folder, read_only=True) as project:
        assert project.open_report.removed_leftovers == ()
    assert (folder / "audio" / ".0a1b.part.wav").exists()


def test_cli_prints_the_report(folder: Path, with_cleanup) -> None:
    res = CliRunner().invoke(app, ["project", "info", str(folder)])
    assert res.exit_code == 0, res.output
    assert "Note: Removed 1 leftover file(s) of interrupted work" in res.output


def _damage(db: Path) -> None:
    """Overwrite one page of the segments index: the kind of damage a torn copy leaves."""
    con = sqlite3.connect(db)
    root = con.execute(
        "SELECT rootpage FROM sqlite_master WHERE name = 'ix_segments_recording_start'"
    ).fetchone()[0]
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    with db.open("r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(b"\xff" * 64)


def test_damaged_database_opens_read_only_and_says_how_to_repair(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p") as project:
        rid = add_fake_recording(project, duration_ms=600_000)
        SegmentService(project).add_many(
            rid, [NewSegment(i * 1000, i * 1000 + 900, f"сөз {i}") for i in range(300)]
        )
    folder = tmp_path / "p.jazba"
    _damage(folder / DB_NAME)
    with Project.open(folder) as project:
        report = project.open_report
        assert report.damaged and project.read_only
        assert "jazba project repair" in report.notes()[0]
        with pytest.raises(ProjectReadOnlyError, match="damaged"):
            project.set_meta("k", "v")
