"""Keyboard shortcuts (real key presses), the help panel, speakers and search."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from desktop_app.core.settings import Settings
from desktop_app.gui import shortcuts
from desktop_app.gui.dialogs.help_dialog import HelpDialog, shortcuts_html
from desktop_app.gui.review.segment_table_model import Col

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def press(qtbot, window, key, mods=Qt.KeyboardModifier.NoModifier) -> None:
    """A key press as the user makes it (shortcuts need the window active)."""
    if QApplication.activeWindow() is not window:
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    target = QApplication.focusWidget() or window.transcript.view
    qtbot.keyClick(target, key, mods)


def type_text(widget, text: str) -> None:
    """Type non-Latin text (QTest.keyClicks only handles Latin-1)."""
    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, ch))


def test_keyboard_review_flow(window, qtbot) -> None:
    window.settings.auto_advance = False
    window.transcript.view.setFocus()
    model = window.segment_model
    first, second = model.segment(0), model.segment(1)
    press(qtbot, window, Qt.Key.Key_Down, CTRL)  # next segment
    assert window.transcript.current_segment().id == second.id
    press(qtbot, window, Qt.Key.Key_Up, CTRL)  # previous segment
    assert window.transcript.current_segment().id == first.id
    press(qtbot, window, Qt.Key.Key_Return, CTRL)  # approve and next
    assert model.segment(0).status == "approved"
    assert window.transcript.current_segment().id == second.id
    press(qtbot, window, Qt.Key.Key_R, CTRL | SHIFT)  # language: Russian
    assert model.segment(1).language == "ru"
    press(qtbot, window, Qt.Key.Key_Z, CTRL)  # undo
    assert model.segment(1).language == "kk"
    press(qtbot, window, Qt.Key.Key_Z, CTRL | SHIFT)  # redo
    assert model.segment(1).language == "ru"


def test_typing_edits_the_text_and_enter_saves(window, qtbot) -> None:
    view = window.transcript.view
    window.transcript.select_row(0)
    view.setCurrentIndex(window.segment_model.index(0, Col.TEXT))
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_F2)
    editor = window.transcript.text_delegate.active_editor
    assert editor is not None
    editor.selectAll()
    type_text(editor, "қазақ тілі")
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # the delegate commits from the event loop
    qtbot.waitUntil(lambda: window.segment_model.segment(0).text == "қазақ тілі")
    assert window.segment_model.segment(0).status == "edited"


def test_split_and_merge_keys(window, qtbot) -> None:
    window.transcript.view.setFocus()
    window.review.seek(2000)
    press(qtbot, window, Qt.Key.Key_B, CTRL)
    assert window.segment_model.rowCount() == 3
    window.transcript.select_row(0)
    press(qtbot, window, Qt.Key.Key_M, CTRL)
    assert window.segment_model.rowCount() == 2


def test_f1_opens_the_help(window, qtbot, monkeypatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(HelpDialog, "exec", lambda self: shown.append(self.browser.toPlainText()))
    window.transcript.view.setFocus()
    press(qtbot, window, Qt.Key.Key_F1)
    assert shown and "Split at playhead" in shown[0]
    assert "pitch changes with the speed" in shown[0]


def test_custom_shortcut_from_settings(make_window, project_path, qtbot) -> None:
    settings = Settings(shortcuts={"next_segment": "Ctrl+J"}, auto_advance=False)
    w = make_window(project_path, settings)
    assert w.actions["next_segment"].shortcut().toString() == "Ctrl+J"
    w.transcript.view.setFocus()
    press(qtbot, w, Qt.Key.Key_J, CTRL)
    assert w.transcript.current_segment().id == w.segment_model.segment(1).id
    w.close()


def test_shortcut_registry() -> None:
    keys = shortcuts.effective_keys({"split": "ctrl+k", "bogus": "X"})
    assert keys["split"] == "Ctrl+K" and "bogus" not in keys
    assert shortcuts.overrides_for(keys) == {"split": "Ctrl+K"}
    assert shortcuts.conflicts(shortcuts.effective_keys({})) == {}
    clash = shortcuts.effective_keys({"merge": "Ctrl+B"})
    assert shortcuts.conflicts(clash) == {"Ctrl+B": ["split", "merge"]}
    html = shortcuts_html(keys)
    assert "Ctrl+K" in html and "Approve and next" in html


def test_speaker_create_rename_merge_and_undo(window, answers) -> None:
    panel = window.speakers
    model = panel.model
    names = [model.speaker(r).name for r in range(model.rowCount())]
    assert names == sorted(names) and len(names) == 4
    answers.texts.append("Айгүл")
    created = panel.create()
    assert created is not None and model.rowCount() == 5
    answers.texts.append("Айгүл Серікқызы")
    panel.rename()
    assert window.session.speaker_names()[created.id] == "Айгүл Серікқызы"
    # merge the first clip's speaker into the new one: every segment moves
    source_id = window.segment_model.segment(0).speaker_id
    panel.view.setCurrentIndex(model.index(model.row_of(source_id)))
    answers.choices.append("Айгүл Серікқызы")
    panel.merge()
    assert model.row_of(source_id) == -1
    assert {s.speaker_id for s in window.segment_model.segments} == {created.id}
    text = window.segment_model.data(window.segment_model.index(0, Col.SPEAKER))
    assert text == "Айгүл Серікқызы"
    window.actions["undo"].trigger()
    assert model.row_of(source_id) >= 0
    assert {s.speaker_id for s in window.segment_model.segments} == {source_id}


def test_duplicate_speaker_name_is_explained(window, answers) -> None:
    existing = window.speakers.model.speaker(0).name
    answers.texts.append(existing)
    assert window.speakers.create() is None
    assert "already exists" in window.statusBar().currentMessage()


def test_search_jumps_to_hit_in_another_recording(window, qtbot, fake_output) -> None:
    panel = window.search
    panel.query.setText("алматы")
    panel.run_search()
    assert panel.model.rowCount() >= 1
    hit = panel.current_hit()
    assert hit.recording_id == 2
    assert panel.model.index(0, 1).data().casefold().startswith("алматы")  # the match column
    with qtbot.waitSignal(panel.jump_requested):
        panel.query.returnPressed.emit()
    assert window.review.recording.id == 2
    assert window.recordings.current_id() == 2
    assert window.transcript.current_segment().id == hit.segment_id
    assert window.player.position_ms == hit.start_ms
    # play hit: the hit's segment and nothing else
    panel.play_button.click()
    qtbot.waitUntil(lambda: bool(fake_output.streams) and not window.player.is_playing)
    assert fake_output.last.frames == (hit.end_ms - hit.start_ms) * 16


def test_search_finds_other_tiers_and_switches(window) -> None:
    window.search.query.setText("айгүл")  # only the reference tier spells it right
    window.search.run_search()
    hit = window.search.current_hit()
    assert hit is not None
    assert window.jump_to_hit(hit)
    assert window.review.tier_id != window.session.default_tier_id()
    assert window.transcript.current_segment().id == hit.segment_id
