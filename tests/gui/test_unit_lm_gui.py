"""Unit-LM perplexity in the window: sortable column, quality strip, review queue, scoring job."""

from __future__ import annotations

from PySide6.QtCore import Qt

from desktop_app.gui.review.segment_table_model import Col
from desktop_app.services.unit_scoring import _store


def _set_perplexities(window, values: dict[int, float]) -> None:
    project = window.session.project
    with project.unit() as s:
        for seg_id, ppl in values.items():
            _store(s, seg_id, ppl)
    window.session.notify_segments(None)


def test_perplexity_column_sorts_and_strip_follows(window, qtbot) -> None:
    model = window.segment_model
    segs = model.segments
    assert len(segs) == 2 and model.headerData(Col.PERPLEXITY, Qt.Orientation.Horizontal, 0)
    first, second = segs
    _set_perplexities(window, {first.id: 12.5, second.id: 80.0})
    qtbot.waitUntil(lambda: model.segment(0).unit_perplexity is not None)
    assert model.data(model.index(0, Col.PERPLEXITY)) == "12.5"
    # sort by perplexity, highest first: rows swap, row_at still finds segments by time
    model.sort(Col.PERPLEXITY, Qt.SortOrder.DescendingOrder)
    assert [s.id for s in model.segments] == [second.id, first.id]
    assert model.row_at(first.start_ms) == 1 and model.row_at(second.start_ms) == 0
    # a refresh from the database keeps the chosen order
    window.session.notify_segments(None)
    qtbot.waitUntil(lambda: window.unit_lm.strip.items != [])
    assert [s.id for s in model.segments] == [second.id, first.id]
    model.sort(Col.TIME, Qt.SortOrder.AscendingOrder)
    assert [s.id for s in model.segments] == [first.id, second.id]
    strip = window.unit_lm.strip
    assert {it.segment_id for it in strip.items} == {first.id, second.id}
    a, b = strip.x_of(first.start_ms), strip.x_of(first.end_ms)
    assert 0 <= a < b <= strip.width() + 1
    assert strip.item_at((a + b) / 2).segment_id == first.id


def test_review_queue_action_visits_the_most_doubtful_segment_first(window) -> None:
    first, second = window.segment_model.segments
    # equal ASR doubt would tie; the much higher perplexity decides
    _set_perplexities(window, {first.id: 10.0, second.id: 500.0})
    target = window.unit_lm.next_in_queue()
    queue_first = max(
        (first, second),
        key=lambda s: 0.5 * (1 - s.confidence) + 0.5 * (1.0 if s.id == second.id else 0.0),
    )
    assert target == queue_first.id
    assert window.review.current_segment().id == target
    assert window.unit_lm.next_in_queue() != target  # then the next one


def test_scoring_without_a_unit_lm_says_what_to_do(window, qtbot, answers) -> None:
    menus = [a.text() for m in window.menuBar().actions() for a in m.menu().actions()]
    assert "Score with the &unit LM" in menus and "Next in review &queue" in menus
    job = window.unit_lm.score()
    qtbot.waitUntil(lambda: job.status.finished, timeout=10000)
    assert job.status.value == "failed"
    assert answers.errors and "No unit LM is installed" in answers.errors[-1]
