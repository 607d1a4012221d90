"""``jazba langtag``: tags a project's words and prints the counts."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from desktop_app.cli.main import app
from desktop_app.core.project import Project
from desktop_app.core.services.segments import NewSegment, SegmentService
from tests.core.conftest import add_fake_recording

runner = CliRunner()


def _project(tmp_path: Path) -> tuple[Path, int]:
    path = tmp_path / "cs.jazba"
    project = Project.create(path, name="cs")
    rec = add_fake_recording(project)
    segs = SegmentService(project)
    segs.add(rec, NewSegment(0, 2000, "Мен очень шаршадым"))
    segs.add(rec, NewSegment(3000, 5000, "Жақсы, рахмет"))
    project.close()
    return path, rec


def test_langtag_prints_counts_and_mixed_segments(tmp_path: Path) -> None:
    path, rec = _project(tmp_path)
    result = runner.invoke(app, ["langtag", str(path), "--show-mixed"])
    assert result.exit_code == 0, result.output
    assert "2 segments (2 newly tagged): words kk 4, ru 1, other 0" in result.output
    assert "mixed segments 1, monolingual 1" in result.output
    assert "Мен/kk очень/ru шаршадым/kk" in result.output
    again = runner.invoke(app, ["langtag", str(path), "--recording", str(rec), "--json"])
    data = json.loads(again.output)
    assert data["changed"] == 0 and data["words"] == {"kk": 4, "ru": 1, "other": 0}
    assert data["mixed_segments"] == 1 and data["operation_id"] is None


def test_langtag_unknown_recording_is_a_clear_error(tmp_path: Path) -> None:
    path, _ = _project(tmp_path)
    result = runner.invoke(app, ["langtag", str(path), "--recording", "99"])
    assert result.exit_code == 1
    assert "There is no recording #99." in result.output
