"""The export and import dialogs drive the same jobs as the CLI, with progress."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt

from desktop_app.core.interop.exporter import ExportOptions, export_project
from desktop_app.gui.interop.interop_dialogs import ExportDialog
from desktop_app.gui.interop.interop_import_dialog import ImportAnnotationsDialog
from desktop_app.gui.session import ProjectSession
from desktop_app.gui.workers import JobRunner, JobStatus
from tests.interop.conftest import Annotated, canonical


def test_export_dialog_runs_a_job(qtbot, annotated: Annotated, tmp_path: Path) -> None:
    session = ProjectSession(annotated.project)
    runner = JobRunner()
    dlg = ExportDialog(session, runner)
    qtbot.addWidget(dlg)
    dlg.format_box.setCurrentIndex(dlg.format_box.findData("jsonl"))
    # a dataset: only what a person checked, and the dialog says what that leaves out
    assert [s for s, box in dlg.statuses.items() if box.isChecked()] == ["approved"]
    assert "1 model draft" in dlg.counts.text() and "5 edited" in dlg.counts.text()
    assert "1 segment(s) included" in dlg.counts.text()
    dlg.statuses["edited"].setChecked(True)
    assert "6 segment(s) included" in dlg.counts.text()
    dlg.split.setChecked(True)
    dlg.dest.setText(str(tmp_path / "out"))
    opts = dlg.options()
    assert opts.format == "jsonl" and opts.splits is not None
    assert opts.filter.statuses == frozenset({"edited", "approved"})
    dlg.run_button.click()
    assert dlg.job is not None
    job = dlg.job
    qtbot.waitUntil(lambda: job.status.finished, timeout=20_000)
    assert job.status is JobStatus.DONE, job.error
    assert dlg.result is not None and dlg.result.segments == 6  # not the translation tier
    assert "Exported 6 segment(s)" in dlg.status.text()
    assert (tmp_path / "out" / "train.jsonl").exists()

    dlg.format_box.setCurrentIndex(dlg.format_box.findData("eaf"))  # per-recording format
    assert all(box.isChecked() for box in dlg.statuses.values())
    assert "8 segment(s) included; nothing left out" in dlg.counts.text()
    assert not dlg.split.isEnabled()
    assert not dlg.audio.model().item(dlg.audio.findData("clips")).isEnabled()
    runner.shutdown()


def test_import_dialog_maps_tiers(qtbot, annotated: Annotated, make_fresh, tmp_path: Path) -> None:
    export_project(annotated.project, tmp_path / "out", ExportOptions("textgrid"))
    fresh = make_fresh(annotated.audio)
    session = ProjectSession(fresh)
    runner = JobRunner()
    dlg = ImportAnnotationsDialog(session, runner)
    qtbot.addWidget(dlg)
    assert dlg.load(tmp_path / "out" / "interview_a.TextGrid")
    sources = [dlg.table.item(r, 1).text() for r in range(dlg.table.rowCount())]
    assert "transcription@Bolat" in sources
    row = sources.index("transcription@Bolat")
    dlg.table.cellWidget(row, 5).setCurrentText("Bolat Renamed")  # the mapping step
    skip = sources.index("translation@Айгерім")
    dlg.table.item(skip, 0).setCheckState(Qt.CheckState.Unchecked)
    dlg.run_button.click()
    job = dlg.job
    assert job is not None
    qtbot.waitUntil(lambda: job.status.finished, timeout=20_000)
    assert job.status is JobStatus.DONE, job.error
    rows = canonical(fresh)
    assert ("interview_a", 1300, 2500, "Как дела?", "Bolat Renamed", "transcription", "ru") in rows
    assert all(r[5] != "translation" for r in rows)
    assert dlg.result is not None and "Bolat Renamed" in dlg.result.speakers_created
    runner.shutdown()


def test_import_dialog_shows_a_bad_file(qtbot, annotated: Annotated, tmp_path: Path) -> None:
    bad = tmp_path / "x.eaf"
    bad.write_text("<not closed", encoding="utf-8")
    dlg = ImportAnnotationsDialog(ProjectSession(annotated.project), JobRunner())
    qtbot.addWidget(dlg)
    assert not dlg.load(bad)
    assert "not valid XML" in dlg.status.text()
    assert not dlg.run_button.isEnabled()
