"""The word language strip under the transcript: the current segment's words
coloured by language, a click sets one (undoable), and the painting helpers."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QMenu

from desktop_app.core.services.word_langs import WordLangService
from desktop_app.gui.review.word_lang_strip import (
    LANG_COLORS,
    WordLangStrip,
    coloured_spans,
    paint_word_langs,
)

LEFT = Qt.MouseButton.LeftButton


def _strip(window) -> WordLangStrip:
    return window.review.word_langs.strip


def test_strip_follows_the_current_segment(qtbot, window) -> None:
    window.transcript.select_row(0)
    strip = _strip(window)
    seg = window.transcript.current_segment()
    qtbot.waitUntil(lambda: strip.segment_id == seg.id and strip.isVisible())
    assert [t["w"] for t in strip.tags] == seg.text.replace(",", " ").replace(".", " ").split()
    assert all(t["l"] in LANG_COLORS for t in strip.tags)


def test_click_a_word_sets_its_language_and_undo_takes_it_back(
    qtbot, window, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[QMenu] = []
    monkeypatch.setattr(QMenu, "popup", lambda self, *_: shown.append(self))  # offscreen: no popups
    window.transcript.select_row(0)
    strip = _strip(window)
    seg = window.transcript.current_segment()
    qtbot.waitUntil(lambda: strip.segment_id == seg.id)
    box = strip._boxes[0]
    qtbot.mouseClick(strip, LEFT, pos=box.center())
    assert shown == [strip.menu] and strip.menu is not None
    actions = {a.data(): a for a in strip.menu.actions()}
    assert actions[strip.tags[0]["l"]].isChecked()
    new = "ru" if strip.tags[0]["l"] != "ru" else "kk"
    actions[new].trigger()
    service = WordLangService(window.session.project)
    assert service.get(seg.id)[0] == {"w": strip.tags[0]["w"], "l": new, "by": "user"}
    qtbot.waitUntil(lambda: strip.tags and strip.tags[0]["by"] == "user")
    assert window.undo_stack.undoText().startswith("Set word language")
    window.undo_stack.undo()
    assert service.get(seg.id)[0]["by"] == "auto"
    qtbot.waitUntil(lambda: strip.tags and strip.tags[0]["by"] == "auto")
    window.undo_stack.redo()
    assert service.get(seg.id)[0]["l"] == new


def test_painting_helpers(qtbot) -> None:
    tags = [
        {"w": "Мен", "l": "kk", "by": "auto"},
        {"w": "очень", "l": "ru", "by": "user"},
    ]
    spans = coloured_spans("Мен, очень!", tags)
    assert [(s.start, s.end, s.lang, s.by) for s in spans] == [
        (0, 3, "kk", "auto"),
        (5, 10, "ru", "user"),
    ]
    assert spans[1].color.name() == LANG_COLORS["ru"]
    assert coloured_spans("Мен", tags) == []  # tags of another text: nothing
    image = QImage(200, 10, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    paint_word_langs(painter, QRectF(0, 0, 200, 10), 0, 1000, tags)
    painter.end()
    left, right = image.pixelColor(20, 5), image.pixelColor(150, 5)
    assert left.green() > left.red() and right.red() > right.green()  # teal kk, orange ru
