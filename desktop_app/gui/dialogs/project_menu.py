"""Adding a command to the Project menu (before "Close project"), enabled
while a project is open."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

if TYPE_CHECKING:
    from desktop_app.gui.main_window import MainWindow


def add_project_action(
    window: MainWindow, text: str, name: str, tip: str, slot: Callable[[], object]
) -> QAction:
    action = QAction(text, window)
    action.setObjectName(name)
    action.setStatusTip(tip)
    action.triggered.connect(lambda: slot())
    anchor = window.actions.get("close_project")
    for menu in window.menuBar().findChildren(QMenu):
        if anchor is not None and anchor in menu.actions():
            menu.insertAction(anchor, action)
            menu.aboutToShow.connect(lambda: action.setEnabled(window.session is not None))
            break
    else:
        window.menuBar().addAction(action)
    action.setEnabled(window.session is not None)
    return action
