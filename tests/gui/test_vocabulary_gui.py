"""The controlled vocabularies dialog: lists, entries, order, tiers, built-ins."""

from __future__ import annotations

from PySide6.QtCore import Qt

from desktop_app.core.project import Project
from desktop_app.core.services.speakers import TierService
from desktop_app.core.services.vocabularies import VocabularyService
from desktop_app.gui.dialogs.vocabulary_dialog import FREE_TEXT, VocabularyDialog
from desktop_app.gui.session import ProjectSession


def _values(dialog: VocabularyDialog) -> list[str]:
    return [dialog.entries.item(r, 0).text() for r in range(dialog.entries.rowCount())]


def test_build_a_vocabulary_and_attach_it_to_a_tier(project: Project, qtbot) -> None:
    tier = TierService(project).create("style", kind="other")
    session = ProjectSession(project)
    dialog = VocabularyDialog(session)
    qtbot.addWidget(dialog)
    assert [cv.name for cv in dialog.vocabularies()] == ["language", "status"]  # built in
    assert dialog.current().name == "language" and not dialog.add_button.isEnabled()
    cv = dialog.create("speech style")
    assert cv is not None and dialog.current().id == cv.id and dialog.add_button.isEnabled()
    for value in ("read", "spontaneous", "sung"):
        qtbot.keyClicks(dialog.new_value, value)
        qtbot.keyClick(dialog.new_value, Qt.Key.Key_Return)  # Enter adds
    assert _values(dialog) == ["read", "spontaneous", "sung"]
    dialog.entries.setCurrentCell(2, 0)
    dialog.move(-1)
    assert _values(dialog) == ["read", "sung", "spontaneous"]
    assert dialog.entries.currentRow() == 1  # the moved value stays selected
    dialog.entries.item(0, 1).setText("read aloud from a prompt")  # edit in place
    dialog.entries.item(1, 0).setText("read")  # a duplicate: refused and shown
    assert "already in this vocabulary" in dialog.problem.text()
    qtbot.waitUntil(lambda: _values(dialog) == ["read", "sung", "spontaneous"])  # reloaded
    assert dialog.entries.currentRow() == 1
    service = VocabularyService(project)
    assert service.get(cv.id).entries[0].description == "read aloud from a prompt"
    dialog.entries.setCurrentCell(2, 0)
    dialog.remove_entry()
    assert service.get(cv.id).values() == ["read", "sung"]

    combo = dialog.tier_combos[tier.id]
    assert combo.currentText() == FREE_TEXT
    combo.setCurrentIndex(combo.findData(cv.id))
    assert service.choices(tier.id) == ["read", "sung"]
    assert "Used by: style." in dialog.note.text()
    dialog.delete(confirmed=True)
    assert service.choices(tier.id) is None
    assert dialog.tier_combos[tier.id].currentText() == FREE_TEXT
    session.close()


def test_builtins_are_read_only_in_the_dialog(project: Project, qtbot) -> None:
    session = ProjectSession(project)
    dialog = VocabularyDialog(session)
    qtbot.addWidget(dialog)
    dialog.cv_list.setCurrentRow(1)
    assert dialog.current().name == "status"
    assert _values(dialog) == ["auto", "edited", "approved"]
    flags = dialog.entries.item(0, 0).flags()
    assert not flags & Qt.ItemFlag.ItemIsEditable
    assert not dialog.rename_cv.isEnabled() and not dialog.remove_button.isEnabled()
    assert "cannot be changed" in dialog.note.text()
    session.close()
