"""Jobs left "running" by a killed process are marked interrupted on the next open."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from desktop_app.cli.main import app
from desktop_app.core.processes import ProcessStamp, hostname, is_alive, this_process
from desktop_app.core.project import Project
from desktop_app.core.services.job_log import PROCESS_KEY, JobLog
from desktop_app.core.store.schema import JOB_STATUSES, Job, utcnow
from tests.core.test_two_processes import Holder


def _started(project: Project, job_id: int, *, host: str | None, hours_ago: float) -> None:
    """Make a job look started ``hours_ago`` by a process on ``host`` (None: unstamped)."""
    with project.unit() as s:
        job = s.get(Job, job_id)
        params = dict(job.params)
        if host is None:
            params.pop(PROCESS_KEY)
        else:
            params[PROCESS_KEY] = {**params[PROCESS_KEY], "host": host}
        when = utcnow() - timedelta(hours=hours_ago)
        s.execute(update(Job).where(Job.id == job_id).values(params=params, created_at=when))


def test_killed_job_is_marked_interrupted_on_next_open(tmp_path: Path) -> None:
    Project.create(tmp_path / "p").close()
    folder = tmp_path / "p.jazba"
    killed = Holder(folder, -1, "transcribe", "long interview")  # dies holding the lock
    killed.proc.wait(30)
    assert killed.proc.returncode == 9
    with Project.open(folder) as project:
        report = project.open_report
        [job] = JobLog(project).list()
    assert job.status == "interrupted" and "interrupted" in JOB_STATUSES
    assert f"process {killed.proc.pid}" in job.error
    assert [j.id for j in report.interrupted_jobs] == [job.id]
    assert any("marked interrupted: transcribe (long interview)" in n for n in report.notes())
    with Project.open(folder) as project:  # told once
        assert project.open_report.interrupted_jobs == ()


def test_job_of_a_live_process_is_left_running(tmp_path: Path) -> None:
    Project.create(tmp_path / "p").close()
    folder = tmp_path / "p.jazba"
    alive = Holder(folder, 0.3, "import", "big.csv")
    try:
        with Project.open(folder) as project:
            statuses = [j.status for j in JobLog(project).list()]
            busy = [j.params["what"] for j in project.open_report.busy_with]
    finally:
        alive.release()
    assert statuses == ["running"] and busy == ["big.csv"]


@pytest.mark.parametrize(
    ("host", "hours_ago", "stale"),
    [
        ("another-computer", 30, True),
        ("another-computer", 1, False),
        (None, 30, True),  # started by a Jazba that did not record its process
        (None, 1, False),
    ],
)
def test_processes_we_cannot_check_count_after_a_day(
    project: Project, host: str | None, hours_ago: float, stale: bool
) -> None:
    job_id = JobLog(project).start("finetune", {})
    _started(project, job_id, host=host, hours_ago=hours_ago)
    marked = JobLog(project).mark_stale()
    assert [j.id for j in marked] == ([job_id] if stale else [])
    assert JobLog(project).list()[0].status == ("interrupted" if stale else "running")


def test_a_late_finish_overwrites_the_mark(project: Project) -> None:
    jobs = JobLog(project)
    job_id = jobs.start("finetune", {})
    _started(project, job_id, host="another-computer", hours_ago=30)
    assert jobs.mark_stale()
    jobs.finish(job_id, "done")
    assert jobs.list()[0].status == "done"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_recycled_process_id_is_not_the_job_process() -> None:
    me = this_process()
    parent = ProcessStamp(os.getppid(), hostname(), me.boot, None)
    real = ProcessStamp(**{**parent.to_json(), "start": _start_of(os.getppid())})
    assert is_alive(real) is True
    assert is_alive(ProcessStamp(**{**real.to_json(), "start": "1"})) is False
    assert is_alive(ProcessStamp(**{**real.to_json(), "boot": "another-boot"})) is False
    assert is_alive(ProcessStamp(**{**real.to_json(), "host": "elsewhere"})) is None


def _start_of(pid: int) -> str:
    from desktop_app.core import processes

    start = processes._start_time(pid)
    assert start is not None
    return start


def test_cli_says_which_jobs_were_interrupted(tmp_path: Path) -> None:
    Project.create(tmp_path / "p").close()
    folder = tmp_path / "p.jazba"
    killed = Holder(folder, -1, "unitlm", "fit")
    killed.proc.wait(30)
    res = CliRunner().invoke(app, ["project", "info", str(folder)])
    assert res.exit_code == 0, res.output
    assert "Note: 1 job(s) were left running" in res.output
    assert "unitlm (fit)" in res.output
