"""The search panel's table: one keyword-in-context (KWIC) line per hit."""

from __future__ import annotations

import enum
import html
from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

from desktop_app.core.services.concordance import ConcordanceHit
from desktop_app.gui.review.segment_table_model import fmt_ms

Index = QModelIndex | QPersistentModelIndex
HIT_ROLE = Qt.ItemDataRole.UserRole + 1


class KwicCol(enum.IntEnum):
    LEFT = 0
    MATCH = 1
    RIGHT = 2
    RECORDING = 3
    TIME = 4
    TIER = 5
    SPEAKER = 6


HEADERS = {
    KwicCol.LEFT: "Left context",
    KwicCol.MATCH: "Match",
    KwicCol.RIGHT: "Right context",
    KwicCol.RECORDING: "Recording",
    KwicCol.TIME: "Time",
    KwicCol.TIER: "Tier",
    KwicCol.SPEAKER: "Speaker",
}
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


class ConcordanceModel(QAbstractTableModel):
    """Hits as rows; ``labels`` name recordings whose titles repeat apart."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._hits: list[ConcordanceHit] = []
        self._labels: Mapping[int, str] = {}
        self._bold = QFont()
        self._bold.setBold(True)

    def set_hits(
        self, hits: Sequence[ConcordanceHit], labels: Mapping[int, str] | None = None
    ) -> None:
        self.beginResetModel()
        self._hits = list(hits)
        self._labels = dict(labels or {})
        self.endResetModel()

    @property
    def hits(self) -> list[ConcordanceHit]:
        return list(self._hits)

    def hit(self, row: int) -> ConcordanceHit | None:
        return self._hits[row] if 0 <= row < len(self._hits) else None

    def row_of(self, segment_id: int, match_start: int | None = None) -> int:
        """The row of a segment's hit (the one at ``match_start`` if given)."""
        first = -1
        for i, h in enumerate(self._hits):
            if h.segment_id == segment_id:
                if match_start is None or h.match_start == match_start:
                    return i
                first = i if first < 0 else first
        return first

    def label(self, h: ConcordanceHit) -> str:
        return self._labels.get(h.recording_id, h.recording_title)

    def index(self, row: int, column: int = 0, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        """A cell (``column`` defaults to the first, as a list model's ``index(row)``)."""
        return super().index(row, column, parent)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._hits)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(KwicCol)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[KwicCol(section)]
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return section + 1
        return None

    def _text(self, h: ConcordanceHit, col: KwicCol) -> str:
        return {
            KwicCol.LEFT: h.left,
            KwicCol.MATCH: h.match,
            KwicCol.RIGHT: h.right,
            KwicCol.RECORDING: self.label(h),
            KwicCol.TIME: fmt_ms(h.start_ms),
            KwicCol.TIER: h.tier_name,
            KwicCol.SPEAKER: h.speaker_name or "",
        }[col]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        h = self.hit(index.row())
        if h is None:
            return None
        col = KwicCol(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(h, col)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if col == KwicCol.LEFT else _LEFT
        if role == Qt.ItemDataRole.FontRole and col == KwicCol.MATCH:
            return self._bold
        if role == Qt.ItemDataRole.ToolTipRole:
            where = html.escape(f"{self.label(h)} at {fmt_ms(h.start_ms)}, {h.tier_name}")
            who = f" — {html.escape(h.speaker_name)}" if h.speaker_name else ""
            marked = (
                html.escape(h.text[: h.match_start])
                + "<b>"
                + html.escape(h.text[h.match_start : h.match_end])
                + "</b>"
                + html.escape(h.text[h.match_end :])
            )
            return f"<b>{where}</b>{who} [{h.status}]<br>{marked}"
        if role == HIT_ROLE:
            return h
        return None


class LeftElideDelegate(QStyledItemDelegate):
    """The left context is cut on its left, so the words next to the match stay."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: Index) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideLeft
