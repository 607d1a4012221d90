"""*Word list…*: the project's word list edited as text, saved for later transcriptions."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog, QMenu

from desktop_app.core.services.bias_words import BiasWord, load_words, save_words, uses_prompt
from desktop_app.gui.dialogs import word_list_dialog
from desktop_app.gui.dialogs.word_list_dialog import WordListDialog


def test_the_dialog_reads_and_checks_the_text(qtbot, tmp_path: Path) -> None:
    dialog = WordListDialog([BiasWord("Жамбыл"), BiasWord("Алматы", 2.0)])
    qtbot.addWidget(dialog)
    assert dialog.editor.toPlainText() == "Жамбыл\nАлматы;2\n"
    assert dialog.count.text() == "2 word(s)"
    dialog.editor.setPlainText("Жамбыл\n  Тараз  \n\n# a comment\nЖамбыл;3\n")
    assert dialog.words() == [BiasWord("Жамбыл", 3.0), BiasWord("Тараз")]
    dialog.editor.setPlainText("Тараз;50\n")
    assert not dialog.save_button.isEnabled() and "weight" in dialog.count.text()
    dialog.editor.setPlainText("Тараз")
    names = tmp_path / "names.txt"
    names.write_text("Байқоңыр;2\nШымкент\n", encoding="utf-8")
    dialog.add_file(names)
    assert dialog.editor.toPlainText() == "Тараз\nБайқоңыр;2\nШымкент\n"
    assert dialog.save_button.isEnabled() and dialog.count.text() == "3 word(s)"


def test_the_menu_action_saves_the_projects_list(window, qtbot, monkeypatch) -> None:
    action = window.findChild(type(window.actions["transcribe"]), "action_word_list")
    menus = [m for m in window.menuBar().findChildren(QMenu) if action in m.actions()]
    assert menus and window.actions["transcribe"] in menus[0].actions()
    menus[0].aboutToShow.emit()
    assert action.isEnabled()  # a project is open
    project = window.session.project
    save_words(project, [BiasWord("Жамбыл")])

    def answer(dialog: WordListDialog) -> int:
        assert dialog.editor.toPlainText() == "Жамбыл\n"
        assert not dialog.prompt_box.isChecked()  # the prompt is opt-in
        dialog.editor.setPlainText("Жамбыл\nАлматы;2\n")
        dialog.prompt_box.setChecked(True)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(WordListDialog, "exec", answer)
    action.trigger()
    assert load_words(project) == [BiasWord("Жамбыл"), BiasWord("Алматы", 2.0)]
    assert uses_prompt(project)
    assert "2 word(s)" in window.statusBar().currentMessage()

    monkeypatch.setattr(WordListDialog, "exec", lambda d: QDialog.DialogCode.Rejected)
    action.trigger()  # cancelled: nothing changes
    assert len(load_words(project)) == 2


@pytest.mark.parametrize("weight", ["0", "11"])
def test_a_refused_list_is_not_saved(qtbot, project, monkeypatch, weight) -> None:
    save_words(project, [BiasWord("Жамбыл")])
    answers = iter([QDialog.DialogCode.Accepted, QDialog.DialogCode.Rejected])

    def answer(dialog: WordListDialog) -> int:
        dialog.editor.setPlainText(f"Тараз;{weight}\n")
        return next(answers)

    errors: list[str] = []
    monkeypatch.setattr(WordListDialog, "exec", answer)
    monkeypatch.setattr(word_list_dialog.common, "show_error", lambda _p, m: errors.append(m))
    assert word_list_dialog.edit_word_list(None, project) is None
    assert errors and "weight" in errors[0]
    assert load_words(project) == [BiasWord("Жамбыл")]
