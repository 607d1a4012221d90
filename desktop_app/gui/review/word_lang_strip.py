"""A thin strip of the current segment's words, coloured by language.

Each word of the segment shows as a box tinted by its language (Kazakh,
Russian, other); a click opens a small menu to set it, which is an ordinary
undoable edit. Tags a person set are drawn with a solid frame, automatic ones
with none. :func:`coloured_spans` and :func:`paint_word_langs` are the painting
helpers other views (the stacked tiers) reuse.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QPoint, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFontMetrics, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QMenu, QSizePolicy, QToolTip, QWidget

from desktop_app.core.errors import JazbaError
from desktop_app.core.langtag import LANG_NAMES, LANGS, load_lexicon, spans
from desktop_app.core.langtag.timing import word_times
from desktop_app.core.services.word_langs import WordLangService

if TYPE_CHECKING:
    from desktop_app.gui.review.controller import ReviewController

LANG_COLORS = {"kk": "#2a9d8f", "ru": "#e76f51", "other": "#8d99ae"}
"""One colour per word language (readable on the light and the dark theme)."""

PAD_X, PAD_Y, GAP = 5, 2, 4


def lang_color(lang: str, alpha: int = 255) -> QColor:
    c = QColor(LANG_COLORS.get(lang, LANG_COLORS["other"]))
    c.setAlpha(alpha)
    return c


@dataclass(frozen=True)
class ColouredSpan:
    """A word of a segment's text with its language and colour."""

    start: int  # character offsets in the text
    end: int
    word: str
    lang: str
    by: str
    color: QColor


def coloured_spans(text: str, tags: Sequence[Mapping[str, Any]]) -> list[ColouredSpan]:
    """The tagged words of ``text`` as character spans with their colours
    (to tint words inside a text box; empty when the tags do not fit the text)."""
    found = spans(text)
    if len(found) != len(tags):
        return []
    return [
        ColouredSpan(a, b, text[a:b], lang, str(t.get("by", "auto")), lang_color(lang))
        for (a, b), t in zip(found, tags, strict=True)
        for lang in [str(t.get("l"))]
    ]


def paint_word_langs(
    painter: QPainter,
    rect: QRectF,
    start_ms: int,
    end_ms: int,
    tags: Sequence[Mapping[str, Any]],
    model_words: Sequence[Mapping[str, Any]] | None = None,
) -> None:
    """Paint a segment's words as coloured blocks along ``rect`` (its time span
    from ``start_ms`` to ``end_ms``): a row of a stacked-tier view."""
    span = max(1, end_ms - start_ms)
    painter.save()
    for a, b, _word, lang in word_times(start_ms, end_ms, tags, model_words):
        x0 = rect.left() + rect.width() * (a - start_ms) / span
        x1 = rect.left() + rect.width() * (b - start_ms) / span
        box = QRectF(x0, rect.top(), max(1.0, x1 - x0 - 1), rect.height())
        painter.fillRect(box, lang_color(lang, 170))
    painter.restore()


class WordLangStrip(QWidget):
    """The words of one segment, coloured by language; click one to set it."""

    lang_chosen = Signal(int, int, str)  # segment id, word index, language

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.segment_id: int | None = None
        self.tags: list[dict[str, str]] = []
        self.warning: str | None = None
        self.menu: QMenu | None = None
        self._boxes: list[QRect] = []
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip(self._legend_tip())

    def set_tags(self, segment_id: int | None, tags: Sequence[Mapping[str, Any]]) -> None:
        self.segment_id = segment_id
        self.tags = [
            {"w": str(t["w"]), "l": str(t["l"]), "by": str(t.get("by", "auto"))} for t in tags
        ]
        self._layout()
        self.setVisible(segment_id is not None)
        self.update()

    # -- layout and painting -----------------------------------------------------
    def _legend(self) -> list[tuple[str, str]]:
        return [(lang, LANG_NAMES[lang]) for lang in LANGS]

    def _legend_width(self, fm: QFontMetrics) -> int:
        return sum(12 + fm.horizontalAdvance(name) + 10 for _, name in self._legend())

    def _layout(self) -> None:
        fm = self.fontMetrics()
        height = fm.height() + 2 * PAD_Y
        right = max(80, self.width() - self._legend_width(fm) - 12)
        x, y = 0, 0
        self._boxes = []
        for t in self.tags:
            w = fm.horizontalAdvance(t["w"]) + 2 * PAD_X
            if x > 0 and x + w > right:
                x, y = 0, y + height + GAP
            self._boxes.append(QRect(x, y, w, height))
            x += w + GAP
        rows = (y // (height + GAP) + 1) if self.tags else 1
        self.setFixedHeight(rows * height + (rows - 1) * GAP + 2)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._layout()

    def sizeHint(self) -> QSize:
        return QSize(400, self.fontMetrics().height() + 2 * PAD_Y + 2)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        fm = self.fontMetrics()
        text_color = self.palette().text().color()
        for box, t in zip(self._boxes, self.tags, strict=True):
            p.setBrush(lang_color(t["l"], 90))
            pen = QPen(lang_color(t["l"]), 1.5 if t["by"] == "user" else 0)
            p.setPen(pen if t["by"] == "user" else Qt.PenStyle.NoPen)
            p.drawRoundedRect(QRectF(box).adjusted(0.5, 0.5, -0.5, -0.5), 3, 3)
            p.setPen(text_color)
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, t["w"])
        x = self.width() - self._legend_width(fm)
        for lang, name in self._legend():
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(lang_color(lang, 200))
            p.drawRoundedRect(QRectF(x, (fm.height() + 2 * PAD_Y - 9) / 2, 9, 9), 2, 2)
            p.setPen(self.palette().placeholderText().color())
            p.drawText(x + 12, PAD_Y + fm.ascent(), name)
            x += 12 + fm.horizontalAdvance(name) + 10
        p.end()

    # -- interaction ---------------------------------------------------------------
    def word_at(self, pos: QPoint) -> int | None:
        for i, box in enumerate(self._boxes):
            if box.contains(pos):
                return i
        return None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        i = self.word_at(event.position().toPoint())
        if i is None:
            self.setToolTip(self._legend_tip())
        else:
            t = self.tags[i]
            who = "set by you" if t["by"] == "user" else "automatic"
            self.setToolTip(f"{t['w']}: {LANG_NAMES.get(t['l'], t['l'])} ({who}); click to change")
        hand = Qt.CursorShape.PointingHandCursor
        self.setCursor(hand if i is not None else Qt.CursorShape.ArrowCursor)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        i = self.word_at(event.position().toPoint())
        if i is None or self.segment_id is None or event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        self.menu = self.word_menu(i)
        self.menu.popup(self.mapToGlobal(self._boxes[i].bottomLeft()))

    def word_menu(self, index: int) -> QMenu:
        """The menu of languages for word ``index`` (the current one checked)."""
        menu = QMenu(self)
        current = self.tags[index]["l"]
        for lang in LANGS:
            action = menu.addAction(LANG_NAMES[lang])
            action.setCheckable(True)
            action.setChecked(lang == current)
            action.setData(lang)
            action.triggered.connect(lambda _=False, lang=lang: self._choose(index, lang))
        return menu

    def _choose(self, index: int, lang: str) -> None:
        if self.segment_id is not None:
            self.lang_chosen.emit(self.segment_id, index, lang)

    def _legend_tip(self) -> str:
        tip = (
            "The language of each word: Kazakh, Russian or other. Click a word to "
            "change it; a framed word was set by you and stays through text edits."
        )
        return f"{tip}\n{self.warning}" if self.warning else tip

    def show_tip(self) -> None:
        QToolTip.showText(self.mapToGlobal(QPoint(0, self.height())), self.toolTip(), self)


class WordLangBinder(QObject):
    """Keeps a :class:`WordLangStrip` under the transcript on the current segment
    and turns its clicks into undoable edits."""

    def __init__(self, controller: ReviewController) -> None:
        super().__init__(controller)
        self.controller = controller
        pane = controller.pane
        self.strip = WordLangStrip(pane)
        self.strip.hide()
        layout = pane.layout()
        if layout is not None:
            layout.addWidget(self.strip)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self.refresh)
        pane.current_changed.connect(lambda _seg: self._refresh_timer.start())
        controller.model.modelReset.connect(self._refresh_timer.start)
        controller.model.dataChanged.connect(lambda *_: self._refresh_timer.start())
        self.strip.lang_chosen.connect(self.set_lang)
        # the word lists load in the background (about a second), not on the first click
        threading.Thread(target=load_lexicon, name="jazba-wordlists", daemon=True).start()

    def refresh(self) -> None:
        session = self.controller.session
        seg = self.controller.pane.current_segment()
        if session is None or seg is None or not seg.text.strip():
            self.strip.set_tags(None, [])
            return
        service = WordLangService(session.project)
        try:
            tags = service.get(seg.id)
        except JazbaError:
            self.strip.set_tags(None, [])
            return
        if not tags:  # a translation or a note: no word languages
            self.strip.set_tags(None, [])
            return
        self.strip.warning = service.tagger.warning
        self.strip.set_tags(seg.id, tags)

    def set_lang(self, segment_id: int, index: int, lang: str) -> None:
        editor = self.controller.editor
        if editor is not None:
            editor.set_word_lang(segment_id, index, lang)
        self.refresh()
