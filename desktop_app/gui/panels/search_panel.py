"""Full-text search over every transcript, with jump-to-hit and play-hit.

A single click on a hit (or Enter) jumps to it. The hits follow the
transcripts: after any edit or job (the session's ``segments_changed``) the
search runs again, keeping the chosen hit selected; while the panel is hidden
it runs when the panel is shown again.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.errors import JazbaError
from desktop_app.core.services.dto import SearchHit
from desktop_app.gui import theme
from desktop_app.gui.review.segment_table_model import fmt_ms
from desktop_app.gui.session import ProjectSession

Index = QModelIndex | QPersistentModelIndex
HIT_ROLE = Qt.ItemDataRole.UserRole + 1
_MARK = re.compile(r"\[([^\]]*)\]")


class SearchHitModel(QAbstractListModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._hits: list[SearchHit] = []
        self._labels: Mapping[int, str] = {}

    def set_hits(self, hits: Sequence[SearchHit], labels: Mapping[int, str] | None = None) -> None:
        """``labels``: recording id -> display label (titles that repeat are numbered)."""
        self.beginResetModel()
        self._hits = list(hits)
        self._labels = dict(labels or {})
        self.endResetModel()

    def hit(self, row: int) -> SearchHit | None:
        return self._hits[row] if 0 <= row < len(self._hits) else None

    def row_of(self, segment_id: int) -> int:
        return next((i for i, h in enumerate(self._hits) if h.segment_id == segment_id), -1)

    def label(self, h: SearchHit) -> str:
        return self._labels.get(h.recording_id, h.recording_title)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._hits)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        h = self.hit(index.row())
        if h is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            snippet = _MARK.sub(r"«\1»", h.snippet)
            return f"{self.label(h)}  {fmt_ms(h.start_ms)}\n{snippet}"
        if role == Qt.ItemDataRole.ToolTipRole:
            where = html.escape(f"{self.label(h)} at {fmt_ms(h.start_ms)}")
            return f"<b>{where}</b> [{h.status}]<br>{html.escape(h.text)}"
        if role == HIT_ROLE:
            return h
        return None


class SearchPanel(QWidget):
    jump_requested = Signal(object)  # SearchHit
    play_requested = Signal(object)  # SearchHit
    error = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.session: ProjectSession | None = None
        self.query = QLineEdit()
        self.query.setPlaceholderText("Search all transcripts…")
        self.query.setClearButtonEnabled(True)
        theme.bind_icon(
            self.query.addAction(theme.icon("search"), QLineEdit.ActionPosition.LeadingPosition),
            "search",
        )
        self.model = SearchHitModel(self)
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setWordWrap(True)
        self.view.setAlternatingRowColors(True)
        self.view.clicked.connect(self._activated)  # one click jumps
        self.view.activated.connect(self._activated)  # Enter (and the style's activation)
        self.count = QLabel("")
        self.play_button = QPushButton("Play hit")
        theme.bind_icon(self.play_button, "play")
        self.play_button.clicked.connect(self._play)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(200)
        self._timer.timeout.connect(self.run_search)
        self.query.textChanged.connect(lambda _t: self._timer.start())
        self.query.returnPressed.connect(self._return_pressed)
        self._stale = False  # the transcripts changed while the panel was hidden
        row = QHBoxLayout()
        row.addWidget(self.count, 1)
        row.addWidget(self.play_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.query)
        layout.addWidget(self.view, 1)
        layout.addLayout(row)

    def set_session(self, session: ProjectSession | None) -> None:
        self.session = session
        self.model.set_hits([])
        self.count.setText("")
        self._stale = False
        if session is not None:
            session.segments_changed.connect(self._segments_changed)
            session.recordings_changed.connect(self._segments_changed)  # labels in the hits

    def focus_query(self) -> None:
        self.query.setFocus()
        self.query.selectAll()

    def run_search(self) -> None:
        """Search now; the hit selected before stays selected if it still matches."""
        self._timer.stop()
        self._stale = False
        if self.session is None:
            return
        kept = self.current_hit()
        try:
            hits = self.session.search.search(self.query.text())
        except JazbaError as exc:
            self.error.emit(str(exc))
            hits = []
        self.model.set_hits(hits, self.session.recording_labels())
        text = self.query.text().strip()
        self.count.setText(f"{len(hits)} hit{'s' if len(hits) != 1 else ''}" if text else "")
        if hits:
            row = self.model.row_of(kept.segment_id) if kept is not None else -1
            self.view.setCurrentIndex(self.model.index(max(0, row)))

    def current_hit(self) -> SearchHit | None:
        return self.model.hit(self.view.currentIndex().row())

    def _segments_changed(self, *_args: object) -> None:
        if not self.query.text().strip():
            return
        if self.isVisible():
            self._timer.start()
        else:
            self._stale = True

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self._timer.start()

    def _return_pressed(self) -> None:
        if self._timer.isActive():
            self.run_search()
        hit = self.current_hit()
        if hit is not None:
            self.jump_requested.emit(hit)

    def _activated(self, index: QModelIndex) -> None:
        hit = self.model.hit(index.row())
        if hit is not None:
            self.jump_requested.emit(hit)

    def _play(self) -> None:
        hit = self.current_hit()
        if hit is not None:
            self.play_requested.emit(hit)
