"""Recordings with the same title are told apart everywhere, and a title is
renamed in place in the recordings list (F2 or a double-click)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from desktop_app.core.project import Project
from desktop_app.core.services.recordings import RecordingMeta, RecordingService

LABELS = ["interview (1)", "interview (2)", "interview (3)", "Қонақ (guest)"]


@pytest.fixture
def interviews(project_path: Path) -> Path:
    """The demo project with its first three recordings all called "interview"."""
    project = Project.open(project_path)
    service = RecordingService(project)
    for rec in service.list()[:3]:
        service.update(rec.id, RecordingMeta(title="interview"))
    service.update(service.list()[3].id, RecordingMeta(title="Қонақ (guest)"))
    project.close()
    return project_path


def title_editor(view) -> QLineEdit:
    """The open title editor (a closed one may linger until deleted)."""
    (editor,) = [e for e in view.findChildren(QLineEdit) if e.isVisible()]
    return editor


def shown_labels(window) -> list[str]:
    model = window.recordings.model
    return [model.index(r).data() for r in range(model.rowCount())]


def test_the_list_and_the_transcript_title_number_same_titles(make_window, interviews) -> None:
    window = make_window(interviews)
    assert shown_labels(window) == LABELS
    model = window.recordings.model
    tip = model.index(1).data(Qt.ItemDataRole.ToolTipRole)
    assert "interview (2)" in tip and "recording #2" in tip
    window.recordings.select(2)
    assert window.transcript.title.text() == "Transcript — interview (2)"
    # the file name is drawn beside a numbered label
    grab = window.recordings.view.viewport().grab()
    assert not grab.isNull()
    window.close()


def test_search_hits_and_the_import_dialog_use_the_labels(make_window, interviews) -> None:
    from desktop_app.gui.interop.interop_import_dialog import ImportAnnotationsDialog

    window = make_window(interviews)
    window.search.query.setText("алматы")
    window.search.run_search()
    hit = window.search.current_hit()
    from desktop_app.gui.panels.concordance_model import KwicCol

    recording_cell = window.search.model.index(0, KwicCol.RECORDING).data()
    assert hit.recording_id == 2 and recording_cell == "interview (2)"
    dialog = ImportAnnotationsDialog(window.session, window.runner, window)
    items = [dialog.recording.itemText(i) for i in range(dialog.recording.count())]
    assert [i.split(" — ")[0] for i in items] == LABELS
    files = [r.original_filename for r in window.session.recording_list()]
    assert [i.split(" — ")[1] for i in items] == files
    dialog.close()
    window.close()


def test_jobs_are_named_after_the_label(make_window, interviews, qtbot, fake_asr, tmp_path):
    window = make_window(interviews)
    window.recordings.select(2)
    job = window.ops.transcribe_current()
    assert job.title == "Transcribe interview (2)"
    with qtbot.waitSignal(job.finished, timeout=10_000):
        pass
    assert window.actions["undo"].text() == "&Undo Transcribe interview (2)"
    files = []
    for folder in ("day1", "day2"):
        (tmp_path / folder).mkdir()
        path = tmp_path / folder / "interview.wav"
        sf.write(path, np.sin(np.arange(8000 * (len(files) + 1)) / 5) * 0.3, 16000)
        files.append(path)
    jobs = window.ops.import_audio(files)
    assert [j.title for j in jobs] == [
        "Import day1/interview.wav",
        "Import day2/interview.wav",
    ]
    for j in jobs:
        qtbot.waitUntil(lambda j=j: j.status.finished, timeout=20_000)
    qtbot.waitUntil(lambda: window.recordings.model.rowCount() == 6)
    assert shown_labels(window)[4:] == ["interview (4)", "interview (5)"]
    window.close()


def test_f2_renames_the_current_recording_in_place(make_window, interviews, qtbot) -> None:
    window = make_window(interviews)
    view = window.recordings.view
    window.recordings.select(2)
    view.setFocus()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    qtbot.keyClick(view, Qt.Key.Key_F2)
    assert window.recordings.is_renaming()
    editor = title_editor(view)
    assert editor is not None and editor.text() == "interview"  # the title, not the label
    assert not window.transcript.is_editing()  # F2 here is not "edit the segment's text"
    editor.setText("Әңгіме, 2-күн")  # (QtTest types ASCII only)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.session.recordings.get(2).title == "Әңгіме, 2-күн")
    assert shown_labels(window) == ["interview (1)", "Әңгіме, 2-күн", "interview (2)", LABELS[3]]
    assert window.transcript.title.text() == "Transcript — Әңгіме, 2-күн"
    # Esc cancels
    qtbot.keyClick(view, Qt.Key.Key_F2)
    editor = title_editor(view)
    qtbot.keyClicks(editor, " (draft)")
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not window.recordings.is_renaming())
    assert window.session.recordings.get(2).title == "Әңгіме, 2-күн"
    window.close()


def test_double_click_renames_and_an_empty_title_is_refused(make_window, interviews, qtbot):
    window = make_window(interviews)
    view = window.recordings.view
    rect = view.visualRect(window.recordings.model.index(2))
    left = Qt.MouseButton.LeftButton
    qtbot.mouseClick(view.viewport(), left, pos=QPoint(rect.center()))  # (a double-click's
    qtbot.mouseDClick(view.viewport(), left, pos=QPoint(rect.center()))  # first press)
    assert window.recordings.is_renaming()
    editor = title_editor(view)
    editor.clear()
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not window.recordings.is_renaming())
    assert window.session.recordings.get(3).title == "interview"  # nothing saved
    window.recordings.model.setData(window.recordings.model.index(2), "   ")
    assert window.session.recordings.get(3).title == "interview"
    window.ops.update_recording(3, RecordingMeta(title=" "))
    assert "needs a title" in window.statusBar().currentMessage()
    window.close()
