"""``jazba search``: KWIC lines over one or several projects, CSV, errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from desktop_app.cli.main import app
from desktop_app.core.project import Project
from desktop_app.core.services.segments import NewSegment, SegmentService
from desktop_app.core.services.speakers import SpeakerService, TierService
from tests.core.conftest import add_fake_recording

runner = CliRunner()


def make_project(path: Path, name: str, texts: list[tuple[str, str]]) -> Path:
    """A project with one recording; ``texts``: (tier name, text) per segment."""
    with Project.create(path, name) as project:
        rec = add_fake_recording(project, f"{name}-rec")
        tiers = TierService(project)
        speaker = SpeakerService(project).create("Айгүл").id
        seg = SegmentService(project)
        for i, (tier, text) in enumerate(texts):
            tier_id = tiers.get_or_create(tier).id
            new = NewSegment(i * 2000, i * 2000 + 1500, text, speaker_id=speaker)
            seg.add(rec, new, tier_id=tier_id)
        return project.path


@pytest.fixture
def two_projects(tmp_path: Path) -> tuple[Path, Path]:
    a = make_project(
        tmp_path / "a",
        "ауыл",
        [
            ("transcription", "Біз ертең Алматыға барамыз"),
            ("transcription", "Алматы үлкен қала"),
            ("translation", "Мы едем в Алматы"),
        ],
    )
    b = make_project(tmp_path / "b", "қала", [("transcription", "Мен Алматыда тұрамын")])
    return a, b


def test_kwic_lines_over_two_projects(two_projects: tuple[Path, Path]) -> None:
    a, b = two_projects
    res = runner.invoke(app, ["search", str(a), str(b), r"\bалмат\w*", "--regex"])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("ауыл: ауыл-rec 00:00.000 transcription Айгүл")
    assert lines[-1].startswith("қала: қала-rec 00:00.000 transcription Айгүл")
    # the matches line up: the left context is right-aligned before "["
    assert len({line.index("[") for line in lines}) == 1
    assert "Біз ертең [Алматыға] барамыз" in lines[0]


def test_word_tier_case_and_csv(two_projects: tuple[Path, Path], tmp_path: Path) -> None:
    a, _b = two_projects
    res = runner.invoke(app, ["search", str(a), "алматы", "--word"])
    assert res.exit_code == 0 and len(res.output.splitlines()) == 2  # not Алматыға
    res = runner.invoke(app, ["search", str(a), "алматы", "--word", "--tier", "translation"])
    assert res.exit_code == 0 and res.output.splitlines()[0].count("[Алматы]") == 1
    assert "translation" in res.output and len(res.output.splitlines()) == 1
    res = runner.invoke(app, ["search", str(a), "алматы", "--word", "--case-sensitive"])
    assert res.exit_code == 1 and "No matches" in res.output
    out = tmp_path / "hits.csv"
    res = runner.invoke(app, ["search", str(a), "алмат", "--csv", str(out), "--limit", "2"])
    assert res.exit_code == 0, res.output
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["match"] for r in rows] == ["Алматыға", "Алматы"]
    assert rows[0]["project"] == "ауыл" and rows[0]["speaker"] == "Айгүл"
    res = runner.invoke(app, ["search", str(a), "алмат", "--json"])
    assert [h["match"] for h in json.loads(res.output)] == ["Алматыға", "Алматы", "Алматы"]


def test_errors_are_one_clear_line(two_projects: tuple[Path, Path]) -> None:
    a, _b = two_projects
    res = runner.invoke(app, ["search", str(a), "алмат(", "--regex"])
    assert res.exit_code == 1
    assert "Error: Not a valid regular expression" in res.output
    assert "Traceback" not in res.output
    res = runner.invoke(app, ["search", str(a), "x", "--tier", "notes"])
    assert res.exit_code == 2 and "No tier 'notes'" in res.output
    res = runner.invoke(app, ["search", str(a), "x", "--regex", "--word"])
    assert res.exit_code == 2
    res = runner.invoke(app, ["search", "алматы"])
    assert res.exit_code == 2
