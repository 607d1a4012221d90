"""The segments of one recording and tier as a table (our own Qt model).

The model holds plain :class:`SegmentInfo` values; it never writes to the
database. What counts as "low confidence" (a word, a whole segment) is a
:class:`~desktop_app.core.services.confidence.LowConfidence` rule, calibrated
to each model version (or the user's fixed threshold), given by the review
controller. Edits made in the view are handed to ``edit_handler`` (the window's
:class:`~desktop_app.gui.undo.EditController`), which saves them through the
service and pushes an undo step; the session then tells the model to reload.
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from desktop_app.core.services.confidence import LowConfidence
from desktop_app.core.services.dto import SegmentInfo
from desktop_app.gui import theme
from desktop_app.gui.review.word_spans import WordSpan, word_spans

LANGUAGES = ("kk", "ru", "mixed", "en")
STATUSES = ("auto", "edited", "approved")

Index = QModelIndex | QPersistentModelIndex


class Col(enum.IntEnum):
    TIME = 0
    SPEAKER = 1
    LANGUAGE = 2
    STATUS = 3
    TEXT = 4
    CONFIDENCE = 5
    PERPLEXITY = 6  # unit-LM perplexity (see desktop_app.services.unit_scoring)


HEADERS = {
    Col.TIME: "Time",
    Col.SPEAKER: "Speaker",
    Col.LANGUAGE: "Lang",
    Col.STATUS: "Status",
    Col.TEXT: "Text",
    Col.CONFIDENCE: "Conf.",
    Col.PERPLEXITY: "Unit PPL",
}
NUMERIC = (Col.CONFIDENCE, Col.PERPLEXITY)

SEGMENT_ROLE = Qt.ItemDataRole.UserRole + 1
LOW_WORDS_ROLE = Qt.ItemDataRole.UserRole + 2  # [(word, is_low)]
SPANS_ROLE = Qt.ItemDataRole.UserRole + 3  # [WordSpan] | None for the text delegate
LOW_RULE_ROLE = Qt.ItemDataRole.UserRole + 4  # what "low" means for the row's model (text)
ALWAYS_SHOWN = (Col.TIME, Col.TEXT, Col.STATUS)  # the others hide when they have no values

EditHandler = Callable[[int, Col, Any], bool]
"""``(segment_id, column, new value) -> accepted``."""


def fmt_ms(ms: int) -> str:
    """``m:ss.s`` (or ``h:mm:ss.s``) for a time in milliseconds."""
    tenths = round(ms / 100)
    s, t = divmod(tenths, 10)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}.{t}" if h else f"{m}:{s:02d}.{t}"


def word_tokens(seg: SegmentInfo, threshold: float) -> list[tuple[str, bool]] | None:
    """The text's words marked low-confidence; words a reviewer typed (not
    the model's, see :func:`~desktop_app.gui.review.word_spans.word_spans`) never are."""
    spans = word_spans(seg, threshold)
    return None if spans is None else [(s.text, s.low) for s in spans]


class SegmentTableModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._segments: list[SegmentInfo] = []
        self._starts: list[int] = []  # start times in time order ...
        self._time_rows: list[int] = []  # ... and the rows they are on (rows may be sorted)
        self._sort: tuple[int, Qt.SortOrder] = (Col.TIME, Qt.SortOrder.AscendingOrder)
        self._speakers: dict[int, str] = {}
        self.low = LowConfidence()
        self.edit_handler: EditHandler | None = None
        self._spans: dict[int, list[WordSpan] | None] = {}  # segment id -> its words

    # -- data in -------------------------------------------------------------
    def set_segments(self, segments: Sequence[SegmentInfo]) -> None:
        """Replace the rows; when the ids are unchanged only the cells change,
        so selection and an open editor survive a refresh."""
        segments = self._sorted(list(segments))
        self._spans.clear()
        if [s.id for s in segments] == [s.id for s in self._segments] and segments:
            self._segments = segments
            self._index_times()
            self.dataChanged.emit(self.index(0, 0), self.index(len(segments) - 1, len(Col) - 1))
            return
        self.beginResetModel()
        self._segments = segments
        self._index_times()
        self.endResetModel()

    # -- sorting (by any column; rows keep their identity) ----------------------
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Order the rows by ``column`` (Unit PPL and Conf. put unscored rows last)."""
        self._sort = (column, order)
        old = list(self._segments)
        self.layoutAboutToBeChanged.emit()
        self._segments = self._sorted(self._segments)
        self._index_times()
        rows = {seg.id: row for row, seg in enumerate(self._segments)}
        for index in self.persistentIndexList():
            if 0 <= index.row() < len(old):
                new = self.index(rows[old[index.row()].id], index.column())
                self.changePersistentIndex(index, new)
        self.layoutChanged.emit()

    def _sorted(self, segments: list[SegmentInfo]) -> list[SegmentInfo]:
        column, order = self._sort
        col = Col(column)
        by_time = sorted(segments, key=lambda s: (s.start_ms, s.id))
        if col == Col.TIME:
            return by_time[::-1] if order == Qt.SortOrder.DescendingOrder else by_time
        if col in NUMERIC:
            known = [s for s in by_time if self._number(s, col) is not None]
            unknown = [s for s in by_time if self._number(s, col) is None]
            known.sort(
                key=lambda s: self._number(s, col),
                reverse=order == Qt.SortOrder.DescendingOrder,
            )
            return known + unknown
        return sorted(
            by_time,
            key=lambda s: self._display(s, col).casefold(),
            reverse=order == Qt.SortOrder.DescendingOrder,
        )

    @staticmethod
    def _number(seg: SegmentInfo, col: Col) -> float | None:
        return seg.confidence if col == Col.CONFIDENCE else seg.unit_perplexity

    def _index_times(self) -> None:
        order = sorted(range(len(self._segments)), key=lambda r: self._segments[r].start_ms)
        self._time_rows = order
        self._starts = [self._segments[r].start_ms for r in order]

    def set_speakers(self, names: dict[int, str]) -> None:
        self._speakers = dict(names)
        if self._segments:
            col = self.index(0, Col.SPEAKER), self.index(len(self._segments) - 1, Col.SPEAKER)
            self.dataChanged.emit(*col)

    def set_low_confidence(self, rule: LowConfidence) -> None:
        """What counts as a low word or segment (repaints when it changed)."""
        if rule == self.low:
            return
        self.low = rule
        self._spans.clear()
        if self._segments:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._segments) - 1, len(Col) - 1)
            )

    def word_threshold(self, seg: SegmentInfo) -> float:
        return self.low.word_threshold(seg.model_version_id)

    def word_spans(self, seg: SegmentInfo) -> list[WordSpan] | None:
        """The segment's words with what the model said (kept until the next reload)."""
        if seg.id not in self._spans:
            self._spans[seg.id] = word_spans(seg, self.word_threshold(seg))
        return self._spans[seg.id]

    def empty_columns(self) -> set[Col]:
        """Columns with no value in any row (hidden by the transcript); Time,
        Text and Status always have one."""
        empty = {Col.SPEAKER, Col.LANGUAGE, Col.CONFIDENCE, Col.PERPLEXITY}
        for seg in self._segments:
            if seg.speaker_id is not None:
                empty.discard(Col.SPEAKER)
            if seg.language:
                empty.discard(Col.LANGUAGE)
            if seg.confidence is not None:
                empty.discard(Col.CONFIDENCE)
            if seg.unit_perplexity is not None:
                empty.discard(Col.PERPLEXITY)
            if not empty:
                break
        return empty

    # -- look-ups ------------------------------------------------------------
    @property
    def segments(self) -> list[SegmentInfo]:
        return list(self._segments)

    def segment(self, row: int) -> SegmentInfo | None:
        return self._segments[row] if 0 <= row < len(self._segments) else None

    def row_of(self, segment_id: int) -> int:
        for row, seg in enumerate(self._segments):
            if seg.id == segment_id:
                return row
        return -1

    def row_at(self, ms: int) -> int:
        """The row whose segment contains ``ms`` (the last one starting before it), or -1."""
        i = bisect.bisect_right(self._starts, ms) - 1
        while i >= 0:
            seg = self._segments[self._time_rows[i]]
            if seg.start_ms <= ms < seg.end_ms:
                return self._time_rows[i]
            if seg.end_ms <= ms:
                return -1
            i -= 1
        return -1

    def is_low(self, seg: SegmentInfo) -> bool:
        """A whole segment is low (its row tinted) only when its confidence is
        among the model's lowest in the project, or below the user's fixed threshold."""
        return self.low.segment_is_low(seg.confidence, seg.model_version_id)

    def next_low_row(self, after_row: int) -> int:
        """The next row (wrapping around) with low confidence or low words, or -1."""
        n = len(self._segments)
        for k in range(1, n + 1):
            row = (after_row + k) % n
            seg = self._segments[row]
            if seg.status == "approved":
                continue
            spans = self.word_spans(seg) or []
            if self.is_low(seg) or any(s.low for s in spans):
                return row
        return -1

    # -- Qt model --------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._segments)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Col)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return HEADERS[Col(section)]
        return str(section + 1)

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() in (Col.TEXT, Col.SPEAKER, Col.LANGUAGE, Col.STATUS):
            base |= Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        seg = self.segment(index.row())
        if seg is None:
            return None
        col = Col(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(seg, col)
        if role == Qt.ItemDataRole.EditRole:
            return self._edit_value(seg, col)
        if role == SEGMENT_ROLE:
            return seg
        if role == LOW_WORDS_ROLE:
            return word_tokens(seg, self.word_threshold(seg))
        if role == SPANS_ROLE:
            return self.word_spans(seg)
        if role == LOW_RULE_ROLE:
            return self.low.explain(seg.model_version_id)
        if role == Qt.ItemDataRole.BackgroundRole and self.is_low(seg):
            return QBrush(QColor(theme.current().low_conf_bg))
        if role == Qt.ItemDataRole.ForegroundRole and col in (Col.STATUS, Col.CONFIDENCE):
            colour = theme.current().status_color(seg.status)
            if col == Col.CONFIDENCE and self.is_low(seg):
                colour = theme.current().low_conf_word
            return QBrush(QColor(colour))
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(seg, col)
        if role == Qt.ItemDataRole.TextAlignmentRole and col in NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, seg: SegmentInfo, col: Col) -> str:
        if col == Col.TIME:
            return f"{fmt_ms(seg.start_ms)}–{fmt_ms(seg.end_ms)}"
        if col == Col.SPEAKER:
            return self._speakers.get(seg.speaker_id, "") if seg.speaker_id else ""
        if col == Col.LANGUAGE:
            return seg.language or ""
        if col == Col.STATUS:
            return seg.status
        if col == Col.TEXT:
            return seg.text
        if col == Col.PERPLEXITY:
            return f"{seg.unit_perplexity:.1f}" if seg.unit_perplexity is not None else ""
        return f"{seg.confidence:.2f}" if seg.confidence is not None else ""

    def _edit_value(self, seg: SegmentInfo, col: Col) -> Any:
        if col == Col.SPEAKER:
            return seg.speaker_id
        if col == Col.LANGUAGE:
            return seg.language or ""
        return self._display(seg, col)

    def _tooltip(self, seg: SegmentInfo, col: Col) -> str | None:
        if col == Col.CONFIDENCE and seg.confidence is not None:
            low = self.low.explain_segment(seg.model_version_id) if self.is_low(seg) else ""
            return f"Model confidence {seg.confidence:.2f}" + (f" — {low}" if low else "")
        if col == Col.TEXT and seg.text:
            return seg.text
        if col == Col.PERPLEXITY and seg.unit_perplexity is not None:
            return (
                f"Unit-LM perplexity {seg.unit_perplexity:.1f}: how unlike this project's "
                "audio the segment sounds (high: noise, silence or another language?)"
            )
        if col == Col.TIME:
            return f"{seg.start_ms / 1000:.3f}–{seg.end_ms / 1000:.3f} s"
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        seg = self.segment(index.row())
        if seg is None or role != Qt.ItemDataRole.EditRole or self.edit_handler is None:
            return False
        col = Col(index.column())
        if col not in (Col.TEXT, Col.SPEAKER, Col.LANGUAGE, Col.STATUS):
            return False
        if col == Col.TEXT:
            value = " ".join(str(value).split())  # one line, no stray spaces
        return self.edit_handler(seg.id, col, value)
