"""Writing an import: in bulk (a few statements, not a flush per segment), one undo
step, progress and cancel, and a message when the database is locked or full."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import event

from desktop_app.core.errors import Cancelled, ProjectError, StorageError
from desktop_app.core.interop.importer import ImportOptions, import_file
from desktop_app.core.jobs import JobState
from desktop_app.core.project import Project
from desktop_app.core.services.recordings import RecordingService
from desktop_app.core.services.segments import SegmentService
from desktop_app.core.store import database
from tests.interop.conftest import canonical, project_counts, tone

N = 5_000


@pytest.fixture
def rec(project: Project, tmp_path: Path) -> int:
    """A 60-second recording named ``speech.wav``."""
    return RecordingService(project).import_file(tone(tmp_path / "speech.wav", 60.0)).id


def _srt(path: Path, n: int = N, word: str = "сөз") -> Path:
    path.write_text(
        "".join(
            f"{k + 1}\n00:00:{k // 100:02d},{k % 100 * 10:03d} --> "
            f"00:00:{k // 100:02d},{k % 100 * 10 + 8:03d}\n{word} {k}\n\n"
            for k in range(n)
        ),
        encoding="utf-8",
    )
    return path


def test_segments_are_written_in_bulk(project: Project, rec: int, tmp_path: Path) -> None:
    """A flush per segment made 100,000 segments take minutes."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(project.engine, "before_cursor_execute", count)
    try:
        result = import_file(project, _srt(tmp_path / "speech.srt"))
    finally:
        event.remove(project.engine, "before_cursor_execute", count)
    assert result.segments == N
    assert len(statements) < 100, len(statements)


def test_bulk_import_is_one_undo_step(project: Project, rec: int, tmp_path: Path) -> None:
    segments = SegmentService(project)
    before = canonical(project)
    result = import_file(project, _srt(tmp_path / "speech.srt", 50))
    after = canonical(project)
    assert len(after) == 50
    segments.undo(result.operation_id)
    assert canonical(project) == before
    segments.redo(result.operation_id)
    assert canonical(project) == after
    replacing = import_file(
        project, _srt(tmp_path / "speech.srt", 20, "жаңа"), options=ImportOptions(replace=True)
    )
    assert replacing.replaced == 50
    assert [r[3] for r in canonical(project)][:2] == ["жаңа 0", "жаңа 1"]
    assert len(canonical(project)) == 20
    segments.undo(replacing.operation_id)
    assert canonical(project) == after


def test_progress_and_cancel(project: Project, rec: int, tmp_path: Path) -> None:
    seen: list[float] = []
    state = JobState(on_progress=lambda f, _s: seen.append(f), min_interval=0)
    import_file(project, _srt(tmp_path / "speech.srt"), state=state)
    assert len(seen) >= 4 and seen == sorted(seen) and seen[-1] == 1.0

    counts = project_counts(project)
    state = JobState()

    def cancel_midway(fraction: float, _status: str) -> None:
        if fraction > 0.5:
            state.cancel()

    state.on_progress, state.min_interval = cancel_midway, 0
    with pytest.raises(Cancelled):
        import_file(project, _srt(tmp_path / "speech.srt", N, "екінші"), state=state)
    assert project_counts(project) == counts


def test_locked_database_is_a_message(
    project: Project, rec: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 200)
    path = _srt(tmp_path / "speech.srt", 10)
    counts = project_counts(project)
    other = sqlite3.connect(project.db_path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
        with pytest.raises(ProjectError, match="is busy") as info:
            import_file(project, path)
        assert "'speech.srt'" in str(info.value)
        other.execute("ROLLBACK")
    finally:
        other.close()
    assert project_counts(project) == counts
    assert import_file(project, path).segments == 10  # and works once the other is done


def test_full_disk_is_a_message(project: Project, rec: int, tmp_path: Path) -> None:
    path = _srt(tmp_path / "speech.srt", 10)
    counts = project_counts(project)

    def full(_conn, _cursor, statement: str, *_args) -> None:
        if statement.startswith("INSERT INTO segments"):
            raise sqlite3.OperationalError("database or disk is full")

    event.listen(project.engine, "before_cursor_execute", full)
    try:
        with pytest.raises(StorageError, match="The disk is full") as info:
            import_file(project, path)
    finally:
        event.remove(project.engine, "before_cursor_execute", full)
    assert "Nothing from 'speech.srt' was imported" in str(info.value)
    assert project_counts(project) == counts
