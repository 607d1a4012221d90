"""``jazba project check / repair / backup``: full checks, salvage that keeps the
damaged file, and copies that are consistent while another process writes."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from desktop_app.cli.main import app
from desktop_app.core.errors import Cancelled, ProjectBusyError, ProjectError
from desktop_app.core.jobs import JobState
from desktop_app.core.project import DB_NAME, Project
from desktop_app.core.project_care import backup_project, check_project, repair_project
from desktop_app.core.services.recordings import RecordingService
from desktop_app.core.services.search import SearchService
from desktop_app.core.services.segments import NewSegment, SegmentService
from desktop_app.core.store import maintenance
from tests.core.test_recordings import make_wav
from tests.core.test_two_processes import ROOT, Holder, _env

runner = CliRunner()


def build(parent: Path, segments: int = 400) -> Path:
    """A project with one recording (50 ms per segment) and ``segments`` segments."""
    wav = make_wav(parent / "aul.wav", max(2.0, segments * 0.05), rate=16000, channels=1)
    with Project.create(parent / "field") as project:
        rid = RecordingService(project).import_file(wav).id
        SegmentService(project).add_many(
            rid,
            [NewSegment(i * 50, i * 50 + 40, f"сөз{i} таудың") for i in range(segments)],
        )
    return parent / "field.jazba"


def count(db: Path, table: str = "segments") -> int:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pages_of(db: Path, name: str, kind: str) -> list[int]:
    con = sqlite3.connect(db)
    try:
        return [
            r[0]
            for r in con.execute(
                "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = ? ORDER BY pageno",
                (name, kind),
            )
        ]
    except sqlite3.OperationalError:
        pytest.skip("this SQLite has no dbstat table")
    finally:
        con.close()


def smash(db: Path, page: int) -> None:
    with db.open("r+b") as f:
        f.seek((page - 1) * 4096 + 8)
        f.write(b"\xff" * 120)


def test_check_of_a_sound_project(tmp_path: Path) -> None:
    folder = build(tmp_path, 20)
    res = runner.invoke(app, ["project", "check", str(folder)])
    assert res.exit_code == 0, res.output
    assert "Database integrity: ok" in res.output
    assert "Recordings whose audio file is missing: ok" in res.output


def test_check_finds_damage_and_missing_files(tmp_path: Path) -> None:
    folder = build(tmp_path)
    (folder / "audio" / "aul.wav").unlink()
    smash(folder / DB_NAME, pages_of(folder / DB_NAME, "ix_segments_recording_start", "leaf")[0])
    before = sha(folder / DB_NAME)
    res = runner.invoke(app, ["project", "check", str(folder)])
    assert res.exit_code == 1
    assert "Database integrity: " in res.output and "problem(s)" in res.output
    assert "recording #1: audio/aul.wav" in res.output
    assert "jazba project repair" in res.output
    assert sha(folder / DB_NAME) == before  # a check writes nothing


def test_repair_rebuilds_a_damaged_index_and_keeps_the_damaged_file(tmp_path: Path) -> None:
    folder = build(tmp_path)
    db = folder / DB_NAME
    smash(db, pages_of(db, "ix_segments_recording_start", "leaf")[0])
    damaged = sha(db)
    with Project.open(folder) as project:
        assert project.read_only and project.open_report.damaged
    res = runner.invoke(app, ["project", "repair", str(folder), "-q"])
    assert res.exit_code == 0, res.output
    assert "Recovered: 1 recordings, 400 segments" in res.output
    kept_files = sorted(folder.glob(f"{DB_NAME}.damaged-*"))  # its -wal and -shm beside it
    [kept] = [p for p in kept_files if not p.name.endswith(("-wal", "-shm"))]
    assert sha(kept) == damaged  # the damaged original, byte for byte
    assert maintenance.integrity_check(db) == []
    with Project.open(folder) as project:
        assert not project.read_only
        assert len(SegmentService(project).list(1)) == 400
        assert len(SearchService(project).search("таудың", limit=1000)) == 400  # FTS rebuilt
        SegmentService(project).edit_text(1, "жөнделді")  # writable again


def test_repair_of_a_damaged_table_says_rows_may_be_missing(tmp_path: Path) -> None:
    folder = build(tmp_path, 2000)
    db = folder / DB_NAME
    leaves = pages_of(db, "segments", "leaf")
    smash(db, leaves[len(leaves) // 2])
    report = repair_project(folder)
    assert report.repaired and "segments" in report.damaged_tables
    assert 1500 < report.rows["segments"] < 2000  # both ends read, the smashed page lost
    assert any("Rows may be missing from: segments" in line for line in report.lines())
    assert check_project(folder).integrity == []


def test_repair_leaves_a_sound_project_alone(tmp_path: Path) -> None:
    folder = build(tmp_path, 10)
    before = sha(folder / DB_NAME)
    report = repair_project(folder)
    assert not report.repaired and "nothing to repair" in report.lines()[0]
    assert sha(folder / DB_NAME) == before
    assert not list(folder.glob(f"{DB_NAME}.*"))


def test_repair_refuses_while_another_process_works(tmp_path: Path) -> None:
    folder = build(tmp_path, 10)
    holder = Holder(folder, 0.5, "transcribe", "interview")
    try:
        with pytest.raises(ProjectBusyError, match=r"busy with transcribe \(job #1"):
            repair_project(folder, force=True)
    finally:
        holder.release()


WRITER = """
import sys
import time
from pathlib import Path
from desktop_app.core.project import Project
from desktop_app.core.services.segments import NewSegment, SegmentService
segs = SegmentService(Project.open(Path(sys.argv[1])))
print("writing", flush=True)
for n in range(1900):  # a transcription: one segment, one transaction at a time
    segs.add_many(2, [NewSegment(30 * n, 30 * n + 25, f"жаңа {n}")], source="model")
print("done", flush=True)
"""


def test_backup_is_consistent_while_another_process_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = build(tmp_path, 50)
    with Project.open(folder) as project:
        RecordingService(project).import_file(make_wav(tmp_path / "long.wav", 60.0))
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(folder)],
        stdout=subprocess.PIPE,
        text=True,
        env=_env(),
        cwd=ROOT,
    )
    assert writer.stdout.readline().strip() == "writing"
    monkeypatch.setattr(maintenance, "BACKUP_PAGES_PER_STEP", 1)  # many steps, writes between
    slow = JobState(on_progress=lambda *_: time.sleep(0.002), min_interval=0)
    db = folder / DB_NAME
    try:
        at_start = count(db)
        result = backup_project(folder, tmp_path / "copy", slow)
        at_end = count(db)
        assert writer.poll() is None, "the writer stopped before the backup ended"
    finally:
        writer.kill()
        writer.wait()
    assert at_end > at_start  # the other process kept writing during the backup
    copy = result.folder
    assert copy == tmp_path / "copy.jazba" and not result.missing
    assert check_project(copy).ok
    segments = count(copy / DB_NAME)
    assert at_start <= segments <= at_end
    con = sqlite3.connect(copy / DB_NAME)
    # one snapshot: every segment has the revision and operation that made it
    orphans = con.execute(
        "SELECT count(*) FROM segments s WHERE NOT EXISTS (SELECT 1 FROM revisions r "
        "JOIN operations o ON o.id = r.operation_id WHERE r.segment_id = s.id)"
    ).fetchone()[0]
    con.close()
    assert orphans == 0
    for name in ("aul.wav", "long.wav"):
        assert sha(copy / "audio" / name) == sha(folder / "audio" / name)
    with Project.open(copy) as project:
        assert not project.read_only and len(RecordingService(project).list()) == 2


def test_backup_never_writes_into_an_existing_folder(tmp_path: Path) -> None:
    folder = build(tmp_path, 10)
    taken = tmp_path / "taken.jazba"
    taken.mkdir()
    (taken / "mine.txt").write_text("keep")
    with pytest.raises(ProjectError, match="already exists"):
        backup_project(folder, taken)
    assert [p.name for p in taken.iterdir()] == ["mine.txt"]


def test_cancelled_backup_leaves_nothing(tmp_path: Path) -> None:
    folder = build(tmp_path, 10)
    state = JobState()
    calls = []

    def cancel(fraction: float, _status: str) -> None:
        calls.append(fraction)
        if fraction > 0.2:
            state.cancel()

    state = JobState(on_progress=cancel, min_interval=0)
    with pytest.raises(Cancelled):
        backup_project(folder, tmp_path / "copy", state)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["aul.wav", "field.jazba"]


def test_cli_backup(tmp_path: Path) -> None:
    folder = build(tmp_path, 10)
    res = runner.invoke(app, ["project", "backup", str(folder), str(tmp_path / "copy"), "-q"])
    assert res.exit_code == 0, res.output
    assert f"Saved a copy to {tmp_path / 'copy.jazba'}" in res.output
    assert (tmp_path / "copy.jazba" / "audio" / "aul.wav").is_file()
