"""Two processes on one project: a clear "busy" answer, or a wait; never a lock traceback.

The other process is real (``project_holder.py`` run with the same Python);
it holds the database's write lock the way a long import does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.core.errors import ProjectBusyError
from desktop_app.core.project import WAIT_ENV, Project
from desktop_app.core.services.job_log import JobLog
from desktop_app.core.services.segments import NewSegment, SegmentService
from tests.core.conftest import add_fake_recording

HOLDER = Path(__file__).with_name("project_holder.py")
ROOT = Path(__file__).resolve().parents[2]


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **extra}
    env.pop("COVERAGE_PROCESS_START", None)
    return env


class Holder:
    """Another process holding the project's write lock (see project_holder.py)."""

    def __init__(self, folder: Path, seconds: float, kind: str | None, what: str | None) -> None:
        args = [sys.executable, str(HOLDER), str(folder), str(seconds)]
        args += [kind, what] if kind and what else []
        self.proc = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=_env()
        )
        line = self.proc.stdout.readline().strip()
        assert line == "holding", f"holder did not start: {line!r}"

    def release(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.write("go\n")
            self.proc.stdin.flush()
        self.proc.wait(30)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    with Project.create(tmp_path / "shared") as p:
        add_fake_recording(p)
    return tmp_path / "shared.jazba"


@pytest.fixture
def holder(folder: Path) -> Iterator[Holder]:
    h = Holder(folder, 60, "import", "big.csv")
    yield h
    h.release()


def test_write_while_another_process_imports_names_the_import(folder: Path, holder: Holder) -> None:
    with Project.open(folder) as project:  # opening does not wait for the lock
        busy = project.open_report.busy_with
        assert [j.kind for j in busy] == ["import"]
        assert any("import (big.csv)" in note for note in project.open_report.notes())
        project.wait_s = 0.3
        t0 = time.perf_counter()
        with pytest.raises(ProjectBusyError) as err:
            SegmentService(project).add(1, NewSegment(0, 1000, "сәлем"))
        assert time.perf_counter() - t0 < 5
    message = str(err.value)
    assert "busy with import (big.csv)" in message
    assert f"process {holder.proc.pid}" in message
    assert "Try again when it finishes" in message
    assert "database is locked" not in message


def test_write_waits_for_a_short_lock_and_succeeds(folder: Path) -> None:
    """A long job's small writes (a transcription's segments) wait out another
    process's transaction instead of dying."""
    h = Holder(folder, 1.5, "import", "short.srt")
    try:
        with Project.open(folder) as project:
            t0 = time.perf_counter()
            SegmentService(project).add(1, NewSegment(0, 1000, "сәлем"))
            waited = time.perf_counter() - t0
            assert [s.text for s in SegmentService(project).list(1)] == ["сәлем"]
    finally:
        h.release()
    assert waited > 0.5  # it did wait for the other process


def test_without_a_job_the_holder_is_another_process(folder: Path) -> None:
    h = Holder(folder, 60, None, None)
    try:
        with Project.open(folder) as project:
            project.wait_s = 0.2
            with pytest.raises(ProjectBusyError, match="another Jazba process"):
                project.set_meta("k", "v")
    finally:
        h.release()


def test_cli_import_while_busy_is_one_clear_line(folder: Path, holder: Holder) -> None:
    srt = folder.parent / "rec.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:01,000\nсәлем\n", encoding="utf-8")
    res = subprocess.run(
        [sys.executable, "-m", "desktop_app", "import", str(folder), str(srt), "--recording", "1"],
        capture_output=True,
        text=True,
        env=_env(**{WAIT_ENV: "0.5"}),
        timeout=120,
    )
    assert res.returncode == 1, res.stdout + res.stderr
    assert "Traceback" not in res.stderr
    assert "Error: The project 'shared.jazba' is busy with import (big.csv)" in res.stderr
    # it left no job "running" behind (it could not even note its own)
    holder.release()
    with Project.open(folder) as project:
        statuses = {j.params.get("what"): j.status for j in JobLog(project).list()}
    assert statuses == {"big.csv": "done"}
