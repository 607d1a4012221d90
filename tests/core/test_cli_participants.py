"""``jazba speakers list|edit``, ``jazba vocab …`` and ``jazba project languages``."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from desktop_app.cli.main import app
from desktop_app.core.project import Project
from desktop_app.core.services.speakers import SpeakerService, TierService
from desktop_app.core.services.vocabularies import VocabularyService

runner = CliRunner()


def _project(tmp_path: Path) -> Path:
    with Project.create(tmp_path / "field") as project:
        SpeakerService(project).create("Айгүл")
        TierService(project).create("style", kind="other")
        return project.path


def test_speakers_edit_and_list(tmp_path: Path) -> None:
    proj = str(_project(tmp_path))
    res = runner.invoke(
        app,
        [
            "speakers", "edit", proj, "Айгүл", "--gender", "f", "--birth-year", "1988",
            "--dialect", "оңтүстік", "--region", "Шымкент", "--l1", "kk,ru,uz",
            "--notes", "мұғалім", "--age-band", "30-39",
        ],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "birth year: 1988" in res.output and "l1: kk,ru,uz" in res.output
    assert "'uz' is not on the project's language list" in res.output  # a warning
    res = runner.invoke(app, ["speakers", "list", proj, "--json"])
    (sp,) = json.loads(res.output)
    assert (sp["gender"], sp["birth_year"], sp["region"], sp["notes"]) == (
        "female", 1988, "Шымкент", "мұғалім"
    )  # fmt: skip
    plain = runner.invoke(app, ["speakers", "list", proj]).output
    assert "Айгүл" in plain and "dialect: оңтүстік" in plain
    # clearing one field leaves the others
    assert runner.invoke(app, ["speakers", "edit", proj, "Айгүл", "--region", ""]).exit_code == 0
    (sp,) = json.loads(runner.invoke(app, ["speakers", "list", proj, "--json"]).output)
    assert sp["region"] is None and sp["dialect"] == "оңтүстік"


def test_speakers_edit_refuses_bad_values_in_one_line(tmp_path: Path) -> None:
    proj = str(_project(tmp_path))
    res = runner.invoke(app, ["speakers", "edit", proj, "Айгүл", "--birth-year", "1066"])
    assert res.exit_code == 1 and "not a likely year of birth" in res.output
    res = runner.invoke(app, ["speakers", "edit", proj, "Nobody", "--gender", "m"])
    assert res.exit_code == 1 and "no speaker named 'Nobody'" in res.output
    res = runner.invoke(app, ["speakers", "edit", proj, "Ерлан", "--gender", "m", "--create"])
    assert res.exit_code == 0 and "gender: male" in res.output


def test_vocab_commands(tmp_path: Path) -> None:
    proj = _project(tmp_path)
    res = runner.invoke(
        app, ["vocab", "add", str(proj), "speech style", "--entries", "read,spontaneous"]
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        app, ["vocab", "add-entry", str(proj), "speech style", "sung", "--description", "ән"]
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["vocab", "attach", str(proj), "style", "speech style"])
    assert res.exit_code == 0 and "3 entries" in res.output
    listed = json.loads(runner.invoke(app, ["vocab", "list", str(proj), "--json"]).output)
    by_name = {cv["name"]: cv for cv in listed}
    assert set(by_name) == {"speech style", "status", "language"}
    style = by_name["speech style"]
    assert [e["value"] for e in style["entries"]] == ["read", "spontaneous", "sung"]
    assert style["tiers"] == ["style"] and by_name["status"]["builtin"]
    res = runner.invoke(app, ["vocab", "add-entry", str(proj), "status", "rejected"])
    assert res.exit_code == 1 and "built in" in res.output
    res = runner.invoke(app, ["vocab", "remove-entry", str(proj), "speech style", "read"])
    assert res.exit_code == 0
    with Project.open(proj) as project:
        tier = next(t for t in TierService(project).list() if t.name == "style")
        assert VocabularyService(project).choices(tier.id) == ["spontaneous", "sung"]
    assert runner.invoke(app, ["vocab", "attach", str(proj), "style", "--detach"]).exit_code == 0
    res = runner.invoke(app, ["vocab", "attach", str(proj), "nope", "status"])
    assert res.exit_code == 1 and "no tier named 'nope'" in res.output


def test_project_languages(tmp_path: Path) -> None:
    proj = str(_project(tmp_path))
    res = runner.invoke(app, ["project", "languages", proj])
    assert res.exit_code == 0 and "(the default list)" in res.output and "Kazakh" in res.output
    res = runner.invoke(app, ["project", "languages", proj, "--set", "kk,ru,en,sah=Sakha"])
    assert res.exit_code == 0, res.output
    assert "'sah' is not in Jazba's table" in res.output
    out = json.loads(runner.invoke(app, ["project", "languages", proj, "--json"]).output)
    assert out == [
        {"code": "kk", "name": "Kazakh"},
        {"code": "ru", "name": "Russian"},
        {"code": "en", "name": "English"},
        {"code": "sah", "name": "Sakha"},
    ]
    res = runner.invoke(app, ["project", "languages", proj, "--set", "kazakh"])
    assert res.exit_code == 1 and "not a language code" in res.output
