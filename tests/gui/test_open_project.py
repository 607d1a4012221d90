"""Open project… / New project…: the open project is closed only once the new
one has opened (a failed open leaves everything as it was)."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from desktop_app.gui.dialogs import common as dialogs


def _still_usable(window, path: Path) -> None:
    session = window.session
    assert session is not None and session.path == path
    assert window.stack.currentIndex() == 1
    assert len(session.recording_list()) == 4  # the database is still open
    assert window.windowTitle().startswith(session.name)


def test_a_failed_open_keeps_the_open_project(window, answers, project_path, tmp_path) -> None:
    not_a_project = tmp_path / "holiday photos"
    not_a_project.mkdir()
    before = window.session
    assert not window.ops.open_project(not_a_project)
    assert answers.errors and "not a Jazba project" in answers.errors[0]
    assert window.session is before
    _still_usable(window, project_path)


def test_a_damaged_project_does_not_close_the_open_one(
    window, answers, project_path, tmp_path
) -> None:
    damaged = tmp_path / "damaged.jazba"
    damaged.mkdir()
    (damaged / "project.sqlite").write_bytes(b"this is not a database" * 100)
    assert not window.ops.open_project(damaged)
    assert answers.errors
    _still_usable(window, project_path)


def test_a_failed_new_project_keeps_the_open_project(
    window, answers, project_path, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = tmp_path / "taken.jazba"
    taken.mkdir()
    (taken / "notes.txt").write_text("someone's files")
    monkeypatch.setattr(dialogs, "ask_new_project", lambda *_a, **_k: taken)
    window.ops.new_project()
    assert answers.errors and "already exists" in answers.errors[0]
    _still_usable(window, project_path)
    assert (taken / "notes.txt").read_text() == "someone's files"


def test_opening_another_project_closes_the_old_one(window, project_path, tmp_path) -> None:
    other = tmp_path / "other.jazba"
    shutil.copytree(project_path, other)
    old = window.session
    assert window.ops.open_project(other)
    assert window.session is not old and window.session.path == other
    assert window.ops.open_project(other)  # already open: nothing happens
    assert window.session.path == other


def test_declining_to_cancel_jobs_keeps_everything(
    window, answers, project_path, tmp_path, qtbot
) -> None:
    other = tmp_path / "other.jazba"
    shutil.copytree(project_path, other)
    release = threading.Event()
    job = window.runner.start("Busy", lambda state: release.wait(10))
    qtbot.waitUntil(lambda: job.status.value == "running", timeout=5000)
    answers.confirm = False
    assert not window.ops.open_project(other)
    assert window.session.path == project_path and not job.status.finished
    release.set()
    qtbot.waitUntil(lambda: job.status.finished, timeout=5000)
