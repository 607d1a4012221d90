"""``jazba batch`` end to end: a folder into a run folder and into a project, the
project as a source, and a run killed with SIGKILL then resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from desktop_app.asr.registry import ModelRegistry
from desktop_app.cli.main import app
from desktop_app.core.project import Project
from desktop_app.core.services.recordings import RecordingService
from desktop_app.core.services.segments import NewSegment, SegmentService
from desktop_app.services.batch import RunFolder
from tests.batch.conftest import write_recordings

runner = CliRunner()
FAST = ["--preset", "fast", "--no-vad", "--device", "cpu", "--threads", "1", "-q"]


@pytest.fixture
def cli_models(tiny_registry: ModelRegistry, monkeypatch: pytest.MonkeyPatch) -> str:
    """The CLI's default registry is the tiny one."""
    monkeypatch.setenv("JAZBA_DATA_DIR", str(tiny_registry.root.parent))
    return tiny_registry.active_id() or ""


def test_batch_into_project_keeps_human_work(
    audio_folder: Path, tmp_path: Path, cli_models: str
) -> None:
    proj = tmp_path / "field.jazba"
    Project.create(proj).close()
    with Project.open(proj) as project:
        rec = RecordingService(project).import_file(audio_folder / "rec0.wav")
        SegmentService(project).add(rec.id, NewSegment(0, 900, "адам жазған"))  # edited
    out = tmp_path / "run"
    res = runner.invoke(
        app, ["batch", str(audio_folder), str(out), *FAST, "--import-into", str(proj)]
    )
    assert res.exit_code == 2, res.output  # one file failed: listed, and the exit says so
    assert "4 file(s) done, 1 failed" in res.output
    assert "broken.wav" in res.output and "4 recording(s) (3 new audio)" in res.output
    with Project.open(proj) as project:
        recs = RecordingService(project).list()
        assert len(recs) == 4
        for r in recs:
            auto = [s for s in SegmentService(project).list(r.id) if s.status == "auto"]
            assert all(s.model_version_id == cli_models for s in auto)
            assert auto or r.id == rec.id  # there the draft fell on the person's segment
        kept = SegmentService(project).list(rec.id)
        assert [s.text for s in kept if s.status == "edited"] == ["адам жазған"]
        assert all(s.start_ms >= 900 for s in kept if s.status == "auto")
        # the project as a source: its recordings, nothing redone that is done
        again = runner.invoke(app, ["batch", str(proj), str(tmp_path / "run2"), *FAST])
    assert again.exit_code == 0, again.output
    data = json.loads((tmp_path / "run2" / "run.json").read_text())
    assert data["counts"]["done"] == 4 and all("#" in k for k in data["files"])


def test_killed_run_resumes_where_it_stopped(tmp_path: Path, cli_models: str) -> None:
    folder = tmp_path / "archive"
    write_recordings(folder, 6)
    out = tmp_path / "run"
    script = (
        "import functools, sys\n"
        "from pathlib import Path\n"
        "from desktop_app.services.batch import run_batch\n"
        "from tests.batch import faults\n"
        "from tests.batch.conftest import options\n"
        "run_batch(Path(sys.argv[1]), Path(sys.argv[2]), options(workers=1),\n"
        "          task_fn=functools.partial(faults.slow, 1.5))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(folder), str(out)], env=env, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            shards = list((out / "segments").glob("*.jsonl")) if out.exists() else []
            if len(shards) >= 2:
                break
            time.sleep(0.2)
        assert proc.poll() is None, "the run ended before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)  # the driver and its worker, at once
        proc.wait(30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    before = RunFolder(out).load()
    done_before = {k: e.finished_at for k, e in before.files.items() if e.status == "done"}
    assert 1 <= len(done_before) < 6 and before.finished_at is None
    res = runner.invoke(app, ["batch", str(folder), str(out), *FAST, "--resume", "--workers", "1"])
    assert res.exit_code == 0, res.output
    after = RunFolder(out).load()
    assert after.counts() == {"pending": 0, "done": 6, "failed": 0} and after.resumes == 1
    for key, finished in done_before.items():
        assert after.files[key].finished_at == finished  # kept, not redone
    for entry in after.files.values():
        assert len(RunFolder(out).read_shard(entry.shard)) == entry.segments


def test_task_and_chunk_options_are_checked(tmp_path: Path, cli_models: str) -> None:
    folder = tmp_path / "a"
    folder.mkdir()
    bad = runner.invoke(app, ["batch", str(folder), str(tmp_path / "r"), "--task", "translate"])
    assert bad.exit_code == 2 and "Unknown task 'translate'" in bad.output
    units = ["--task", "units", "--import-into", str(tmp_path / "p.jazba")]
    res = runner.invoke(app, ["batch", str(folder), str(tmp_path / "r"), *units])
    assert res.exit_code == 2 and "not units" in res.output
    neg = runner.invoke(app, ["batch", str(folder), str(tmp_path / "r"), "--chunk-seconds", "-1"])
    assert neg.exit_code == 2 and "--chunk-seconds" in neg.output
    assert not (tmp_path / "r").exists()
