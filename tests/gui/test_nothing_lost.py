"""Nothing a user did is lost: re-transcription, edits during a job, typing when
the app dies, and the undo history across a restart (issue 16's three cases)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from desktop_app.core.project import Project
from desktop_app.core.services.drafts import DraftService
from desktop_app.core.services.segments import SegmentService
from desktop_app.gui.review.draft_journal import SAVE_DELAY_MS
from desktop_app.gui.review.segment_table_model import Col

BURSTS = 14


def bursts_wav(path: Path, n: int = BURSTS) -> Path:
    """``n`` one-second tones with 0.6 s pauses: the fake model's ``n`` segments."""
    sr = 16_000
    t = np.arange(sr) / sr
    tone = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    pause = np.zeros(int(0.6 * sr), np.float32)
    sf.write(path, np.concatenate([np.concatenate([tone, pause]) for _ in range(n)]), sr)
    return path


def texts(window) -> list[str]:
    return [s.text for s in window.segment_model.segments]


def type_text(widget, text: str) -> None:
    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, ch))


def transcribed(window, qtbot, job) -> None:
    qtbot.waitUntil(lambda: job.status.finished, timeout=30_000)
    qtbot.wait(50)  # the queued end-of-job slots


def long_recording(window, qtbot, tmp_path: Path, fake_asr) -> int:
    """A recording with a 14-segment first draft, shown in the window."""
    info = window.session.recordings.import_file(bursts_wav(tmp_path / "interview.wav"))
    window.session.recordings_changed.emit()
    window.recordings.select(info.id)
    transcribed(window, qtbot, window.ops.transcribe_current())
    assert len(texts(window)) == BURSTS and fake_asr.calls == 1
    return info.id


def test_cancelling_a_retranscription_keeps_the_rest_of_the_draft(
    window, qtbot, tmp_path, fake_asr
) -> None:
    """Before: Cancel at a few per cent left 5 of 14 segments. Now: 14, old after the cut."""
    rec = long_recording(window, qtbot, tmp_path, fake_asr)
    first = [(s.start_ms, s.text) for s in window.segment_model.segments]
    fake_asr.delay = 0.3
    job = window.ops.transcribe_current()
    qtbot.waitUntil(lambda: job.relay.done_ms > 0, timeout=10_000)  # a first range swapped in
    assert window.transcript.banner.isVisible()
    assert "You can keep working" in window.transcript.banner.label.text()
    with qtbot.waitSignal(job.cancelled, timeout=10_000):
        job.cancel()
    qtbot.wait(50)
    stored = window.session.segments.list(rec)
    assert len(stored) == BURSTS  # nothing missing, nothing doubled
    assert [s.start_ms for s in stored] == [start for start, _ in first]
    done = job.relay.done_ms
    assert 0 < done < stored[-1].start_ms
    old_ids = {s.id for s in stored if s.start_ms >= done}
    assert len(old_ids) >= BURSTS - 4  # the untouched range still has its old segments
    note = window.transcript.banner.label.text()
    assert "stopped at" in note and "the earlier draft after" in note


def test_a_speaker_set_on_a_draft_segment_survives_retranscription(
    window, qtbot, answers, fake_asr
) -> None:
    """Before: a speaker set on an 'auto' segment was lost. Now the touch protects it,
    and the window says what a new pass will keep before it starts."""
    seg = window.segment_model.segment(0)
    assert seg.status == "auto"
    speaker = window.session.speakers.create("Айгүл")
    window.transcript.select_row(0)
    window.review.assign_speaker(speaker.id)
    assert window.segment_model.segment(0).status == "edited"

    answers.confirm = False  # first: say no to the question
    assert window.ops.transcribe_current() is None
    assert "1 segment(s) you edited" in answers.asked[-1]
    answers.confirm = True
    transcribed(window, qtbot, window.ops.transcribe_current())
    kept = window.session.segments.get(seg.id)
    assert (kept.text, kept.speaker_id, kept.status) == (seg.text, speaker.id, "edited")


def test_an_edit_made_while_the_same_recording_is_transcribed_is_kept(
    window, qtbot, tmp_path, answers, fake_asr
) -> None:
    """Before: "There is no segment #12." and the typed text was gone. Now the
    table keeps the editor open, and the person's text wins over the new draft."""
    rec = long_recording(window, qtbot, tmp_path, fake_asr)
    target_row = 3
    target = window.segment_model.segment(target_row)
    fake_asr.delay = 0.25
    job = window.ops.transcribe_current()
    window.transcript.select_row(target_row)
    view = window.transcript.view
    view.setCurrentIndex(window.segment_model.index(target_row, Col.TEXT))
    window.transcript.edit_text()
    editor = window.transcript.text_delegate.active_editor
    assert editor is not None
    editor.selectAll()
    type_text(editor, "адам жазған мәтін")
    # the pass goes past this segment and replaces it while the editor is open
    qtbot.waitUntil(lambda: job.relay.done_ms > target.end_ms, timeout=20_000)
    assert window.transcript.text_delegate.active_editor is editor  # not closed under us
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    transcribed(window, qtbot, job)
    stored = window.session.segments.list(rec)
    mine = [s for s in stored if s.text == "адам жазған мәтін"]
    assert len(mine) == 1 and mine[0].status == "edited" and mine[0].id == target.id
    assert not [
        s
        for s in stored
        if s.id != target.id and s.start_ms < mine[0].end_ms and s.end_ms > mine[0].start_ms
    ]  # no model segment on top of it
    assert not answers.errors and "⚠" not in window.statusBar().currentMessage()
    assert not window.session.drafts.pending()


def test_text_in_the_editor_survives_the_app_dying(
    make_window, qtbot, answers, project_path
) -> None:
    window = make_window(project_path)
    window.transcript.select_row(1)
    window.transcript.edit_text()
    editor = window.transcript.text_delegate.active_editor
    editor.selectAll()
    type_text(editor, "сақталмаған сөйлем")
    qtbot.wait(SAVE_DELAY_MS + 300)  # a pause in typing: journalled
    seg_id = window.segment_model.segment(1).id
    with Project.open(project_path) as other:  # as the next start would see it
        [draft] = DraftService(other).pending()
        assert (draft.segment_id, draft.text) == (seg_id, "сақталмаған сөйлем")

    # The app "dies" with the editor open (no commit): a new window opens the project.
    answers.actions = [0]  # Restore my text
    again = make_window(project_path)
    qtbot.waitUntil(lambda: not again.session.drafts.pending(), timeout=5000)
    assert "closed while you were typing in 1 segment" in answers.asked[-1]
    restored = again.session.segments.get(seg_id)
    assert (restored.text, restored.status) == ("сақталмаған сөйлем", "edited")
    assert again.actions["undo"].text() == "&Undo Restore unsaved text"
    window.transcript.text_delegate.active_editor = None
    window.close()
    again.close()


def test_esc_discards_and_enter_saves_without_leaving_a_draft(window, qtbot) -> None:
    for key, expected in ((Qt.Key.Key_Escape, None), (Qt.Key.Key_Return, "жаңа")):
        window.transcript.select_row(0)
        window.transcript.edit_text()
        editor = window.transcript.text_delegate.active_editor
        editor.selectAll()
        type_text(editor, "жаңа")
        qtbot.wait(SAVE_DELAY_MS + 200)
        assert window.session.drafts.pending()
        qtbot.keyClick(editor, key)
        qtbot.waitUntil(lambda: not window.transcript.is_editing())
        assert window.session.drafts.pending() == []
        if expected:
            qtbot.waitUntil(lambda e=expected: window.segment_model.segment(0).text == e)


def test_the_undo_history_survives_a_restart(make_window, qtbot, project_path) -> None:
    window = make_window(project_path)
    model = window.segment_model
    before = model.segment(0).text
    model.setData(model.index(0, Col.TEXT), "түзетілген мәтін")
    window.close()

    again = make_window(project_path)
    assert again.actions["undo"].text() == "&Undo Edit text"
    again.actions["undo"].trigger()
    assert again.segment_model.segment(0).text == before
    assert again.actions["redo"].text() == "&Redo Edit text"
    again.close()
    third = make_window(project_path)  # an undone step can still be redone after a restart
    third.actions["redo"].trigger()
    assert third.segment_model.segment(0).text == "түзетілген мәтін"
    third.close()


def test_restore_an_earlier_version_from_the_history(window, monkeypatch) -> None:
    from desktop_app.gui.dialogs import history_dialog

    model = window.segment_model
    original = model.segment(0).text
    model.setData(model.index(0, Col.TEXT), "бірінші түзету")
    model.setData(model.index(0, Col.TEXT), "екінші түзету")
    window.transcript.select_row(0)

    def pick_oldest(dialog):
        dialog.view.selectRow(dialog.model.rowCount() - 1)  # the oldest version
        assert dialog.restore_button.isEnabled()
        dialog.restore_button.click()
        return dialog.result()

    monkeypatch.setattr(history_dialog.HistoryDialog, "exec", pick_oldest)
    window.show_history()
    assert model.segment(0).text == original and model.segment(0).status == "edited"
    window.actions["undo"].trigger()
    assert model.segment(0).text == "екінші түзету"


def test_a_person_cannot_set_a_segment_back_to_auto(window) -> None:
    delegate = window.transcript.view.itemDelegateForColumn(Col.STATUS)
    assert [value for _label, value in delegate.choices()] == ["edited", "approved"]
    seg = window.segment_model.segment(0)
    window.editor.set_status([seg.id], "edited")
    assert window.editor.set_status([seg.id], "auto") is None
    assert SegmentService(window.session.project).get(seg.id).status == "edited"


def test_a_draft_the_project_was_too_busy_to_take_is_written_later(
    window, qtbot, monkeypatch
) -> None:
    from desktop_app.core.errors import ProjectBusyError
    from desktop_app.gui.review import draft_journal

    monkeypatch.setattr(draft_journal, "RETRY_MS", 100)
    window.transcript.journal._retry.setInterval(100)
    real_save = DraftService.save
    refusals = [2]

    def busy_twice(self, *args):
        if refusals[0]:
            refusals[0] -= 1
            raise ProjectBusyError("The project 'demo' is busy with import (big.eaf).")
        return real_save(self, *args)

    monkeypatch.setattr(DraftService, "save", busy_twice)
    window.transcript.select_row(0)
    window.transcript.edit_text()
    editor = window.transcript.text_delegate.active_editor
    editor.selectAll()
    type_text(editor, "кейін сақталады")
    qtbot.waitUntil(lambda: bool(window.session.drafts.pending()), timeout=5000)
    assert refusals == [0]
    assert window.session.drafts.pending()[0].text == "кейін сақталады"
