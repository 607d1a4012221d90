"""The stacked tiers under the waveform: rows, hierarchy, selection, editing, keys."""

from __future__ import annotations

import random

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from sqlalchemy import update

from desktop_app.core.services.dto import SegmentInfo, TierInfo
from desktop_app.core.store.schema import Tier
from desktop_app.gui.review.child_tier_dialog import KINDS, ChildTierDialog, ChildTierRequest
from desktop_app.gui.review.tier_rows import build_rows, tier_order
from desktop_app.gui.review.tier_stack import HEADER_H

LEFT = Qt.MouseButton.LeftButton


def add_child_tier(window, name: str, constraint: str = "symbolic_association") -> int:
    """A child tier of ``transcription`` (written as the migration stores it)."""
    session = window.session
    parent = next(t for t in session.tier_list() if t.name == "transcription")
    tier = session.tiers.create(name, kind="translation")
    with session.project.unit() as s:
        s.execute(
            update(Tier)
            .where(Tier.id == tier.id)
            .values(parent_id=parent.id, constraint=constraint)
        )
    session.tiers_changed.emit()
    return tier.id


def row(window, name: str):
    return next(r for r in window.tier_stack.canvas.rows if r.tier.name == name)


def click_box(window, name: str, i: int, qtbot, double: bool = False) -> None:
    canvas = window.tier_stack.canvas
    r = row(window, name)
    rect = canvas.box_rect(canvas.rows.index(r), r.boxes[i])
    pos = rect.center().toPoint()
    QTest.mouseClick(canvas, LEFT, Qt.KeyboardModifier.NoModifier, pos)
    if double:
        QTest.mouseDClick(canvas, LEFT, Qt.KeyboardModifier.NoModifier, pos)


def test_a_row_for_every_tier_with_child_tiers_indented_under_their_parent(window) -> None:
    canvas = window.tier_stack.canvas
    assert [r.tier.id for r in canvas.rows] == [t.id for t in window.session.tier_list()]
    assert {r.tier.name for r in canvas.rows} == {"transcription", "reference"}
    add_child_tier(window, "translation")
    names = [r.tier.name for r in canvas.rows]
    k = names.index("transcription")
    assert names[k + 1] == "translation"  # right under its parent ...
    assert row(window, "translation").depth == 1 and row(window, "transcription").depth == 0
    assert "symbolic association of transcription" in row(window, "translation").label(
        "transcription"
    )
    # the boxes are the recording's segments of each tier, at their times
    rec = window.review.recording
    segs = window.session.segments.list(rec.id, row(window, "transcription").tier.id)
    got = [(b.start_ms, b.end_ms, b.text) for b in row(window, "transcription").boxes]
    assert got == [(s.start_ms, s.end_ms, s.text) for s in segs]
    # ... and an empty translation box waits under each transcription segment
    placeholders = row(window, "translation").boxes
    assert [(b.start_ms, b.segment_id, b.text) for b in placeholders] == [
        (s.start_ms, None, "") for s in segs
    ]


def test_clicking_a_header_folds_and_unfolds_its_row(window) -> None:
    canvas = window.tier_stack.canvas
    first = canvas.rows[0]
    full = canvas.content_height()
    QTest.mouseClick(canvas, LEFT, Qt.KeyboardModifier.NoModifier, QPoint(40, HEADER_H // 2))
    assert first.collapsed and canvas.content_height() < full
    window.session.tiers_changed.emit()  # a reload keeps it folded
    assert canvas.rows[0].collapsed
    QTest.mouseClick(canvas, LEFT, Qt.KeyboardModifier.NoModifier, QPoint(40, HEADER_H // 2))
    assert not canvas.rows[0].collapsed and canvas.content_height() == full


def test_a_click_selects_the_box_and_the_table_shows_its_tier(window, qtbot) -> None:
    canvas = window.tier_stack.canvas
    ref = row(window, "reference")
    click_box(window, "reference", 1, qtbot)
    assert window.review.tier_id == ref.tier.id
    assert window.tier_box.currentText() == "reference"
    assert window.transcript.current_segment().id == ref.boxes[1].segment_id
    assert canvas.selected == ("segment", ref.boxes[1].segment_id)
    assert window.waveform.layer.selected_id == ref.boxes[1].segment_id
    # the other way: the next tier in the table becomes the stack's current tier
    window.actions["next_tier"].trigger()
    assert canvas.current_tier == window.review.tier_id != ref.tier.id
    # and the table's current segment (playback moving on does this) is the selected box
    window.review.go_to_row(1, play=False)
    assert canvas.selected == ("segment", window.transcript.current_segment().id)


def test_typing_into_a_box_saves_through_the_undo_stack(window, qtbot, monkeypatch) -> None:
    canvas = window.tier_stack.canvas
    click_box(window, "transcription", 0, qtbot, double=True)
    editor = canvas.editor_widget()
    assert editor is not None and editor.isVisible()
    old = editor.text()
    editor.setText("жаңа мәтін")  # (QTest types ASCII only)
    listed: list[int | None] = []
    real_list = window.session.segments.list

    def spy(recording_id, tier_id=None, **kw):
        listed.append(tier_id)
        return real_list(recording_id, tier_id, **kw)

    monkeypatch.setattr(window.session.segments, "list", spy)
    QTest.keyClick(editor, Qt.Key.Key_Return)
    assert canvas.editor_widget() is None
    assert None not in listed  # the rows re-read the edited segment, not every tier
    seg_id = row(window, "transcription").boxes[0].segment_id
    assert window.session.segments.get(seg_id).text == "жаңа мәтін"
    assert row(window, "transcription").boxes[0].text == "жаңа мәтін"
    assert window.segment_model.segment(0).text == "жаңа мәтін"
    assert [r.after["text"] for r in window.session.segments.history(seg_id)][-1] == "жаңа мәтін"
    window.actions["undo"].trigger()  # the rows follow the undo
    assert window.session.segments.get(seg_id).text == old
    assert row(window, "transcription").boxes[0].text == old


def test_escape_cancels_an_edit(window, qtbot) -> None:
    canvas = window.tier_stack.canvas
    click_box(window, "transcription", 0, qtbot)
    seg_id = canvas.selected[1]
    before = window.session.segments.get(seg_id).text
    steps = window.undo_stack.count()
    QTest.keyClick(canvas, Qt.Key.Key_F2)
    editor = canvas.editor_widget()
    assert editor is not None
    QTest.keyClicks(editor, "xyz")
    QTest.keyClick(editor, Qt.Key.Key_Escape)
    assert canvas.editor_widget() is None
    assert window.session.segments.get(seg_id).text == before
    assert window.undo_stack.count() == steps


def test_leaving_the_box_saves_what_was_typed(window, qtbot) -> None:
    canvas = window.tier_stack.canvas
    click_box(window, "reference", 0, qtbot, double=True)
    seg_id = canvas.selected[1]
    canvas.editor_widget().setText("typed, then clicked away")
    click_box(window, "reference", 1, qtbot)  # nothing typed is lost
    assert canvas.editor_widget() is None
    assert window.session.segments.get(seg_id).text == "typed, then clicked away"
    assert canvas.selected == row(window, "reference").boxes[1].key


def test_an_empty_child_box_becomes_an_annotation_when_typed_into(window, qtbot) -> None:
    canvas = window.tier_stack.canvas
    tier_id = add_child_tier(window, "translation")
    parent = row(window, "transcription").boxes[1]
    click_box(window, "translation", 1, qtbot)
    assert window.review.tier_id == tier_id and window.segment_model.rowCount() == 0
    QTest.keyClick(canvas, Qt.Key.Key_Return)
    QTest.keyClicks(canvas.editor_widget(), "my name is Aigul")
    QTest.keyClick(canvas.editor_widget(), Qt.Key.Key_Return)
    rec = window.review.recording
    (seg,) = window.session.segments.list(rec.id, tier_id)
    assert (seg.start_ms, seg.end_ms, seg.text) == (
        parent.start_ms,
        parent.end_ms,
        "my name is Aigul",
    )
    boxes = row(window, "translation").boxes
    assert [b.segment_id is not None for b in boxes] == [False, True]
    assert canvas.selected == ("segment", seg.id)
    assert window.segment_model.rowCount() == 1  # the table shows the new annotation
    window.actions["undo"].trigger()
    assert window.session.segments.list(rec.id, tier_id) == []
    assert all(b.segment_id is None for b in row(window, "translation").boxes)


def test_keys_move_between_tiers_and_along_a_tier(window, qtbot) -> None:
    canvas = window.tier_stack.canvas
    add_child_tier(window, "translation")
    names = [r.tier.name for r in canvas.rows]
    click_box(window, "transcription", 1, qtbot)
    at = row(window, "transcription").boxes[1]
    QTest.keyClick(canvas, Qt.Key.Key_Down)  # the box below, at the same time
    assert canvas.current_tier == row(window, names[names.index("transcription") + 1]).tier.id
    assert window.review.tier_id == canvas.current_tier
    sel = canvas.selected_box()[1]
    assert sel.start_ms <= (at.start_ms + at.end_ms) / 2 <= sel.end_ms
    QTest.keyClick(canvas, Qt.Key.Key_Up)
    assert canvas.selected == at.key
    QTest.keyClick(canvas, Qt.Key.Key_Left)
    assert canvas.selected == row(window, "transcription").boxes[0].key
    assert window.transcript.current_segment().id == canvas.selected[1]
    QTest.keyClick(canvas, Qt.Key.Key_Right)
    assert canvas.selected == at.key
    # the window's shortcuts do the same from anywhere (the table keeps the focus)
    window.transcript.view.setFocus()
    window.actions["box_prev"].trigger()
    assert canvas.selected == row(window, "transcription").boxes[0].key
    window.actions["tier_down"].trigger()
    assert canvas.current_tier == row(window, names[names.index("transcription") + 1]).tier.id
    window.actions["tier_up"].trigger()
    assert canvas.current_tier == row(window, "transcription").tier.id


def test_the_selected_box_follows_playback(window, qtbot, fake_output) -> None:
    window.recordings.select(2)  # three segments
    qtbot.waitUntil(lambda: window.review.recording.id == 2)
    canvas = window.tier_stack.canvas
    click_box(window, "transcription", 0, qtbot)
    fake_output.pace = 0.05
    window.actions["play_pause"].trigger()
    qtbot.waitUntil(lambda: not window.player.is_playing, timeout=10_000)
    last = row(window, "transcription").boxes[-1]
    assert canvas.selected == last.key
    assert canvas.playhead_ms is not None and canvas.playhead_ms >= last.start_ms


def test_rows_follow_the_shown_recording(window, qtbot) -> None:
    second = window.recordings.model.recording(1)
    window.recordings.select(second.id)
    qtbot.waitUntil(lambda: window.review.recording.id == second.id)
    segs = window.session.segments.list(second.id)
    total = sum(len([b for b in r.boxes if b.segment_id]) for r in window.tier_stack.canvas.rows)
    assert total == len(segs)


# -- the New child tier dialog ------------------------------------------------------------
def tiers() -> list[TierInfo]:
    return [TierInfo(1, "transcription", "transcription", None), TierInfo(2, "notes", "x", None)]


def test_child_tier_dialog_collects_parent_type_and_name(qtbot) -> None:
    dialog = ChildTierDialog(tiers(), parent_tier_id=2)
    qtbot.addWidget(dialog)
    assert dialog.request() == ChildTierRequest(
        2, "translation", "translation", "symbolic_association"
    )
    dialog.parent_box.setCurrentIndex(0)
    words = next(i for i, k in enumerate(KINDS) if k.label == "Words")
    dialog.kind_box.setCurrentIndex(words)
    assert dialog.request() == ChildTierRequest(1, "words", "words", "symbolic_subdivision")
    QTest.keyClicks(dialog.name_edit, " kk")  # a name typed by hand stays when the type changes
    dialog.kind_box.setCurrentIndex(
        next(i for i, k in enumerate(KINDS) if k.constraint == "included_in")
    )
    req = dialog.request()
    assert req is not None and (req.name, req.constraint) == ("words kk", "included_in")
    dialog.name_edit.clear()
    assert dialog.request() is None
    assert not dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()


def test_new_child_tier_gives_a_box_under_every_parent_ready_to_type(window, qtbot) -> None:
    hook, session = window.tier_stack, window.session
    rec = window.review.recording.id
    parents = session.segments.list(rec, window.review.tier_id)
    request = ChildTierRequest(
        window.review.tier_id, "аударма", "translation", "symbolic_association"
    )
    tier = hook.create_child(request)
    assert tier is not None and (tier.parent_id, tier.constraint) == (
        request.parent_tier_id,
        "symbolic_association",
    )
    assert window.review.tier_id == tier.id and window.tier_box.currentText() == "аударма"
    (row,) = [r for r in hook.canvas.rows if r.tier.id == tier.id]
    boxes = [b for b in row.boxes if b.segment_id]
    assert len(boxes) == len(parents) and all(not b.text for b in boxes)
    kids = session.segments.list(rec, tier.id)
    assert sorted(k.parent_id for k in kids) == sorted(p.id for p in parents)
    # the linguist types a translation into the first box; one undo takes it back
    first = min(kids, key=lambda k: k.start_ms)
    window.review.editor.edit_text(first.id, "We are going to Almaty tomorrow.")
    assert session.segments.get(first.id).text == "We are going to Almaty tomorrow."
    window.undo()
    assert session.segments.get(first.id).text == ""


# -- the rows without Qt ---------------------------------------------------------------------
def seg(i: int, tier: int, start: int, end: int, text: str = "") -> SegmentInfo:
    return SegmentInfo(i, 1, tier, start, end, text, None, None, "auto", None, None, None, None)


def test_visible_boxes_are_found_by_binary_search() -> None:
    rng = random.Random(3)
    segs, t = [], 0
    for i in range(500):
        t += rng.randint(0, 3000)
        length = rng.randint(100, 4000)
        segs.append(seg(i, 1, t, t + length))
        t += length // 2 if i % 7 == 0 else length  # some overlap
    (r,) = build_rows([TierInfo(1, "t", "transcription", None)], segs)
    for _ in range(200):
        a = rng.uniform(0, t)
        b = a + rng.uniform(1, 20_000)
        i, j = r.visible_range(a, b)
        shown = {bx.segment_id for bx in r.boxes[i:j] if bx.end_ms > a}
        assert shown == {s.id for s in segs if s.end_ms > a and s.start_ms < b}
        hit = r.box_at(a)
        inside = [s for s in segs if s.start_ms <= a < s.end_ms]
        assert (hit >= 0) == bool(inside)


@pytest.mark.parametrize("cycle", [False, True])
def test_tier_order_is_depth_first_and_survives_cycles(cycle: bool) -> None:
    ts = [
        TierInfo(1, "a", "k", None),
        TierInfo(2, "b", "k", None, parent_id=3 if cycle else None),
        TierInfo(3, "a-child", "k", None, parent_id=1 if not cycle else 2),
        TierInfo(4, "a-grandchild", "k", None, parent_id=3),
    ]
    order = [(t.name, d) for t, d in tier_order(ts)]
    assert sorted(n for n, _ in order) == sorted(t.name for t in ts)
    if not cycle:
        assert order == [("a", 0), ("a-child", 1), ("a-grandchild", 2), ("b", 0)]


def test_a_crowded_row_paints_as_runs_at_any_zoom(window) -> None:
    """Thousands of boxes in view: runs of pixels, and single boxes once zoomed in."""
    canvas, wave = window.tier_stack.canvas, window.waveform
    duration = int(wave.duration_s * 1000)
    many = [seg(i, 1, i * duration // 3000, i * duration // 3000 + 1) for i in range(3000)]
    canvas.set_rows(build_rows([TierInfo(1, "dense", "words", None)], many))
    canvas.select(None, None)  # (no current-tier shading)
    wave.zoom_fit()
    image = canvas.grab().toImage()
    background = QColor(canvas.theme.plot_bg).rgb()
    span = canvas.span()
    xs = [round(span.x(s.start_ms)) + 1 for s in many[::300]]
    assert image.pixelColor(xs[0], HEADER_H + 2).rgb() == background  # above the boxes
    assert all(image.pixelColor(x, HEADER_H + 13).rgb() != background for x in xs)
    wave.set_view(0.0, 0.05)  # ~ 23 boxes of 1 ms: drawn one by one
    i, j = canvas.rows[0].visible_range(0, 50)
    assert 0 < j - i < 100
    assert not canvas.grab().isNull()


def test_a_tier_with_a_vocabulary_offers_its_values_and_refuses_others(
    window, qtbot, answers
) -> None:
    from desktop_app.core.services.vocabularies import VocabularyService

    canvas, session = window.tier_stack.canvas, window.session
    ref = row(window, "reference")
    cvs = VocabularyService(session.project)
    cv = cvs.create("speech style")
    for value in ("read", "spontaneous", "sung"):
        cvs.add_entry(cv.id, value)
    cvs.attach(ref.tier.id, cv.id)
    click_box(window, "reference", 0, qtbot, double=True)
    editor = canvas.editor_widget()
    assert editor is not None and editor.completer() is not None
    assert editor.completer().model().stringList() == ["read", "spontaneous", "sung"]
    seg_id = canvas.selected[1]
    before = session.segments.get(seg_id).text
    editor.setText("shouted")  # not in the vocabulary: refused, with the values named
    QTest.keyClick(editor, Qt.Key.Key_Return)
    assert session.segments.get(seg_id).text == before
    assert answers.errors and "spontaneous" in answers.errors[-1]
    click_box(window, "reference", 0, qtbot, double=True)
    canvas.editor_widget().setText("sung")
    QTest.keyClick(canvas.editor_widget(), Qt.Key.Key_Return)
    assert session.segments.get(seg_id).text == "sung"
