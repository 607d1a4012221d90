"""Speakers of the project: create, rename, edit participant details
(gender, age, dialect, region, first languages, notes), merge (undoable), assign.

Renaming and participant details are saved at once and are not undo steps
(a speaker's name and metadata are not segment edits); merging is.

Each speaker's segment count follows the transcripts: the list reloads after
any edit or job that touched segments (the session's ``segments_changed``),
coalesced so a job that delivers segments as it goes reloads it a few times a
second at most, and the selected speaker stays selected.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QListView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.errors import JazbaError
from desktop_app.core.services.dto import SpeakerInfo
from desktop_app.core.services.languages import LanguageService
from desktop_app.core.services.participants import describe
from desktop_app.gui import theme
from desktop_app.gui.dialogs import common as dialogs
from desktop_app.gui.dialogs.participant_dialog import ParticipantDialog
from desktop_app.gui.session import ProjectSession
from desktop_app.gui.undo import EditController

Index = QModelIndex | QPersistentModelIndex
SPEAKER_ROLE = Qt.ItemDataRole.UserRole + 1


class SpeakerListModel(QAbstractListModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._items: list[SpeakerInfo] = []

    def set_speakers(self, items: Sequence[SpeakerInfo]) -> None:
        self.beginResetModel()
        self._items = list(items)
        self.endResetModel()

    def speaker(self, row: int) -> SpeakerInfo | None:
        return self._items[row] if 0 <= row < len(self._items) else None

    def row_of(self, speaker_id: int) -> int:
        return next((i for i, s in enumerate(self._items) if s.id == speaker_id), -1)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        sp = self.speaker(index.row())
        if sp is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            n = sp.segment_count
            return f"{sp.name}   ({n} segment{'s' if n != 1 else ''})"
        if role == Qt.ItemDataRole.EditRole:
            return sp.name
        if role == SPEAKER_ROLE:
            return sp
        if role == Qt.ItemDataRole.ToolTipRole:
            return describe(sp) or "No participant details yet (F2 to add them)"
        if role == Qt.ItemDataRole.DecorationRole:
            return theme.icon("speaker")
        return None


class SpeakersPanel(QWidget):
    assign_requested = Signal(int)  # speaker id -> the selected segments
    error = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.session: ProjectSession | None = None
        self.editor: EditController | None = None
        self.model = SpeakerListModel(self)
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.doubleClicked.connect(lambda _i: self.assign_current())
        self.view.setMinimumHeight(4 * self.view.fontMetrics().height() + 16)  # about 3 rows
        buttons = QHBoxLayout()
        buttons.setSpacing(2)
        self.buttons: dict[str, QToolButton] = {}
        for key, icon_name, tip, slot in (
            ("new", "speaker-add", "New speaker", self.create),
            ("rename", "rename", "Rename the speaker", self.rename),
            (
                "details",
                "participant",
                "Participant details: gender, age, dialect, region, first languages, notes (F2)",
                self.edit_details,
            ),
            ("merge", "speaker-merge", "Merge this speaker into another (undoable)", self.merge),
            (
                "assign",
                "approve",
                "Assign to the selected segments (double-click)",
                self.assign_current,
            ),
        ):
            b = QToolButton()
            theme.bind_icon(b, icon_name)
            b.setToolTip(tip)
            b.setAutoRaise(True)
            b.clicked.connect(slot)
            buttons.addWidget(b)
            self.buttons[key] = b
        buttons.addStretch(1)
        self.details_action = QAction("Participant details…", self.view)
        self.details_action.setShortcut(QKeySequence(Qt.Key.Key_F2))
        self.details_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.details_action.triggered.connect(self.edit_details)
        self.view.addAction(self.details_action)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(150)
        self._refresh_timer.timeout.connect(self.refresh)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)

    def set_session(self, session: ProjectSession | None, editor: EditController | None) -> None:
        self.session, self.editor = session, editor
        self._refresh_timer.stop()
        if session is not None:
            session.speakers_changed.connect(self.refresh)
            session.segments_changed.connect(lambda _r: self._refresh_timer.start())
        self.refresh()

    def refresh(self) -> None:
        """Reload the speakers and their counts (the selection is kept)."""
        self._refresh_timer.stop()
        kept = self.current()
        self.model.set_speakers(self.session.speaker_list() if self.session else [])
        row = self.model.row_of(kept.id) if kept is not None else -1
        if row >= 0:
            self.view.setCurrentIndex(self.model.index(row))

    def current(self) -> SpeakerInfo | None:
        return self.model.speaker(self.view.currentIndex().row())

    # -- actions ------------------------------------------------------------
    def create(self) -> SpeakerInfo | None:
        if self.session is None:
            return None
        name = dialogs.ask_text(self, "New speaker", "Name:")
        if not name:
            return None
        try:
            sp = self.session.speakers.create(name)
        except JazbaError as exc:
            self.error.emit(str(exc))
            return None
        self.session.speakers_changed.emit()
        self.view.setCurrentIndex(self.model.index(self.model.row_of(sp.id)))
        return sp

    def rename(self) -> None:
        sp = self.current()
        if self.session is None or sp is None:
            return
        name = dialogs.ask_text(self, "Rename speaker", "New name:", sp.name)
        if not name or name == sp.name:
            return
        try:
            self.session.speakers.rename(sp.id, name)
        except JazbaError as exc:
            self.error.emit(str(exc))
            return
        self.session.speakers_changed.emit()
        self.session.notify_segments(None)  # names shown in the transcript

    def edit_details(self) -> bool:
        """Open the participant form of the selected speaker; True when saved."""
        sp = self.current()
        if self.session is None or sp is None:
            return False
        service = self.session.speakers
        dialog = ParticipantDialog(
            sp,
            LanguageService(self.session.project).list(),
            check=lambda fields: service.check(fields)[1],
            save=lambda fields: service.update(sp.id, **fields),
            parent=self,
        )
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        self.session.speakers_changed.emit()
        if dialog.values()["name"] != sp.name:
            self.session.notify_segments(None)  # names shown in the transcript
        return True

    def merge(self) -> None:
        sp = self.current()
        if self.session is None or self.editor is None or sp is None:
            return
        others = [s for s in self.session.speaker_list() if s.id != sp.id]
        i = dialogs.choose(
            self, "Merge speakers", f"Merge '{sp.name}' into:", [s.name for s in others]
        )
        if i is not None:
            self.editor.merge_speakers(sp.id, others[i].id)

    def assign_current(self) -> None:
        sp = self.current()
        if sp is not None:
            self.assign_requested.emit(sp.id)
