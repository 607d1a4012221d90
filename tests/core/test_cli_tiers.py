"""``jazba tiers list`` and ``jazba tiers add``."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from desktop_app.cli.main import app
from desktop_app.core.project import Project
from desktop_app.core.services.segments import NewSegment, SegmentService
from tests.core.conftest import add_fake_recording

runner = CliRunner()


def test_tiers_add_child_and_list_as_a_tree(tmp_path: Path) -> None:
    proj = tmp_path / "p.jazba"
    with Project.create(proj) as project:
        rid = add_fake_recording(project)
        SegmentService(project).add(rid, NewSegment(0, 1000, "сәлем"))
        SegmentService(project).add(rid, NewSegment(2000, 3000, "рақмет"))

    res = runner.invoke(
        app, ["tiers", "add", str(proj), "translation", "--parent", "transcription"]
    )
    assert res.exit_code == 0, res.output
    assert "under 'transcription'" in res.output and "2 annotation(s) to fill in" in res.output
    words = ["words", "--parent", "transcription", "--kind", "words"]
    res = runner.invoke(
        app, ["tiers", "add", str(proj), *words, "--constraint", "symbolic_subdivision"]
    )
    assert res.exit_code == 0, res.output
    assert (
        runner.invoke(app, ["tiers", "add", str(proj), "notes", "--kind", "comment"]).exit_code == 0
    )

    out = runner.invoke(app, ["tiers", "list", str(proj)]).output.splitlines()
    lines = [line for line in out if not line.startswith("Note:")]  # read-only: on stderr
    assert lines[0].startswith("transcription (transcription): 2 annotation(s)")
    assert lines[1].startswith("  translation (translation, symbolic_association): 2 annotation(s)")
    assert lines[2].startswith("  words (words, symbolic_subdivision): 0 annotation(s)")
    assert lines[3].startswith("notes (comment): 0 annotation(s)")


def test_tiers_add_refuses_a_bad_constraint_in_one_line(tmp_path: Path) -> None:
    proj = tmp_path / "p.jazba"
    Project.create(proj).close()
    res = runner.invoke(
        app, ["tiers", "add", str(proj), "x", "--parent", "transcription", "--constraint", "odd"]
    )
    assert res.exit_code != 0
    assert "Unknown tier constraint 'odd'" in res.output
    res = runner.invoke(app, ["tiers", "add", str(proj), "x", "--parent", "nothing"])
    assert res.exit_code != 0 and "no tier named 'nothing'" in res.output
