""" "Sounds like" suggestions under the speakers list, with Accept and Reject.

A diarization that finds a voice close to a known speaker's profile leaves a
suggestion; accepting merges the found speaker into the known one (one undo
step on the window's stack), rejecting keeps it a speaker of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListView, QPushButton, QVBoxLayout, QWidget

from desktop_app.core.errors import JazbaError
from desktop_app.core.services.dto import OpResult
from desktop_app.core.services.speaker_profiles import ProfileService, SuggestionInfo

Index = QModelIndex | QPersistentModelIndex


class SuggestionModel(QAbstractListModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.items: list[SuggestionInfo] = []

    def set_items(self, items: Sequence[SuggestionInfo]) -> None:
        self.beginResetModel()
        self.items = list(items)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.items)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not 0 <= index.row() < len(self.items):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.items[index.row()].text()
        return None


class SuggestionsBox(QWidget):
    """Hidden while there is nothing to suggest."""

    accepted = Signal(object, str)  # OpResult, undo text
    error = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.profiles: ProfileService | None = None
        self.model = SuggestionModel(self)
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setWordWrap(True)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setMaximumHeight(90)
        self.accept_button = QPushButton("Accept")
        self.accept_button.setToolTip("Label this voice as the known speaker (undoable)")
        self.reject_button = QPushButton("Reject")
        self.reject_button.setToolTip("Keep it a speaker of its own")
        self.accept_button.clicked.connect(self.accept_current)
        self.reject_button.clicked.connect(self.reject_current)
        buttons = QHBoxLayout()
        buttons.addWidget(self.accept_button)
        buttons.addWidget(self.reject_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(QLabel("Voices that sound like known speakers:"))
        layout.addWidget(self.view)
        layout.addLayout(buttons)
        self.setVisible(False)

    def set_profiles(self, profiles: ProfileService | None) -> None:
        self.profiles = profiles
        self.refresh()

    def refresh(self) -> None:
        items = self.profiles.suggestions() if self.profiles is not None else []
        self.model.set_items(items)
        if items:
            self.view.setCurrentIndex(self.model.index(0))
        self.setVisible(bool(items))

    def current(self) -> SuggestionInfo | None:
        row = self.view.currentIndex().row()
        return self.model.items[row] if 0 <= row < len(self.model.items) else None

    def _act(self, fn: Callable[[int], object]) -> object | None:
        sug = self.current()
        if self.profiles is None or sug is None:
            return None
        try:
            return fn(sug.id)
        except JazbaError as exc:
            self.error.emit(str(exc))
            return None
        finally:
            self.refresh()

    def accept_current(self) -> OpResult | None:
        sug = self.current()
        if self.profiles is None or sug is None:
            return None
        result = self._act(self.profiles.accept)
        if isinstance(result, OpResult):
            self.accepted.emit(result, f"Accept: {sug.speaker_name} is {sug.suggested_name}")
            return result
        return None

    def reject_current(self) -> None:
        if self.profiles is not None:
            self._act(self.profiles.reject)
