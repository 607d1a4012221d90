"""The ``jazba`` command on real audio."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from desktop_app.cli.main import app
from tests.core.test_recordings import make_wav

runner = CliRunner()


def test_help_lists_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for cmd in ("project", "import", "search", "gui", "demo"):
        assert cmd in result.output


def test_new_import_info_search(tmp_path: Path) -> None:
    proj = tmp_path / "field"
    assert runner.invoke(app, ["project", "new", str(proj), "--name", "Экспедиция"]).exit_code == 0
    proj = tmp_path / "field.jazba"
    wav = make_wav(tmp_path / "aul.wav", seconds=2.0)
    res = runner.invoke(app, ["import", str(proj), str(wav), "--place", "Түркістан", "-q"])
    assert res.exit_code == 0, res.output
    assert "Imported #1 'aul': 00:02.000, 44100 Hz, 2 ch" in res.output
    info = json.loads(runner.invoke(app, ["project", "info", str(proj), "--json"]).output)
    assert info["name"] == "Экспедиция"
    assert info["recordings"][0]["duration_ms"] == 2000
    # nothing transcribed yet: search finds nothing and says so
    res = runner.invoke(app, ["search", str(proj), "сәлем"])
    assert res.exit_code == 1 and "No matches" in res.output


def test_import_bad_file_is_one_clear_line(tmp_path: Path) -> None:
    runner.invoke(app, ["project", "new", str(tmp_path / "p")])
    bad = tmp_path / "broken.flac"
    bad.write_bytes(b"fLaC" + bytes(100))
    res = runner.invoke(app, ["import", str(tmp_path / "p.jazba"), str(bad)])
    assert res.exit_code == 1
    assert "Error: Cannot import 'broken.flac'" in res.output
    assert "Traceback" not in res.output


def test_open_missing_project(tmp_path: Path) -> None:
    res = runner.invoke(app, ["project", "info", str(tmp_path / "nope.jazba")])
    assert res.exit_code == 1 and "No project" in res.output


def test_demo_setup_and_headless_run(tmp_path: Path) -> None:
    path = tmp_path / "demo.jazba"
    res = runner.invoke(app, ["demo", "setup", "--path", str(path), "-q"])
    assert res.exit_code == 0, res.output
    assert "4 recordings" in res.output
    res = runner.invoke(app, ["search", str(path), "алматы"])
    assert res.exit_code == 0 and "[алматыға]" in res.output


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("jazba ")
