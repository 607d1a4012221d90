"""The participant form, the speakers panel's F2, and the project's language list dialog."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from desktop_app.core.project import Project
from desktop_app.core.services.languages import Language, LanguageService
from desktop_app.core.services.speakers import SpeakerService
from desktop_app.core.services.vocabularies import VocabularyService
from desktop_app.gui.dialogs.participant_dialog import NO_YEAR, ParticipantDialog
from desktop_app.gui.dialogs.project_settings_dialog import ProjectSettingsDialog
from desktop_app.gui.panels.speakers_panel import SpeakersPanel
from desktop_app.gui.session import ProjectSession

LANGS = [Language("kk", "Kazakh"), Language("ru", "Russian"), Language("en", "English")]


def _tick(dialog: ParticipantDialog, codes: list[str]) -> None:
    for i in range(dialog.l1.count()):
        item = dialog.l1.item(i)
        on = item.data(Qt.ItemDataRole.UserRole) in codes
        item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)


def test_form_is_typed_with_the_keyboard_and_saves_only_changes(project: Project, qtbot) -> None:
    service = SpeakerService(project)
    sp = service.create("Айгүл", dialect="оңтүстік", l1="kk,tt")
    saved: list[dict[str, Any]] = []
    dialog = ParticipantDialog(
        sp, LANGS, lambda f: service.check(f)[1], lambda f: saved.append(f), None
    )
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.birth_year.value() == NO_YEAR and dialog.birth_year.text() == "unknown"
    assert dialog.l1_other.text() == "tt"  # a code not on the list stays, in the other box
    assert dialog.first_languages() == "kk,tt"
    dialog.gender.setFocus()
    qtbot.keyClicks(dialog.gender.lineEdit(), "female")
    dialog.birth_year.lineEdit().selectAll()
    qtbot.keyClicks(dialog.birth_year.lineEdit(), "1988")
    dialog.region.setText("Шымкент")  # (QtTest types ASCII only)
    _tick(dialog, ["ru", "kk"])
    dialog.l1_other.clear()
    qtbot.keyClick(dialog.region, Qt.Key.Key_Return)  # Enter saves
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert saved == [{"gender": "female", "birth_year": 1988, "region": "Шымкент", "l1": "kk,ru"}]


def test_refused_value_keeps_the_form_open_and_warnings_show_once(project: Project, qtbot) -> None:
    service = SpeakerService(project)
    sp = service.create("Ерлан")
    dialog = ParticipantDialog(
        sp,
        LanguageService(project).list(),
        lambda f: service.check(f)[1],
        lambda f: service.update(sp.id, **f),
        None,
    )
    qtbot.addWidget(dialog)
    dialog.l1_other.setText("kk1")
    dialog.accept()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert "not a language code" in dialog.problem.text() and not dialog.problem.isHidden()
    dialog.l1_other.setText("uz")
    dialog.accept()  # a warning: shown, not saved yet
    assert "'uz' is not on the project's language list" in dialog.problem.text()
    assert service.get(sp.id).l1 is None
    dialog.accept()  # OK again saves anyway
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert service.get(sp.id).l1 == "uz"


def test_speakers_panel_f2_opens_the_form_and_shows_details(
    project: Project, qtbot, monkeypatch
) -> None:
    session = ProjectSession(project)
    sp = session.speakers.create("Дана")
    panel = SpeakersPanel()
    qtbot.addWidget(panel)
    panel.set_session(session, None)
    panel.view.setCurrentIndex(panel.model.index(panel.model.row_of(sp.id)))

    def fill(dialog: ParticipantDialog) -> int:
        dialog.name.setText("Дана Б.")
        dialog.dialect.setText("батыс")
        dialog.birth_year.setValue(1961)
        dialog.accept()
        return dialog.result()

    monkeypatch.setattr(ParticipantDialog, "exec", fill)
    panel.show()
    qtbot.waitExposed(panel)
    panel.activateWindow()
    panel.view.setFocus()
    qtbot.waitUntil(panel.view.hasFocus)
    qtbot.keyClick(panel.view, Qt.Key.Key_F2)
    info = session.speakers.get(sp.id)
    assert (info.name, info.dialect, info.birth_year) == ("Дана Б.", "батыс", 1961)
    qtbot.waitUntil(lambda: panel.current() is not None and panel.current().name == "Дана Б.")
    tip = panel.model.data(panel.model.index(0), Qt.ItemDataRole.ToolTipRole)
    assert tip == "b. 1961, батыс"
    assert "details" in panel.buttons
    session.close()


def test_project_settings_edit_the_language_list(project: Project, qtbot) -> None:
    session = ProjectSession(project)
    VocabularyService(project).ensure_builtins()
    dialog = ProjectSettingsDialog(session)
    qtbot.addWidget(dialog)
    assert [x.code for x in dialog.languages()] == ["kk", "ru", "mixed", "en"]
    qtbot.keyClicks(dialog.new_code, "uzb")
    qtbot.keyClick(dialog.new_code, Qt.Key.Key_Return)
    assert dialog.languages()[-1] == Language("uzb", "Uzbek")
    assert not dialog.add_code("kazakh") and "not a language code" in dialog.problem.text()
    assert not dialog.add_code("kk") and "already on the list" in dialog.problem.text()
    dialog.table.setCurrentCell(2, 0)  # mixed
    dialog.remove_selected()
    dialog.table.setCurrentCell(2, 0)  # en
    dialog.move(1)
    assert [x.code for x in dialog.languages()] == ["kk", "ru", "uzb", "en"]
    assert dialog.add_code("sah=Sakha")  # not in the table: a warning, and OK twice
    dialog.accept()
    assert "'sah' is not in Jazba's table" in dialog.problem.text()
    assert LanguageService(project).is_default()
    dialog.accept()
    assert LanguageService(project).codes() == ["kk", "ru", "uzb", "en", "sah"]
    language = VocabularyService(project).find("language")
    assert language.values() == ["kk", "ru", "uzb", "en", "sah"]  # the vocabulary follows
    session.close()


def test_session_offers_the_project_languages(project: Project, qtbot) -> None:
    session = ProjectSession(project)
    assert session.language_codes() == ["kk", "ru", "mixed", "en"]
    LanguageService(project).set("kk,ru,tr")
    assert session.language_codes() == ["kk", "ru", "tr"]
    session.close()


def test_the_transcript_offers_the_project_languages(window) -> None:
    from desktop_app.core.services.languages import LanguageService
    from desktop_app.gui.review.segment_table_model import Col

    LanguageService(window.session.project).set("kk,ru,uz")
    delegate = window.transcript.view.itemDelegateForColumn(Col.LANGUAGE)
    assert [value for _label, value in delegate.choices()] == [None, "kk", "ru", "uz"]
