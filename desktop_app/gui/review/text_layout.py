"""Wrapped text for the transcript's Text column: where each line breaks, how
tall the row is, and the one layout that both paints a cell and finds the word
under a click.

Lines are broken here, greedily at spaces, with each distinct word's width
measured once per font and kept (:class:`Wrapper`), instead of by Qt's text
engine for every row: the heights of all 2,000 rows of a 2-hour recording take
about 10 ms, and a word too long for a line is broken between characters. The
:class:`~PySide6.QtGui.QTextLayout` that draws a cell is built from the same
breaks (``QTextLine.setNumColumns``), and hit tests run on that layout, so what
is clicked is exactly what is drawn. A text longer than ``MAX_LINES`` lines
ends, after the last whole word that fits, in an ellipsis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPointF
from PySide6.QtGui import QFont, QFontMetricsF, QTextLayout

MAX_LINES = 6  # a longer text is cut (the tooltip and the editor have all of it)
ELLIPSIS = "…"
_CACHE_LIMIT = 20_000  # wrapped texts kept per font (a few MB at most)


@dataclass(frozen=True)
class Wrapped:
    """A text broken into lines."""

    text: str  # what is drawn: the words joined by spaces (maybe fewer, then " …")
    lines: tuple[int, ...]  # how many characters of ``text`` each line holds
    words: int  # how many of the words are drawn
    line_height: float

    @property
    def height(self) -> float:
        return len(self.lines) * self.line_height

    @property
    def elided(self) -> bool:
        return self.text.endswith(ELLIPSIS)


class Wrapper:
    """Breaks lists of words into lines of one font; caches word widths and results."""

    def __init__(self, font: QFont) -> None:
        self.font = QFont(font)
        self.metrics = QFontMetricsF(self.font)
        probe = QTextLayout("Xg", self.font)
        probe.beginLayout()
        line = probe.createLine()
        probe.endLayout()
        self.line_height = line.height()  # exactly what QTextLayout gives a line
        self._advance: dict[str, float] = {}
        self._wrapped: dict[tuple[str, int, int], Wrapped] = {}
        self.space = self.advance(" ")

    def advance(self, word: str) -> float:
        a = self._advance.get(word)
        if a is None:
            a = self._advance[word] = self.metrics.horizontalAdvance(word)
        return a

    def wrap(self, words: Sequence[str], width: float, max_lines: int = MAX_LINES) -> Wrapped:
        """``words`` in lines at most ``width`` px wide (whole pixels: the cache key)."""
        w = max(1, int(width))
        key = (" ".join(words), w, max_lines)
        found = self._wrapped.get(key)
        if found is None:
            if len(self._wrapped) >= _CACHE_LIMIT:
                self._wrapped.clear()
            found = self._wrapped[key] = self._wrap(list(words), w, max_lines)
        return found

    def _wrap(self, words: list[str], width: int, max_lines: int) -> Wrapped:
        starts = self._breaks(words, width)
        if len(starts) <= max_lines:
            return Wrapped(" ".join(words), _lengths(starts, words), len(words), self.line_height)
        # too long: the words of the first lines, then fewer until "…" fits too
        shown = sum(1 for s in _word_starts(words) if s < starts[max_lines])
        while shown > 0:
            kept = [*words[:shown], ELLIPSIS]
            starts = self._breaks(kept, width)
            if len(starts) <= max_lines:
                break
            shown -= 1
        kept = [*words[:shown], ELLIPSIS]
        starts = self._breaks(kept, width)[:max_lines]
        return Wrapped(" ".join(kept), _lengths(starts, kept), shown, self.line_height)

    def _breaks(self, words: list[str], width: int) -> list[int]:
        """Where each line starts (a character offset in ``" ".join(words)``)."""
        starts = [0]
        x = 0.0  # width of the current line so far (0: empty)
        pos = 0  # offset of the current word
        for word in words:
            a = self.advance(word)
            if x and x + self.space + a > width:
                starts.append(pos)
                x = 0.0
            if not x and a > width:  # longer than a line on its own: break inside it
                cut = pos
                for n in self._pieces(word, width)[:-1]:
                    cut += n
                    starts.append(cut)
                a = self.advance(word[cut - pos :])
            x = a if not x else x + self.space + a
            pos += len(word) + 1
        return starts

    def _pieces(self, word: str, width: int) -> list[int]:
        """Character counts of ``word`` cut into pieces that fit (at least one each)."""
        pieces = []
        rest = word
        while rest:
            lo, hi = 1, len(rest)
            while lo < hi:  # the longest prefix that fits
                mid = (lo + hi + 1) // 2
                if self.metrics.horizontalAdvance(rest[:mid]) <= width:
                    lo = mid
                else:
                    hi = mid - 1
            pieces.append(lo)
            rest = rest[lo:]
        return pieces


def _word_starts(words: Sequence[str]) -> list[int]:
    out, pos = [], 0
    for word in words:
        out.append(pos)
        pos += len(word) + 1
    return out


def _lengths(starts: list[int], words: Sequence[str]) -> tuple[int, ...]:
    total = sum(len(w) for w in words) + max(0, len(words) - 1)
    ends = [*starts[1:], total]
    return tuple(end - start for start, end in zip(starts, ends, strict=True))


def text_layout(
    wrapped: Wrapped, font: QFont, formats: Sequence[QTextLayout.FormatRange] = ()
) -> QTextLayout:
    """The drawable layout of ``wrapped``, lines at ``y = 0, h, 2h…``. ``formats``
    (colours, underline, backgrounds) never move a line break."""
    layout = QTextLayout(wrapped.text, font)
    if formats:
        layout.setFormats(list(formats))
    layout.beginLayout()
    for i, n in enumerate(wrapped.lines):
        line = layout.createLine()
        line.setNumColumns(n)
        line.setPosition(QPointF(0.0, i * wrapped.line_height))
    layout.endLayout()
    return layout


def offset_at(layout: QTextLayout, point: QPointF) -> int | None:
    """The text offset under ``point`` (layout coordinates): on a line and
    within its text, else ``None`` (blank space right of a line, above, below)."""
    for i in range(layout.lineCount()):
        line = layout.lineAt(i)
        if line.y() <= point.y() < line.y() + line.height():
            if 0.0 <= point.x() <= line.naturalTextWidth():
                return line.xToCursor(point.x())
            return None
    return None
