"""The open banner (read-only medium, damage, interrupted jobs) and Project ▸ Save a copy…."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMenu

from desktop_app.core import project_open
from desktop_app.core.project import Project
from desktop_app.core.services.job_log import JobLog
from desktop_app.core.services.segments import SegmentService
from desktop_app.core.store.schema import Job
from desktop_app.gui.dialogs.save_copy_dialog import SaveCopyDialog, open_save_copy


def _chmod_tree(folder: Path, writable: bool) -> None:
    for p in [folder, *folder.rglob("*")]:
        mode = p.stat().st_mode
        p.chmod(mode | stat.S_IWUSR if writable else mode & ~0o222)


@pytest.fixture
def read_only_path(project_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The demo project on a read-only medium (the probe answers as EROFS would, for root)."""
    _chmod_tree(project_path, writable=False)
    inside = {project_path, *project_path.rglob("*")}
    real = project_open.writable
    monkeypatch.setattr(project_open, "writable", lambda p: p not in inside and real(p))
    yield project_path
    _chmod_tree(project_path, writable=True)


def test_read_only_project_shows_the_banner_and_refuses_edits(make_window, read_only_path):
    window = make_window(read_only_path)
    assert window.session is not None and window.session.project.read_only
    assert window.banner.isVisible()
    assert "This project is on a read-only medium; changes cannot be saved" in (
        window.banner.label.text()
    )
    assert window.banner.save_copy.isVisible()
    window.settings.auto_advance = False
    window.transcript.select_row(0)
    before = window.segment_model.segment(0).status
    window.actions["approve_next"].trigger()
    assert "changes cannot be saved" in window.statusBar().currentMessage()
    assert window.segment_model.segment(0).status == before
    window.close()


def test_a_writable_project_has_no_banner(window) -> None:
    assert not window.banner.isVisible()
    assert window.session.project.open_report.notes() == []


def test_interrupted_jobs_are_shown(make_window, project_path: Path) -> None:
    with Project.open(project_path) as project:
        job_id = JobLog(project).start("transcribe", {"recording_id": 1})
        with project.unit() as s:  # as if a Jazba that has since died had run it
            job = s.get(Job, job_id)
            job.params = {**job.params, "process": {**job.params["process"], "pid": 2**22 + 7}}
    window = make_window(project_path)
    assert window.banner.isVisible() and not window.banner.save_copy.isVisible()
    assert "marked interrupted: transcribe (recording #1)" in window.banner.label.text()
    window.banner.dismiss.click()
    assert not window.banner.isVisible()
    window.close()


def test_save_a_copy_from_the_project_menu(window, qtbot, tmp_path: Path) -> None:
    menu = next(
        m
        for m in window.menuBar().findChildren(QMenu)
        if window.actions["close_project"] in m.actions()
    )
    names = [a.objectName() for a in menu.actions()]
    between = names[names.index("action_save_copy") + 1 : names.index("action_close_project")]
    assert set(between) <= {"action_project_settings", "action_vocabularies"}  # project things
    dialog = open_save_copy(window)
    assert isinstance(dialog, SaveCopyDialog)
    dialog.dest.setText(str(tmp_path / "copy"))
    dialog.run_button.click()
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=20_000)
    assert "Saved a copy to" in dialog.status.text()
    copy = tmp_path / "copy.jazba"
    with Project.open(copy) as project:
        original = SegmentService(window.session.project).list(1)
        assert [s.text for s in SegmentService(project).list(1)] == [s.text for s in original]
    dialog.close()
