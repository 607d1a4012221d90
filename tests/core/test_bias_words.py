"""The project's word list: storage, word files, the ``jazba words`` command, and its way
into a transcription (project list, per-transcription override, none)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from desktop_app.cli.main import app
from desktop_app.cli.transcribe import bias_override
from desktop_app.core.errors import JazbaError
from desktop_app.core.project import Project
from desktop_app.core.services.bias_words import (
    BIAS_WORDS_KEY,
    BiasWord,
    add_words,
    load_words,
    parse_word_text,
    remove_words,
    save_words,
    set_prompt,
    uses_prompt,
)
from desktop_app.core.services.recordings import RecordingService
from desktop_app.core.store.schema import Job
from desktop_app.services.transcription import TranscribeRequest, transcribe_recording
from tests.fake_engine import FakeEngine, fake_model

runner = CliRunner()


def test_words_are_stored_cleaned_in_order(project: Project) -> None:
    assert load_words(project) == []
    save_words(project, [BiasWord(" Жамбыл "), BiasWord("Алматы", 2), BiasWord("Жамбыл", 3)])
    assert load_words(project) == [BiasWord("Жамбыл", 3.0), BiasWord("Алматы", 2.0)]
    stored = json.loads(project.meta()[BIAS_WORDS_KEY])
    assert stored["version"] == 1 and stored["words"][0] == {"w": "Жамбыл", "weight": 3.0}
    assert stored["prompt"] is False and not uses_prompt(project)
    set_prompt(project, True)
    assert uses_prompt(project) and len(load_words(project)) == 2
    save_words(project, load_words(project))  # the setting stays when the words change
    assert uses_prompt(project)
    set_prompt(project, False)
    add_words(project, [BiasWord("Байқоңыр  ғарыш айлағы")])
    assert load_words(project)[-1].word == "Байқоңыр ғарыш айлағы"
    kept, missing = remove_words(project, ["алматы", "Астана"])
    assert [b.word for b in kept] == ["Жамбыл", "Байқоңыр ғарыш айлағы"]
    assert missing == ["астана"]
    with pytest.raises(JazbaError):
        save_words(project, [BiasWord("Нөл", 0)])
    assert len(load_words(project)) == 2  # a refused change leaves the list as it was


def test_a_damaged_list_is_a_clear_error(project: Project) -> None:
    project.set_meta(BIAS_WORDS_KEY, "{not json")
    with pytest.raises(JazbaError, match="word list"):
        load_words(project)


def test_word_files() -> None:
    text = "\ufeff# names\nЖамбыл\n\nАлматы;2\nТараз\t1.5\nҚызылорда, 3\nАбай Құнанбайұлы\n"
    assert parse_word_text(text.lstrip("\ufeff")) == [
        BiasWord("Жамбыл"),
        BiasWord("Алматы", 2.0),
        BiasWord("Тараз", 1.5),
        BiasWord("Қызылорда", 3.0),
        BiasWord("Абай Құнанбайұлы"),
    ]


def _project(tmp_path: Path) -> Path:
    assert runner.invoke(app, ["project", "new", str(tmp_path / "p")]).exit_code == 0
    return tmp_path / "p.jazba"


def test_words_command(tmp_path: Path) -> None:
    proj = _project(tmp_path)
    res = runner.invoke(app, ["words", str(proj), "list"])
    assert res.exit_code == 0 and "empty" in res.output
    res = runner.invoke(app, ["words", str(proj), "add", "Жамбыл", "Алматы"])
    assert res.exit_code == 0 and "2 word(s) (+2)" in res.output
    res = runner.invoke(app, ["words", str(proj), "add", "Тараз", "--weight", "2"])
    assert res.exit_code == 0
    names = tmp_path / "names.txt"
    names.write_text("Байқоңыр;3\nЖамбыл\n", encoding="utf-8")
    res = runner.invoke(app, ["words", str(proj), "import", str(names)])
    assert res.exit_code == 0 and "4 word(s) (+1)" in res.output
    res = runner.invoke(app, ["words", str(proj), "list", "--json"])
    assert json.loads(res.output) == [
        {"w": "Жамбыл", "weight": 1.0},
        {"w": "Алматы", "weight": 1.0},
        {"w": "Тараз", "weight": 2.0},
        {"w": "Байқоңыр", "weight": 3.0},
    ]
    res = runner.invoke(app, ["words", str(proj), "list"])
    assert res.output.splitlines() == [
        "Жамбыл", "Алматы", "Тараз\t2", "Байқоңыр\t3", "(Whisper prompt: off)"
    ]  # fmt: skip
    res = runner.invoke(app, ["words", str(proj), "remove", "алматы", "Астана"])
    assert res.exit_code == 0 and "Not in the list: астана" in res.output
    res = runner.invoke(app, ["words", str(proj), "add"])
    assert res.exit_code != 0
    res = runner.invoke(app, ["words", str(proj), "add", "X", "--weight", "0"])
    assert res.exit_code == 1 and "weight" in res.output
    res = runner.invoke(app, ["words", str(proj), "import", str(tmp_path / "none.txt")])
    assert res.exit_code == 1 and "Cannot read the word file" in res.output
    res = runner.invoke(app, ["words", str(proj), "prompt", "on"])
    assert res.exit_code == 0 and "on" in res.output
    assert "Whisper prompt: on" in runner.invoke(app, ["words", str(proj), "list"]).output
    assert runner.invoke(app, ["words", str(proj), "prompt", "maybe"]).exit_code != 0
    res = runner.invoke(app, ["words", str(proj), "clear"])
    assert res.exit_code == 0 and "3 word(s)" in res.output
    assert "empty" in runner.invoke(app, ["words", str(proj), "list"]).output


def test_transcribe_options_override_the_project_list(tmp_path: Path) -> None:
    assert bias_override(None, None, False) is None  # the project's list
    assert bias_override(None, None, True) is None  # (use_bias=False says none)
    f = tmp_path / "w.txt"
    f.write_text("Тараз;2\n", encoding="utf-8")
    assert bias_override("Жамбыл, Алматы,", f, False) == (
        ("Жамбыл", 1.0),
        ("Алматы", 1.0),
        ("Тараз", 2.0),
    )
    assert bias_override("", None, False) == ()  # an explicit empty list: no words
    with pytest.raises(typer.BadParameter):
        bias_override("Жамбыл", None, True)


class RecordingEngine(FakeEngine):
    def __init__(self) -> None:
        super().__init__()
        self.options: list[object] = []

    def transcribe(self, audio, options):
        self.options.append(options)
        return super().transcribe(audio, options)


@pytest.fixture
def recording(project: Project, tmp_path: Path) -> int:
    path = tmp_path / "tone.wav"
    t = np.arange(32000) / 16000
    sf.write(path, (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16000)
    return RecordingService(project).import_file(path).id


@pytest.mark.parametrize(
    ("kw", "expected", "prompt"),
    [
        ({}, (("Жамбыл", 2.0), ("Алматы", 1.0)), True),
        ({"bias_prompt": False}, (("Жамбыл", 2.0), ("Алматы", 1.0)), False),
        ({"bias_words": (("Тараз", 1.0),)}, (("Тараз", 1.0),), True),
        ({"bias_words": ()}, None, False),
        ({"use_bias": False}, None, False),
    ],
)
def test_the_word_list_reaches_the_engine(
    project: Project, recording: int, tmp_path: Path, kw, expected, prompt
) -> None:
    save_words(project, [BiasWord("Жамбыл", 2.0), BiasWord("Алматы")], prompt=True)
    engine = RecordingEngine()
    registry, engines = fake_model(engine, tmp_path)
    request = TranscribeRequest(recording_id=recording, preset="fast", vad=False, **kw)
    transcribe_recording(project, request, registry=registry(), engines=engines)
    (options,) = engine.options
    got = options.bias.words if options.bias is not None else None
    assert got == expected
    assert bool(options.bias and options.bias.prompt) == prompt
    with project.unit() as s:
        job = s.scalars(select(Job).where(Job.kind == "transcribe")).one()
        assert job.params["bias_words"] == (len(expected) if expected else 0)
        assert job.params["bias_prompt"] == prompt
