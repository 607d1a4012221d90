"""The main window on a real (temporary) demo project: open, edit, undo, reopen."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from desktop_app.core.project import Project
from desktop_app.core.services.segments import SegmentService
from desktop_app.core.settings import Settings, load_settings
from desktop_app.gui.panels.recordings_panel import progress_text
from desktop_app.gui.review.segment_table_model import LOW_WORDS_ROLE, Col


def segments_in_db(path: Path, recording_id: int, tier_id: int):
    with Project.open(path) as p:
        return SegmentService(p).list(recording_id, tier_id)


def test_opens_project_with_recordings_and_transcript(window) -> None:
    assert window.session is not None
    assert window.windowTitle().startswith("Jazba demo")
    model = window.recordings.model
    assert model.rowCount() == 4
    first = model.recording(0)
    assert first.title.startswith("Сәлемдесу")
    assert window.review.recording.id == first.id
    # the transcription tier is shown, with the draft's two segments
    assert window.tier_box.currentText() == "transcription"
    assert window.segment_model.rowCount() == 2
    assert window.waveform.peaks is not None
    assert window.transcript.current_segment().start_ms == 600


def test_recording_progress_text() -> None:
    assert progress_text({}) == "untranscribed"
    assert progress_text({"auto": 3, "approved": 1}) == "3 auto · 0 edited · 1 approved"


def test_selecting_a_recording_shows_its_segments(window, qtbot) -> None:
    window.recordings.select(2)
    assert window.review.recording.id == 2
    assert window.segment_model.rowCount() == 3
    assert window.transcript.title.text().startswith("Transcript — Ауа райы")


def test_inline_text_edit_is_saved_and_undoable(window, project_path) -> None:
    model = window.segment_model
    seg = model.segment(0)
    assert model.setData(model.index(0, Col.TEXT), "  сәлеметсіз бе   менің атым айгүл ")
    after = model.segment(0)
    assert after.text == "сәлеметсіз бе менің атым айгүл"
    assert after.status == "edited"
    db = segments_in_db(project_path, 1, seg.tier_id)
    assert db[0].text == "сәлеметсіз бе менің атым айгүл"
    window.actions["undo"].trigger()
    assert model.segment(0).text == seg.text
    assert model.segment(0).status == "auto"
    window.actions["redo"].trigger()
    assert model.segment(0).text == "сәлеметсіз бе менің атым айгүл"
    assert window.saved_label.text().startswith("✓ Saved")


def test_split_at_playhead_and_merge_back(window) -> None:
    model = window.segment_model
    seg = model.segment(0)
    window.review.seek(1800)
    assert window.player.position_ms == 1800
    window.actions["split"].trigger()
    assert model.rowCount() == 3
    left, right = model.segment(0), model.segment(1)
    assert (left.end_ms, right.start_ms) == (1800, 1800)
    assert left.text + " " + right.text == seg.text
    window.transcript.select_row(0)
    window.actions["merge"].trigger()
    assert model.rowCount() == 2
    assert model.segment(0).text == seg.text
    assert (model.segment(0).start_ms, model.segment(0).end_ms) == (seg.start_ms, seg.end_ms)
    # undo twice restores the original segment untouched
    window.actions["undo"].trigger()
    window.actions["undo"].trigger()
    assert model.rowCount() == 2
    assert model.segment(0) == seg


def test_split_outside_a_segment_says_why(window) -> None:
    window.review.seek(100)  # before the first segment
    window.actions["split"].trigger()
    assert window.segment_model.rowCount() == 2
    assert "not inside a segment" in window.statusBar().currentMessage()


def test_approve_and_next(window) -> None:
    window.settings.auto_advance = False
    window.transcript.select_row(0)
    window.actions["approve_next"].trigger()
    assert window.segment_model.segment(0).status == "approved"
    assert window.transcript.current_segment().id == window.segment_model.segment(1).id
    assert window.recordings.model.recording(0).counts == {"approved": 1, "auto": 1}


def test_approve_commits_an_open_editor(window, qtbot) -> None:
    window.settings.auto_advance = False
    window.transcript.select_row(0)
    window.transcript.edit_text()
    editor = window.transcript.text_delegate.active_editor
    assert editor is not None
    editor.setText("жаңа мәтін")
    window.actions["approve_next"].trigger()
    seg = window.segment_model.segment(0)
    assert (seg.text, seg.status) == ("жаңа мәтін", "approved")


def test_language_and_speaker_commands(window, answers) -> None:
    window.transcript.select_row(1)
    window.actions["lang_ru"].trigger()
    assert window.segment_model.segment(1).language == "ru"
    window.actions["lang_mixed"].trigger()
    assert window.segment_model.segment(1).language == "mixed"
    answers.texts.append("Айгүл")
    sp = window.speakers.create()
    window.review.assign_speaker(sp.id)
    assert window.segment_model.segment(1).speaker_id == sp.id
    assert window.segment_model.data(window.segment_model.index(1, Col.SPEAKER)) == "Айгүл"
    window.actions["undo"].trigger()
    assert window.segment_model.segment(1).speaker_id != sp.id


def test_low_confidence_rows_and_words(window) -> None:
    from dataclasses import replace

    window.apply_settings(replace(window.settings, low_confidence=0.6, low_confidence_fixed=True))
    model = window.segment_model
    tokens = model.data(model.index(0, Col.TEXT), LOW_WORDS_ROLE)
    assert [w for w, low in tokens if low] == ["айгул"]
    assert model.data(model.index(0, Col.TEXT), Qt.ItemDataRole.BackgroundRole) is None
    window.recordings.select(2)
    low_row = 1  # "таудын басында кар жатыр", confidence 0.48
    assert model.data(model.index(low_row, Col.TEXT), Qt.ItemDataRole.BackgroundRole) is not None
    window.transcript.select_row(0)
    window.actions["next_low"].trigger()
    assert window.transcript.current_segment().id == model.segment(low_row).id


def test_add_and_delete_segment(window) -> None:
    window.review.seek(100)
    window.actions["add_segment"].trigger()
    model = window.segment_model
    assert model.rowCount() == 3
    new = model.segment(0)
    assert (new.start_ms, new.end_ms) == (100, 600)  # stops where the next one starts
    window.transcript.commit_editor()
    window.transcript.select_row(0)
    window.actions["delete_segment"].trigger()
    assert model.rowCount() == 2


def test_tier_selector_shows_reference(window) -> None:
    i = window.tier_box.findText("reference")
    window.tier_box.setCurrentIndex(i)
    window.tier_box.activated.emit(i)
    assert all(s.status == "approved" for s in window.segment_model.segments)
    assert window.segment_model.segment(0).text == "сәлеметсіз бе менің атым айгүл"


def test_history_of_a_segment(window) -> None:
    from desktop_app.gui.dialogs.history_dialog import HistoryDialog

    model = window.segment_model
    model.setData(model.index(0, Col.TEXT), "бірінші түзету")
    revisions = window.session.segments.history(model.segment(0).id)
    dialog = HistoryDialog(revisions, "History")
    assert dialog.model.rowCount() == 2
    assert dialog.model.data(dialog.model.index(0, 1)) == "text edited"
    assert dialog.model.data(dialog.model.index(0, 3)) == "бірінші түзету"
    assert "status: auto → edited" in dialog.model.data(dialog.model.index(0, 4))
    assert dialog.model.data(dialog.model.index(1, 2)) == "model (test draft)"
    dialog.deleteLater()


def test_quit_and_reopen_loses_nothing(make_window, project_path) -> None:
    settings = Settings()
    w = make_window(project_path, settings)
    model = w.segment_model
    model.setData(model.index(1, Col.TEXT), "сақталған мәтін")
    w.review.seek(2000)
    w.actions["split"].trigger()
    w.close()  # quit: closes the project, saves the settings
    assert w.session is None
    stored = load_settings()
    assert stored.recent_projects[0] == str(project_path)
    w2 = make_window(None, stored)  # reopens the most recent project
    assert w2.session is not None and w2.session.path == project_path
    texts = [s.text for s in w2.segment_model.segments]
    assert len(texts) == 3
    assert texts[2] == "сақталған мәтін"
    w2.close()


def test_welcome_page_without_project(make_window) -> None:
    w = make_window(None)
    assert w.session is None
    assert w.stack.currentWidget() is w.welcome
    assert not w.actions["split"].isEnabled()
    w.close()


def test_open_missing_project_shows_message(make_window, answers, tmp_path) -> None:
    w = make_window(None)
    assert not w.ops.open_project(tmp_path / "nothing.jazba")
    assert answers.errors and "No project" in answers.errors[0]
    w.close()


def test_transcribe_without_a_model_says_what_to_do(window, qtbot) -> None:
    job = window.ops.transcribe_current()
    assert job is not None
    with qtbot.waitSignal(job.ended, timeout=10_000):
        pass
    assert job.status.value == "failed"
    assert "No speech model is installed" in job.error
    assert "No speech model" in window.statusBar().currentMessage()


def test_transcription_fills_the_transcript_progressively(window, qtbot, monkeypatch) -> None:
    """The job writes segments through the service and reports each one; the
    transcript refreshes while it runs (the real model is tested elsewhere)."""
    from desktop_app.core.services.model_pass import PassUpdate
    from desktop_app.core.services.segments import NewSegment
    from desktop_app.gui import transcription_hook

    def fake_job(project, recording_id, settings, on_update=None):
        def run(state):
            segs = window.session.segments
            for i in range(3):
                state.check()
                start = 100 + i * 150
                result = segs.add(
                    recording_id,
                    NewSegment(start, start + 100, f"сөз {i}"),
                    status="auto",
                    source="model",
                )
                on_update(
                    PassUpdate(
                        recording_id,
                        result.operation_id,
                        (segs.get(result.segment_id),),
                        (),
                        start + 100,
                    )
                )
                state.set_progress((i + 1) / 3)
            return transcription_hook.TranscribeResult(
                recording_id=recording_id,
                model_id="fake",
                operation_id=0,
                added=3,
                skipped=0,
                language="kk",
                device="cpu",
                device_warning=None,
                audio_seconds=6.9,
                wall_seconds=0.1,
            )

        return run

    monkeypatch.setattr(transcription_hook, "transcription_job", fake_job)
    job = window.ops.transcribe_current()
    with qtbot.waitSignal(job.ended, timeout=10_000):
        pass
    assert job.status.value == "done"
    qtbot.waitUntil(lambda: window.segment_model.rowCount() == 5)
    assert "Transcribed 3 segment(s)" in window.statusBar().currentMessage()


def test_edit_recording_details(window) -> None:
    from desktop_app.core.services.recordings import RecordingMeta
    from desktop_app.gui.dialogs.recording_dialog import RecordingDialog

    dialog = RecordingDialog(window.session.recordings.get(1))
    dialog.place.setText("Алматы")
    dialog.recorded_on.setText("2026-07-14")
    meta = dialog.meta()
    dialog.deleteLater()
    assert window.ops.update_recording(1, meta)
    info = window.recordings.model.recording(0)
    assert (info.place, info.recorded_on) == ("Алматы", "2026-07-14")
    assert "Place: Алматы" in window.recordings.model.data(
        window.recordings.model.index(0), Qt.ItemDataRole.ToolTipRole
    )
    assert not window.ops.update_recording(1, RecordingMeta(title="  "))
    assert "needs a title" in window.statusBar().currentMessage()


def test_remove_recording(window, answers, project_path) -> None:
    answers.confirm = True
    assert window.review.recording.id == 1
    assert window.ops.remove_recording(1)
    assert window.recordings.model.rowCount() == 3
    assert window.review.recording is not None and window.review.recording.id == 2
    assert not list((project_path / "audio").glob("01_greeting*"))
    answers.confirm = False
    assert not window.ops.remove_recording(2)
    assert window.recordings.model.rowCount() == 3


def test_open_demo_from_the_welcome_page(make_window, qtbot) -> None:
    from desktop_app.core.demo import default_demo_path

    w = make_window(None)
    job = w.ops.open_demo()  # built in the test's data dir, as a job
    with qtbot.waitSignal(job.finished, timeout=20_000):
        pass
    qtbot.waitUntil(lambda: w.session is not None)
    assert w.session.path == default_demo_path()
    assert w.recordings.model.rowCount() == 4
    assert w.docks["jobs"].isVisible()
    w.close()
