"""The Text column shows whole sentences: wrapped over several lines, rows as tall
as their text, clicks and tooltips on exactly the words drawn, and only the
columns that have something to show."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from sqlalchemy import update

from desktop_app.core.project import Project
from desktop_app.core.services.dto import SegmentInfo
from desktop_app.core.store.schema import Segment
from desktop_app.gui import theme
from desktop_app.gui.review.segment_table_model import Col, SegmentTableModel
from desktop_app.gui.review.text_delegate import MIN_ROW_HEIGHT
from desktop_app.gui.review.text_layout import ELLIPSIS, MAX_LINES
from desktop_app.gui.review.transcript_pane import TranscriptPane
from tests.gui.conftest import replace_draft

TEXT = (
    "Мен осы ауылда туып-өстім, әкем колхозда жылқышы болып істеді, ал анам мектепте "
    "қазақ тілі мен әдебиетінен сабақ берді, бала кезімізде қыста қар өте қалың түсетін, "
    "сондықтан біз мектепке шанамен баратынбыз"
)
SENTENCE = TEXT.split()
LOW_WORD = len(SENTENCE) - 2  # "шанамен": far into the sentence, on a later line


@pytest.fixture
def long_draft(project_path: Path) -> Path:
    """Recording 1's draft: a long sentence (one low word near its end), a short one."""
    project = Project.open(project_path)
    long = [(w, 0.2 if i == LOW_WORD else 0.9) for i, w in enumerate(SENTENCE)]
    replace_draft(project, 1, [long, [("Иә,", 0.9), ("рақмет.", 0.9)]], "base")
    project.close()
    return project_path


def cell_words(window, row: int) -> dict[int, list[QPoint]]:
    """Word index -> the points of the Text cell where the delegate finds it."""
    view, delegate = window.transcript.view, window.transcript.text_delegate
    index = window.segment_model.index(row, Col.TEXT)
    rect = view.visualRect(index)
    found: dict[int, list[QPoint]] = {}
    for y in range(rect.top(), rect.bottom(), 3):
        for x in range(rect.left(), rect.right(), 3):
            word = delegate.word_at(view, index, QPoint(x, y))
            if word is not None:
                found.setdefault(word, []).append(QPoint(x, y))
    return found


def test_a_long_sentence_wraps_and_its_row_grows(make_window, long_draft, qtbot) -> None:
    window = make_window(long_draft)
    view, delegate = window.transcript.view, window.transcript.text_delegate
    seg = window.segment_model.segment(0)
    assert seg.text == " ".join(SENTENCE)

    def fitted() -> int:
        return delegate.text_height(seg.text, view.font(), view.columnWidth(Col.TEXT))

    qtbot.waitUntil(lambda: view.rowHeight(0) == fitted())  # the column has its width
    height = view.rowHeight(0)
    lines = delegate.wrapped(TEXT, view.font(), view.columnWidth(Col.TEXT)).lines
    assert 1 < len(lines) <= MAX_LINES
    assert height > 2 * MIN_ROW_HEIGHT - 10 and view.rowHeight(1) == MIN_ROW_HEIGHT
    # every word is drawn and can be clicked, line after line
    found = cell_words(window, 0)
    assert sorted(found) == list(range(len(SENTENCE)))
    tops = [min(p.y() for p in found[i]) for i in range(len(SENTENCE))]
    assert tops == sorted(tops) and tops[-1] - tops[0] >= (len(lines) - 1) * 15
    # narrower: more lines, a taller row
    window.resize(900, window.height())
    qtbot.waitUntil(lambda: view.rowHeight(0) > height)
    qtbot.waitUntil(lambda: view.rowHeight(0) == fitted())


def test_a_click_on_a_word_of_a_later_line_seeks_to_it(make_window, long_draft, qtbot) -> None:
    window = make_window(long_draft)
    qtbot.wait(100)
    points = cell_words(window, 0)[LOW_WORD]
    middle = points[len(points) // 2]
    qtbot.mouseClick(window.transcript.view.viewport(), Qt.MouseButton.LeftButton, pos=middle)
    spans = window.segment_model.word_spans(window.segment_model.segment(0))
    assert window.player.position_ms == spans[LOW_WORD].start_ms


def test_the_drawn_low_word_is_where_the_clicks_find_it(make_window, long_draft, qtbot) -> None:
    window = make_window(long_draft)
    qtbot.wait(100)  # the rows have their final heights
    window.transcript.select_row(1)  # row 0 not selected: its own colours
    window.transcript.text_delegate.playhead_ms = None
    view = window.transcript.view
    image = view.viewport().grab().toImage()
    ratio = image.devicePixelRatio()
    amber = QColor(theme.current().low_conf_word)

    def amber_at(points: list[QPoint]) -> int:
        n = 0
        for p in points:
            for dy in range(-6, 7):
                y = min(image.height() - 1, max(0, round((p.y() + dy) * ratio)))
                c = image.pixelColor(round(p.x() * ratio), y)
                near = abs(c.red() - amber.red()) + abs(c.green() - amber.green())
                n += near + abs(c.blue() - amber.blue()) < 60
        return n

    found = cell_words(window, 0)
    assert amber_at(found[LOW_WORD]) > 5
    assert amber_at(found[1]) == 0 and amber_at(found[LOW_WORD - 3]) == 0


def test_text_past_the_line_limit_ends_in_an_ellipsis(make_window, project_path, qtbot) -> None:
    project = Project.open(project_path)
    replace_draft(project, 1, [[(w, 0.9) for w in SENTENCE * 6]], "base")
    project.close()
    window = make_window(project_path)
    qtbot.wait(100)
    view, delegate = window.transcript.view, window.transcript.text_delegate
    wrapped = delegate.wrapped(" ".join(SENTENCE * 6), view.font(), view.columnWidth(Col.TEXT))
    assert len(wrapped.lines) == MAX_LINES and wrapped.text.endswith(ELLIPSIS)
    assert view.rowHeight(0) == delegate.text_height(
        " ".join(SENTENCE * 6), view.font(), view.columnWidth(Col.TEXT)
    )
    assert sorted(cell_words(window, 0)) == list(range(wrapped.words))  # the shown ones
    index = window.segment_model.index(0, Col.TEXT)
    assert index.data(Qt.ItemDataRole.ToolTipRole) == " ".join(SENTENCE * 6)  # all of it


def test_empty_columns_hide_and_come_back(make_window, project_path, qtbot) -> None:
    window = make_window(project_path)
    view, session = window.transcript.view, window.session
    hidden = {c for c in Col if view.isColumnHidden(c)}
    assert hidden == {Col.PERPLEXITY}  # not scored yet; the draft has speakers, languages
    first = window.segment_model.segment(0)
    with session.project.unit() as s:  # what unit-LM scoring stores
        s.execute(update(Segment).where(Segment.id == first.id).values(unit_perplexity=12.5))
    session.notify_segments(first.recording_id)
    assert not view.isColumnHidden(Col.PERPLEXITY)
    ids = [s.id for s in window.segment_model.segments]
    window.editor.set_speaker(ids, None)
    window.editor.set_language(ids, None)
    assert view.isColumnHidden(Col.SPEAKER) and view.isColumnHidden(Col.LANGUAGE)
    window.actions["undo"].trigger()
    assert not view.isColumnHidden(Col.LANGUAGE)
    window.recordings.select(window.recordings.model.recording(0).id)
    window.review.open_recording_none()
    assert {c for c in Col if not view.isColumnHidden(c)} == {Col.TIME, Col.STATUS, Col.TEXT}


def _segment(k: int, text: str) -> SegmentInfo:
    return SegmentInfo(k, 1, 1, k * 4000, k * 4000 + 3400, text, None, "kk", "auto", 0.8,
                       None, None, None)  # fmt: skip


def test_row_heights_of_2000_segments_wrap_each_text_once(qtbot, monkeypatch) -> None:
    """A 2-hour recording: each text is wrapped once per width; a reload of the
    same rows (after any edit) and a repaint wrap nothing again."""
    from desktop_app.gui.review import text_layout

    model = SegmentTableModel()
    pane = TranscriptPane(model, lambda: [])
    qtbot.addWidget(pane)
    pane.resize(1200, 700)
    pane.show()
    qtbot.waitExposed(pane)
    calls = []
    real = text_layout.Wrapper._wrap
    monkeypatch.setattr(text_layout.Wrapper, "_wrap", lambda *a: calls.append(1) or real(*a))
    words = SENTENCE * 2
    segments = [_segment(k, " ".join(words[: 3 + k % 57]) + f" {k}") for k in range(2000)]
    model.set_segments(segments)
    pane.fit_rows()
    assert len(calls) == 2000
    heights = {pane.view.rowHeight(r) for r in range(2000)}
    assert len(heights) > 2  # one, two, three… lines
    model.set_segments(segments)  # same rows (an edit elsewhere reloads them all)
    pane.view.viewport().repaint()
    assert len(calls) == 2000
