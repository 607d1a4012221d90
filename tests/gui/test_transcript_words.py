"""Words in the transcript: low-confidence ones highlighted, a click seeks to a word,
and "next low-confidence word" walks them from the keyboard."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QHelpEvent
from PySide6.QtWidgets import QApplication, QStyleOptionViewItem, QToolTip

from desktop_app.gui import theme
from desktop_app.gui.dialogs.help_dialog import shortcuts_html
from desktop_app.gui.review.segment_table_model import Col
from desktop_app.gui.review.text_delegate import word_formats
from desktop_app.gui.review.word_spans import word_spans

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
LEFT = Qt.MouseButton.LeftButton


def word_x_range(window, row: int, word: int) -> tuple[int, int, int]:
    """``(first x, last x, y)`` in the viewport where the delegate finds ``word``."""
    view, delegate = window.transcript.view, window.transcript.text_delegate
    index = window.segment_model.index(row, Col.TEXT)
    rect = view.visualRect(index)
    y = rect.center().y()
    xs = [
        x
        for x in range(rect.left(), rect.right())
        if delegate.word_at(view, index, QPoint(x, y)) == word
    ]
    assert xs, f"word {word} of row {row} is not visible"
    return xs[0], xs[-1], y


def click_word(qtbot, window, row: int, word: int, mods=Qt.KeyboardModifier.NoModifier) -> None:
    a, b, y = word_x_range(window, row, word)
    qtbot.mouseClick(window.transcript.view.viewport(), LEFT, mods, QPoint((a + b) // 2, y))


def word_start(window, row: int, word: int) -> int:
    seg = window.segment_model.segment(row)
    return window.segment_model.word_spans(seg)[word].start_ms


def use_fixed_threshold(window, threshold: float) -> None:
    """The user's own threshold (Settings) instead of the calibrated one."""
    from dataclasses import replace

    window.apply_settings(
        replace(window.settings, low_confidence=threshold, low_confidence_fixed=True)
    )


def test_click_on_a_word_moves_the_playhead_there(window, qtbot) -> None:
    window.recordings.select(2)  # "бүгін ауа райы өте жақсы", "таудын басында кар жатыр", …
    assert window.transcript.current_segment().id == window.segment_model.segment(0).id
    click_word(qtbot, window, 0, 3)  # "өте"
    assert window.player.position_ms == word_start(window, 0, 3)
    assert round(window.waveform.playhead.value() * 1000) == word_start(window, 0, 3)
    click_word(qtbot, window, 1, 2)  # "кар" on the next row: selects it, then seeks
    assert window.transcript.current_segment().id == window.segment_model.segment(1).id
    assert window.player.position_ms == word_start(window, 1, 2)
    assert window.transcript.text_delegate.playhead_ms == word_start(window, 1, 2)
    assert not window.transcript.is_editing()  # a single click never opens the editor


def test_modifier_clicks_and_blank_space_do_not_seek_to_a_word(window, qtbot) -> None:
    window.recordings.select(2)
    view = window.transcript.view
    click_word(qtbot, window, 1, 2, SHIFT)  # extends the selection to row 1
    assert sorted({i.row() for i in view.selectionModel().selectedRows()}) == [0, 1]
    assert window.player.position_ms != word_start(window, 1, 2)
    # right of the text, in the same cell: selects the row (seeks to its start) only
    rect = view.visualRect(window.segment_model.index(2, Col.TEXT))
    _a, last, y = word_x_range(window, 2, len(window.segment_model.segment(2).text.split()) - 1)
    assert last + 10 < rect.right()
    qtbot.mouseClick(view.viewport(), LEFT, Qt.KeyboardModifier.NoModifier, QPoint(last + 8, y))
    assert window.player.position_ms == window.segment_model.segment(2).start_ms


def test_low_words_are_drawn_highlighted(window, qtbot) -> None:
    window.recordings.select(1)  # "сәлеметсіз бе менің атым айгул": only "айгул" is low
    window.transcript.select_row(1)  # the row under test is not selected
    window.transcript.text_delegate.playhead_ms = None
    image = window.transcript.view.viewport().grab().toImage()
    low = QColor(theme.current().low_conf_word)

    def amber_pixels(word: int) -> int:
        a, b, _y = word_x_range(window, 0, word)
        rect = window.transcript.view.visualRect(window.segment_model.index(0, Col.TEXT))
        n = 0
        for x in range(a, b + 1):
            for yy in range(rect.top(), rect.bottom()):
                c = image.pixelColor(x, yy)
                if (
                    abs(c.red() - low.red())
                    + abs(c.green() - low.green())
                    + abs(c.blue() - low.blue())
                    < 60
                ):
                    n += 1
        return n

    assert amber_pixels(4) > 10  # coloured and underlined
    assert amber_pixels(1) == 0


def test_next_low_word_shortcut_walks_the_underlined_words(window, qtbot) -> None:
    assert window.actions["next_low_word"].shortcut().toString() == "Ctrl+Shift+L"
    use_fixed_threshold(window, 0.6)  # the draft's 0.35 words only
    window.recordings.select(2)
    model = window.segment_model
    low_row = 1  # "таудын басында кар жатыр": "таудын" and "кар" are low
    window.transcript.view.setFocus()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    qtbot.keyClick(window.transcript.view, Qt.Key.Key_L, CTRL | SHIFT)
    assert window.transcript.current_segment().id == model.segment(low_row).id
    assert window.player.position_ms == word_start(window, low_row, 0)
    window.actions["next_low_word"].trigger()
    assert window.player.position_ms == word_start(window, low_row, 2)
    assert "кар" in window.statusBar().currentMessage()
    window.actions["next_low_word"].trigger()  # none later: back to the first
    assert window.player.position_ms == word_start(window, low_row, 0)
    window.editor.set_status([model.segment(low_row).id], "approved")
    window.actions["next_low_word"].trigger()
    assert window.statusBar().currentMessage().startswith("No low-confidence words")


def test_word_under_the_mouse_has_its_own_tooltip(window, qtbot) -> None:
    window.recordings.select(1)
    view, delegate = window.transcript.view, window.transcript.text_delegate
    a, b, y = word_x_range(window, 0, 4)
    pos = QPoint((a + b) // 2, y)
    index = window.segment_model.index(0, Col.TEXT)
    event = QHelpEvent(QHelpEvent.Type.ToolTip, pos, view.viewport().mapToGlobal(pos))
    assert delegate.helpEvent(event, view, QStyleOptionViewItem(), index)
    tip = QToolTip.text()
    threshold = window.session.confidence.calibration(None).word_threshold
    assert "айгул" in tip and "0.35" in tip
    assert f"below this project's 20th percentile, {threshold:.2f}" in tip
    QToolTip.hideText()
    use_fixed_threshold(window, 0.6)
    assert delegate.helpEvent(event, view, QStyleOptionViewItem(), index)
    assert "below your fixed threshold, 0.60 (Settings)" in QToolTip.text()
    QToolTip.hideText()


def test_the_word_under_the_playhead_is_shaded() -> None:
    from tests.gui.test_word_spans import WORDS, seg

    spans = word_spans(seg("таудын басында кар жатыр.", WORDS), 0.6)
    accent = theme.color(theme.current().accent)

    def shaded(formats) -> list[int]:
        return [
            f.start
            for f in formats
            if f.format.background().color().rgb() == accent.rgb()
            and f.format.background().color().alpha() < 255
        ]

    assert shaded(word_formats(spans, None)) == []
    assert shaded(word_formats(spans, 1500)) == [spans[1].offset]  # inside "басында"
    low = [f.start for f in word_formats(spans, None) if f.format.fontUnderline()]
    assert low == [spans[0].offset, spans[2].offset]  # "таудын", "кар"


def test_help_explains_clicking_words() -> None:
    text = shortcuts_html({"next_low_word": "Ctrl+Shift+L"})
    assert "Next low-confidence word" in text
    assert "Click a word" in text


def test_long_text_wraps_then_ends_in_an_ellipsis_after_whole_words(qapp) -> None:
    from PySide6.QtGui import QFont

    from desktop_app.gui.review.text_layout import ELLIPSIS, MAX_LINES, Wrapper

    wrapper = Wrapper(QFont())
    text = "таудын басында кар жатыр"
    words = text.split()
    one = wrapper.wrap(words, 2000)
    assert one.lines == (len(" ".join(words)),) and one.words == 4 and not one.elided
    narrow = wrapper.wrap(words, wrapper.advance("басында кар") + 1)
    assert len(narrow.lines) > 1 and narrow.text == " ".join(words)  # wrapped, all shown
    long = wrapper.wrap(words * 40, 150)
    assert len(long.lines) == MAX_LINES and long.elided
    assert long.text == " ".join((words * 40)[: long.words]) + " " + ELLIPSIS
    start = 0
    for n in long.lines:  # every line fits
        assert wrapper.metrics.horizontalAdvance(long.text[start : start + n].strip()) <= 150
        start += n
