"""``jazba import`` with audio and annotation files together, and ``jazba export``."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from desktop_app.cli.main import app
from desktop_app.core.project import Project
from tests.interop.conftest import Annotated, canonical

runner = CliRunner()


def test_export_then_import_with_audio(annotated: Annotated, tmp_path: Path) -> None:
    src = str(annotated.project.path)
    out = tmp_path / "eaf"
    res = runner.invoke(app, ["export", src, str(out), "--format", "eaf", "--quiet"])
    assert res.exit_code == 0, res.output
    assert "Exported 8 segment(s) of 2 recording(s)" in res.output

    fresh = tmp_path / "fresh.jazba"
    assert runner.invoke(app, ["project", "new", str(fresh)]).exit_code == 0
    files = [str(annotated.audio[0]), str(out / "interview_a.eaf")]
    res = runner.invoke(app, ["import", str(fresh), *files, "-q"])
    assert res.exit_code == 0, res.output
    assert "Imported 6 segment(s) from 'interview_a.eaf' into recording #1" in res.output
    with Project.open(fresh) as p:
        got = canonical(p)
    want = [r for r in canonical(annotated.project) if r[0] == "interview_a"]
    assert got == want


def test_import_with_map_and_recording(annotated: Annotated, tmp_path: Path) -> None:
    srt = tmp_path / "whatever.srt"
    srt.write_text("1\n00:00:00,500 --> 00:00:01,500\nжаңа мәтін\n", encoding="utf-8")
    res = runner.invoke(
        app,
        [
            "import",
            str(annotated.project.path),
            str(srt),
            "--recording",
            "2",
            "--map",
            "subtitles=notes@Гүлнар",
            "-q",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "new tier(s) notes" in res.output and "new speaker(s) Гүлнар" in res.output
    rows = canonical(annotated.project)
    assert ("interview_b", 500, 1500, "жаңа мәтін", "Гүлнар", "notes", None) in rows


def test_cli_errors_are_one_line(annotated: Annotated, tmp_path: Path) -> None:
    bad = tmp_path / "bad.eaf"
    bad.write_text("<x", encoding="utf-8")
    res = runner.invoke(app, ["import", str(annotated.project.path), str(bad), "-q"])
    assert res.exit_code == 1
    assert "Error: 'bad.eaf' is not valid XML" in res.output
    res = runner.invoke(
        app, ["export", str(annotated.project.path), str(tmp_path / "o"), "-f", "docx"]
    )
    assert res.exit_code == 1 and "Unknown export format 'docx'" in res.output
    res = runner.invoke(
        app, ["import", str(annotated.project.path), str(bad), "--map", "nonsense", "-q"]
    )
    assert res.exit_code != 0


def test_export_dataset_options(annotated: Annotated, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    res = runner.invoke(
        app,
        [
            "export",
            str(annotated.project.path),
            str(out),
            "-f",
            "jsonl",
            "--audio",
            "clips",
            "--approved",
            "--split",
            "0.5,0.5,0",
            "--normalize",
            "-q",
        ],
    )
    assert res.exit_code == 0, res.output
    rows = [
        json.loads(line)
        for f in sorted(out.glob("*.jsonl"))
        for line in f.read_text("utf-8").splitlines()
    ]
    assert {r["status"] for r in rows} == {"approved"}
    assert {r["text"] for r in rows} == {"екінші жазба"}  # the translation tier is left out
    assert "1 translation-tier row" in res.output
    assert all((out / r["audio_filepath"]).is_file() for r in rows)
