"""The speaker menu (S on a segment): pick a speaker by number, none, or a new one."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QMenu, QTableView

from desktop_app.core.services.dto import SpeakerInfo

NO_SPEAKER, NEW_SPEAKER = -1, -2


def ask_speaker(view: QTableView, speakers: Sequence[SpeakerInfo]) -> int | None:
    """A menu under the current row: a speaker id, ``NO_SPEAKER``, ``NEW_SPEAKER``
    or None (closed). The first nine speakers have number keys."""
    menu = QMenu(view)
    for i, sp in enumerate(speakers):
        label = f"&{i + 1}  {sp.name}" if i < 9 else sp.name
        menu.addAction(label).setData(sp.id)
    menu.addSeparator()
    menu.addAction("&0  No speaker").setData(NO_SPEAKER)
    menu.addAction("&N  New speaker…").setData(NEW_SPEAKER)
    rect = view.visualRect(view.currentIndex())
    chosen = menu.exec(view.viewport().mapToGlobal(rect.bottomLeft()))
    return None if chosen is None else int(chosen.data())
