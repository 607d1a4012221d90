"""Small modal questions and messages, in one place (tests replace them).

Errors a user can act on (:class:`JazbaError`) show their own message;
anything else is logged with its traceback and summarised.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

from desktop_app.core.errors import JazbaError
from desktop_app.core.paths import log_dir
from desktop_app.gui.error_text import gui_text

log = logging.getLogger(__name__)


def user_message(exc: BaseException) -> str:
    """What to tell the user about ``exc`` (logs the traceback of bugs)."""
    if isinstance(exc, JazbaError):
        return gui_text(exc)
    log.error("unexpected error", exc_info=exc)
    return (
        f"Something went wrong: {exc}.\n\nThe details were written to the log "
        f"({log_dir() / 'jazba.log'}); please include it when reporting the problem."
    )


def show_error(parent: QWidget | None, message: str, title: str = "Jazba") -> None:
    QMessageBox.warning(parent, title, message)


def show_info(parent: QWidget | None, message: str, title: str = "Jazba") -> None:
    QMessageBox.information(parent, title, message)


def confirm(parent: QWidget | None, message: str, title: str = "Jazba") -> bool:
    answer = QMessageBox.question(parent, title, message)
    return answer == QMessageBox.StandardButton.Yes


def choose_action(
    parent: QWidget | None, message: str, buttons: Sequence[str], title: str = "Jazba"
) -> int | None:
    """Ask with one button per choice; the index of the one clicked (None: closed)."""
    box = QMessageBox(QMessageBox.Icon.Question, title, message, parent=parent)
    made = [box.addButton(text, QMessageBox.ButtonRole.ActionRole) for text in buttons]
    box.exec()
    clicked = box.clickedButton()
    return made.index(clicked) if clicked in made else None


def ask_text(parent: QWidget | None, title: str, label: str, text: str = "") -> str | None:
    value, ok = QInputDialog.getText(parent, title, label, text=text)
    return value.strip() if ok and value.strip() else None


def choose(parent: QWidget | None, title: str, label: str, items: Sequence[str]) -> int | None:
    """Index of the chosen item, or None."""
    if not items:
        return None
    value, ok = QInputDialog.getItem(parent, title, label, list(items), 0, False)
    return list(items).index(value) if ok else None


def ask_project_to_open(parent: QWidget | None, start: Path | None = None) -> Path | None:
    folder = QFileDialog.getExistingDirectory(
        parent, "Open a Jazba project (a NAME.jazba folder)", str(start or Path.home())
    )
    return Path(folder) if folder else None


def ask_new_project(parent: QWidget | None, start: Path | None = None) -> Path | None:
    path, _ = QFileDialog.getSaveFileName(
        parent, "New project: choose a name and place", str(start or Path.home())
    )
    return Path(path) if path else None


def ask_audio_files(parent: QWidget | None) -> list[Path]:
    files, _ = QFileDialog.getOpenFileNames(
        parent,
        "Import audio",
        str(Path.home()),
        "Audio and video (*.wav *.flac *.ogg *.oga *.opus *.mp3 *.m4a *.aac *.wma *.mp4 "
        "*.mkv *.webm *.mov);;All files (*)",
    )
    return [Path(f) for f in files]
