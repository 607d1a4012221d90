"""Where the commands appear: menus, the toolbar, and which need an open project."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMenu, QMenuBar, QToolBar, QWidget

# "@name" entries are filled in by the window: the recent-projects submenu,
# the dock toggles, the speed and tier boxes; None is a separator.
MENUS = {
    "&Project": [
        "new_project",
        "open_project",
        "open_demo",
        "@recent",
        None,
        "import_audio",
        "record",
        "transcribe",
        None,
        "close_project",
        "settings",
        None,
        "quit",
    ],
    "&Edit": [
        "undo",
        "redo",
        None,
        "edit_text",
        "approve_next",
        "split",
        "merge",
        "add_segment",
        "delete_segment",
        None,
        "set_speaker",
        "lang_kk",
        "lang_ru",
        "lang_mixed",
        None,
        "history",
        None,
        "new_tier",
        "new_child_tier",
        "rename_tier",
    ],
    "P&layback": [
        "play_pause",
        "replay",
        "loop",
        None,
        "seek_back",
        "seek_forward",
        None,
        "slower",
        "faster",
        "auto_advance",
    ],
    "&Navigate": [
        "prev_segment",
        "next_segment",
        "next_low",
        "next_low_word",
        None,
        "prev_recording",
        "next_recording",
        "next_tier",
        "tier_up",
        "tier_down",
        "box_prev",
        "box_next",
        None,
        "search",
    ],
    "&View": [
        "zoom_in",
        "zoom_out",
        "zoom_fit",
        "spectrogram",
        "snap",
        None,
        "@docks",
        None,
        "dark_theme",
    ],
    "&Help": ["help"],
}
TOOLBAR = [
    "open_project",
    "import_audio",
    "record",
    "transcribe",
    None,
    "undo",
    "redo",
    None,
    "play_pause",
    "replay",
    "loop",
    "@speed",
    None,
    "prev_segment",
    "next_segment",
    "approve_next",
    "split",
    "merge",
    None,
    "zoom_in",
    "zoom_out",
    "zoom_fit",
    "spectrogram",
    "@tier",
    None,
    "search",
    "help",
]
NEEDS_PROJECT = {
    "import_audio",
    "record",
    "transcribe",
    "close_project",
    "play_pause",
    "replay",
    "loop",
    "seek_back",
    "seek_forward",
    "prev_segment",
    "next_segment",
    "next_low",
    "next_low_word",
    "edit_text",
    "search",
    "approve_next",
    "split",
    "merge",
    "add_segment",
    "delete_segment",
    "set_speaker",
    "lang_kk",
    "lang_ru",
    "lang_mixed",
    "history",
    "zoom_in",
    "zoom_out",
    "zoom_fit",
    "prev_recording",
    "next_recording",
    "next_tier",
    "new_tier",
    "new_child_tier",
    "rename_tier",
    "tier_up",
    "tier_down",
    "box_prev",
    "box_next",
}


def build_menus(
    bar: QMenuBar, actions: Mapping[str, QAction], docks: Mapping[str, QDockWidget]
) -> QMenu:
    """Fill the menu bar; returns the (empty) recent-projects submenu."""
    recent = QMenu("Open &recent", bar)
    for title, ids in MENUS.items():
        menu = bar.addMenu(title)
        for action_id in ids:
            if action_id is None:
                menu.addSeparator()
            elif action_id == "@recent":
                menu.addMenu(recent)
            elif action_id == "@docks":
                for dock in docks.values():
                    menu.addAction(dock.toggleViewAction())
            else:
                menu.addAction(actions[action_id])
    return recent


def build_toolbar(
    actions: Mapping[str, QAction], extra: Mapping[str, Sequence[QWidget]]
) -> QToolBar:
    tb = QToolBar("Main")
    tb.setObjectName("toolbar_main")
    tb.setMovable(False)
    tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
    for item in TOOLBAR:
        if item is None:
            tb.addSeparator()
        elif item in extra:
            for widget in extra[item]:
                tb.addWidget(widget)
        else:
            tb.addAction(actions[item])
    return tb
