"""Drawing segments on the waveform, snapping to silence, and tiers."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
LEFT = Qt.MouseButton.LeftButton


def px(window, t_s: float) -> QPoint:
    """Viewport position of time ``t_s`` on the waveform, mid-height."""
    vb = window.waveform.plot.getViewBox()
    scene = vb.mapViewToScene(QPointF(t_s, 0.0))
    return window.waveform.canvas.mapFromScene(scene)


def drag(window, t0: float, t1: float, mods=SHIFT) -> None:
    """Press at ``t0``, move in steps, release at ``t1`` (real mouse events,
    spaced out: pyqtgraph drops moves that come faster than its frame rate)."""
    viewport = window.waveform.canvas.viewport()
    a, b = px(window, t0), px(window, t1)
    steps = [a + (b - a) * (k / 8) for k in range(9)]
    events = [(QEvent.Type.MouseButtonPress, a, LEFT, LEFT)]
    events += [(QEvent.Type.MouseMove, p, Qt.MouseButton.NoButton, LEFT) for p in steps[1:]]
    events += [(QEvent.Type.MouseButtonRelease, b, LEFT, Qt.MouseButton.NoButton)]
    for kind, pos, button, buttons in events:
        local = QPointF(pos)
        ev = QMouseEvent(kind, local, QPointF(viewport.mapToGlobal(pos)), button, buttons, mods)
        QApplication.sendEvent(viewport, ev)
        QTest.qWait(20)


def empty_tier(window, answers) -> int:
    answers.texts.append("manual")
    window.actions["new_tier"].trigger()
    assert window.tier_box.currentText() == "manual"
    assert window.segment_model.rowCount() == 0
    return window.review.tier_id


def spans(window) -> list[tuple[int, int]]:
    return [(s.start_ms, s.end_ms) for s in window.segment_model.segments]


def test_shift_drag_draws_a_segment_snapped_to_silence(window, answers, qtbot) -> None:
    tier = empty_tier(window, answers)
    # speech runs from 0.6 s to 2.8 s; the drawn end (2.76 s) is inside it, near its end
    drag(window, 0.3, 2.76)
    (seg,) = window.segment_model.segments
    assert seg.tier_id == tier and abs(seg.start_ms - 300) <= 15  # in silence: kept
    assert 2780 <= seg.end_ms <= 2860  # moved out to where the speech stops
    assert window.transcript.is_editing()  # ready to type its text
    window.transcript.commit_editor()
    window.actions["undo"].trigger()
    assert window.segment_model.rowCount() == 0
    window.actions["redo"].trigger()
    assert spans(window) == [(seg.start_ms, seg.end_ms)]


def test_plain_drag_pans_and_alt_places_exactly(window, answers, qtbot) -> None:
    empty_tier(window, answers)
    window.waveform.set_view(1.0, 3.0)
    before = window.waveform.view_range()
    drag(window, 2.0, 2.5, mods=Qt.KeyboardModifier.NoModifier)
    assert window.segment_model.rowCount() == 0
    assert window.waveform.view_range()[0] < before[0]  # dragged right: the view moved left
    window.actions["snap"].setChecked(False)
    window.waveform.zoom_fit()
    drag(window, 0.3, 2.76)
    (seg,) = window.segment_model.segments
    assert abs(seg.end_ms - 2760) <= 15  # only the pixel grid, no snapping


def test_dragged_boundary_snaps_and_stays_off_the_neighbours(window) -> None:
    first, second = window.segment_model.segments  # 600–3232, 3832–6335
    layer = window.waveform.layer
    layer.times_changed.emit(first.id, 650, first.end_ms)  # start dragged into the speech
    moved = window.segment_model.segment(0)
    assert 580 <= moved.start_ms <= 610
    layer.times_changed.emit(second.id, second.start_ms, 6300)
    assert window.segment_model.segment(1).end_ms == 6300  # silence there already
    window.actions["undo"].trigger()
    window.actions["undo"].trigger()
    assert spans(window) == [(first.start_ms, first.end_ms), (second.start_ms, second.end_ms)]


def test_add_segment_runs_from_the_playhead_to_the_next_silence(window, answers, qtbot) -> None:
    empty_tier(window, answers)
    window.review.seek(300)
    view = window.transcript.view
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_A, CTRL | SHIFT)
    window.transcript.commit_editor()
    ((start, end),) = spans(window)
    assert 580 <= start <= 620 and 2780 <= end <= 2860  # the first stretch of speech
    window.review.seek(end + 200)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_A, CTRL | SHIFT)
    window.transcript.commit_editor()
    second = spans(window)[1]
    assert 3780 <= second[0] <= 3860 and 5880 <= second[1] <= 5960


def test_tiers_create_rename_and_switch_by_keyboard(window, answers, qtbot) -> None:
    names = lambda: [window.tier_box.itemText(i) for i in range(window.tier_box.count())]  # noqa: E731
    assert names() == ["transcription", "reference"]
    empty_tier(window, answers)
    assert names() == ["transcription", "reference", "manual"]
    answers.texts.append("аударма")
    window.actions["rename_tier"].trigger()
    assert names()[-1] == "аударма" and window.tier_box.currentText() == "аударма"
    view = window.transcript.view
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_T, CTRL | SHIFT)  # wraps around to the first tier
    assert window.tier_box.currentText() == "transcription"
    assert window.segment_model.rowCount() == 2
    qtbot.keyClick(view, Qt.Key.Key_T, CTRL | SHIFT)
    assert window.tier_box.currentText() == "reference"
    assert all(s.status == "approved" for s in window.segment_model.segments)
    qtbot.keyClick(view, Qt.Key.Key_T, CTRL | SHIFT)
    qtbot.keyClick(view, Qt.Key.Key_T, CTRL | SHIFT)
    answers.texts.append("mine")  # the model's tier keeps its name
    window.actions["rename_tier"].trigger()
    assert "keeps its name" in window.statusBar().currentMessage()
    answers.texts.append("reference")
    window.actions["new_tier"].trigger()
    assert "already exists" in window.statusBar().currentMessage()
    assert [t.name for t in window.session.tier_list()] == [
        "transcription",
        "reference",
        "аударма",
    ]
