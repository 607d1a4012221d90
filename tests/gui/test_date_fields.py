"""Date fields take only dates, show the problem under the field, and an
invalid date is never saved."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog


def _recording_dialog(window, qtbot):
    from desktop_app.gui.dialogs.recording_dialog import RecordingDialog

    dialog = RecordingDialog(window.session.recordings.get(1), window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def test_only_date_characters_can_be_typed(window, qtbot) -> None:
    dialog = _recording_dialog(window, qtbot)
    field = dialog.recorded_on
    field.edit.clear()
    qtbot.keyClicks(field.edit, "yesterday 14.07")
    assert field.edit.text() == "1407"  # letters, spaces and dots are refused
    field.edit.clear()
    qtbot.keyClicks(field.edit, "2026-07-14")
    assert field.text() == "2026-07-14" and field.is_valid()
    assert not field.problem.isVisible()
    assert dialog.ok_button.isEnabled()


def test_an_invalid_date_is_shown_inline_and_not_saved(window, qtbot) -> None:
    dialog = _recording_dialog(window, qtbot)
    field = dialog.recorded_on
    field.edit.clear()
    qtbot.keyClicks(field.edit, "2026-02-30")
    assert field.problem.isVisible()
    assert "February 2026 has days 01 to 28, not 30" in field.problem.text()
    assert not dialog.ok_button.isEnabled()
    dialog.accept()  # Enter in a field: refused, the dialog stays open
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    qtbot.keyClick(field.edit, Qt.Key.Key_Backspace)
    qtbot.keyClick(field.edit, Qt.Key.Key_Backspace)
    qtbot.keyClick(field.edit, Qt.Key.Key_Backspace)  # "2026-02": a month is a date too
    assert field.is_valid() and not field.problem.isVisible() and dialog.ok_button.isEnabled()
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert window.ops.update_recording(1, dialog.meta())
    assert window.session.recordings.get(1).recorded_on == "2026-02"


def test_a_half_typed_date_is_judged_when_editing_ends(window, qtbot) -> None:
    dialog = _recording_dialog(window, qtbot)
    field = dialog.recorded_on
    field.edit.clear()
    qtbot.keyClicks(field.edit, "2026-0")
    assert not field.problem.isVisible()  # still typing
    assert not dialog.ok_button.isEnabled()  # but not a date yet
    field.edit.editingFinished.emit()
    assert field.problem.isVisible() and "is not a date" in field.problem.text()


def test_an_old_invalid_value_is_shown_with_its_problem(window, qtbot) -> None:
    from desktop_app.core.store.schema import Recording

    with window.session.project.unit() as s:  # written before dates were checked
        s.get(Recording, 1).recorded_on = "spring 1998"
    dialog = _recording_dialog(window, qtbot)
    assert dialog.recorded_on.text() == "spring 1998"
    assert dialog.recorded_on.problem.isVisible() and not dialog.ok_button.isEnabled()


def test_the_record_dialog_keeps_no_invalid_date(window, qtbot) -> None:
    from desktop_app.gui.capture.session_meta_box import SessionMetaBox

    box = SessionMetaBox(window.session.speakers)
    qtbot.addWidget(box)
    box.show()
    box.date_edit.setText("2026-04-31")
    assert box.date_edit.problem.isVisible()
    assert "The day the recording starts is kept instead." in box.date_edit.problem.text()
    assert box.meta().recorded_on is None  # the recorder falls back to its start date
    box.date_edit.setText("2026-04-30")
    assert box.meta().recorded_on == "2026-04-30" and not box.date_edit.problem.isVisible()
