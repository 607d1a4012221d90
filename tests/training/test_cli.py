"""``jazba finetune`` (audit, Ctrl+C), ``jazba evaluate`` and ``jazba review-queue``."""

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
from desktop_app.core.services.job_log import JobLog


@pytest.fixture
def installed(tiny_onnx_dir: Path, tiny_hf_dir: Path) -> ModelRegistry:
    """The tiny model in the default registry (under the test's JAZBA_DATA_DIR)."""
    reg = ModelRegistry()
    reg.import_onnx_dir(tiny_onnx_dir, name="Tiny base", extra={"hf": tiny_hf_dir})
    return reg


def test_audit_review_queue_and_evaluate(filled_project: Project, installed) -> None:
    path = str(filled_project.path)
    runner = CliRunner()
    result = runner.invoke(app, ["finetune", path, "--audit-only"])
    assert result.exit_code == 0, result.output
    assert "segments" in result.output and "train:" in result.output

    result = runner.invoke(app, ["review-queue", path, "--limit", "3"])
    assert result.exit_code == 0, result.output
    assert len(result.output.strip().splitlines()) == 3

    result = runner.invoke(app, ["evaluate", path, "--json", "-q"])
    assert result.exit_code == 0, result.output
    [report] = json.loads(result.output)
    assert report["model_id"] == installed.active_id()
    assert report["overall"]["n"] > 0 and "speaker" in report["breakdown"]


def test_bad_settings_are_refused(filled_project: Project, installed) -> None:
    result = CliRunner().invoke(app, ["finetune", str(filled_project.path), "--method", "magic"])
    assert result.exit_code == 1
    assert "Unknown fine-tuning method" in result.output
    result = CliRunner().invoke(app, ["finetune", str(filled_project.path), "--precision", "fp8"])
    assert result.exit_code == 1
    assert "Unknown precision 'fp8'" in result.output


def _trainers(run_root: Path) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmd = (proc / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if "desktop_app.training" in cmd and str(run_root) in cmd:
                pids.append(int(proc.name))
    return pids


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_ctrl_c_stops_training_and_keeps_nothing_installed(
    filled_project: Project, installed
) -> None:
    runs = Path(os.environ["JAZBA_DATA_DIR"]) / "training" / "runs"
    cmd = [sys.executable, "-m", "desktop_app.cli.main", "finetune", str(filled_project.path),
           "--max-steps", "100000", "--batch-size", "4", "--lr", "1e-3", "--threads", "1",
           "--no-spec-augment"]  # fmt: skip
    # Ctrl+C in a terminal: SIGINT reaches the CLI with its default action, even
    # when this suite itself runs as a background job (which inherits SIG_IGN).
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    deadline = time.monotonic() + 180
    while not list(runs.glob("run-*/train/config.json")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert _trainers(runs)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Checkpoints were kept" in err and "--resume latest" in err
    time.sleep(1)
    assert _trainers(runs) == []
    assert len(installed.versions()) == 1
    assert JobLog(filled_project).list()[0].status == "cancelled"
