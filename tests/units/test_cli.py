"""``jazba units …`` and ``jazba unitlm …`` on the trained tiny project."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from desktop_app.cli.main import app
from desktop_app.core.services.recordings import RecordingService
from desktop_app.core.services.segments import NewSegment, SegmentService

runner = CliRunner()


@pytest.fixture
def cli_env(trained, monkeypatch: pytest.MonkeyPatch):
    project, registry, units, lm = trained
    monkeypatch.setenv("JAZBA_DATA_DIR", str(registry.root.parent.parent))
    return project, units, lm


def test_list_score_and_extract(cli_env) -> None:
    project, units, lm = cli_env
    for rec in RecordingService(project).list():
        SegmentService(project).add_many(rec.id, [NewSegment(5200, 5900, "cli")])
    out = runner.invoke(app, ["units", "list"])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert any(line.startswith(f"* {lm.id}") and "LM" in line for line in lines)
    assert any(line.startswith(f"  {units.id}") and "units" in line for line in lines)

    out = runner.invoke(app, ["unitlm", "score", str(project.path), "--top", "3", "-q"])
    assert out.exit_code == 0, out.output
    assert f"with {lm.id} on CPU" in out.output
    assert len([ln for ln in out.output.splitlines() if "ppl" in ln]) == 3

    out = runner.invoke(app, ["units", "extract", str(project.path), "--json", "-q"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert rows and all(r["units"] and max(r["units"]) < 50 for r in rows)


def test_bad_k_is_a_clear_error(cli_env) -> None:
    project, _units, _lm = cli_env
    out = runner.invoke(app, ["units", "fit", str(project.path), "--k", "64", "-q"])
    assert out.exit_code == 1
    assert "K must be one of 50, 100, 200, 500" in out.output
