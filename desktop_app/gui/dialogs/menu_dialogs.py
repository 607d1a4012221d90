"""The menu commands that open a project's own dialogs, installed together."""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktop_app.gui.dialogs import (
    project_settings_dialog,
    save_copy_dialog,
    vocabulary_dialog,
    word_list_dialog,
)

if TYPE_CHECKING:
    from desktop_app.gui.main_window import MainWindow


def install(window: MainWindow) -> None:
    save_copy_dialog.install(window)  # Project menu: Save a copy…
    project_settings_dialog.install(window)  # Project menu: Project settings… (languages)
    vocabulary_dialog.install(window)  # Project menu: Controlled vocabularies…
    word_list_dialog.install(window)  # after Transcribe: Word list… (names and terms)
