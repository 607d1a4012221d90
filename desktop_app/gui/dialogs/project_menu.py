"""Adding a command to the Project menu (before "Close project"), enabled
while a project is open, and showing the (modeless) dialog it opens."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QMenu

if TYPE_CHECKING:
    from desktop_app.gui.main_window import MainWindow

D = TypeVar("D", bound=QDialog)


def show_project_dialog(window: MainWindow, make: Callable[[], D]) -> D | None:
    """Show the dialog ``make()`` builds (deleted when closed); None with no project open."""
    if window.session is None:
        return None
    dialog = make()
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog


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
