"""A transcription pass is one step on the window's undo stack."""

from __future__ import annotations

from PySide6.QtCore import Qt

from desktop_app.gui.review.segment_table_model import Col
from desktop_app.gui.workers import JobStatus

CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = CTRL | Qt.KeyboardModifier.ShiftModifier


def texts(window) -> list[str]:
    return [s.text for s in window.segment_model.segments]


def test_ctrl_z_removes_the_whole_pass_and_ctrl_shift_z_restores_it(
    window, qtbot, fake_asr
) -> None:
    draft = texts(window)
    assert len(draft) == 2 and draft[0] == "сәлеметсіз бе менің атым айгул"
    view = window.transcript.view
    view.setFocus()
    base = window.undo_stack.count()  # the project's history before (rebuilt on open)
    job = window.ops.transcribe_current()
    with qtbot.waitSignal(job.finished, timeout=10_000):
        pass
    qtbot.waitUntil(lambda: texts(window) == ["сөз00 сөз01", "сөз10 сөз11"])
    assert window.undo_stack.count() == base + 1
    assert window.actions["undo"].text() == "&Undo Transcribe Сәлемдесу (greeting)"
    passed = [(s.start_ms, s.end_ms, s.status) for s in window.segment_model.segments]
    assert passed == [(600, 2800, "auto"), (3820, 5920, "auto")]

    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    assert texts(window) == draft  # the model's segments are gone, the old draft is back
    assert window.recordings.model.recording(0).counts == {"auto": 2}
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL_SHIFT)
    assert texts(window) == ["сөз00 сөз01", "сөз10 сөз11"]
    # the database agrees (nothing is only in the view)
    rec_id = window.review.recording.id
    stored = window.session.segments.list(rec_id, window.review.tier_id)
    assert [s.text for s in stored] == ["сөз00 сөз01", "сөз10 сөз11"]


def test_an_edit_after_the_pass_is_undone_first(window, qtbot, fake_asr) -> None:
    job = window.ops.transcribe_current()
    with qtbot.waitSignal(job.finished, timeout=10_000):
        pass
    qtbot.waitUntil(lambda: texts(window)[0] == "сөз00 сөз01")
    model = window.segment_model
    model.setData(model.index(0, Col.TEXT), "түзетілген")
    view = window.transcript.view
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    assert texts(window)[0] == "сөз00 сөз01"
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    assert texts(window)[0] == "сәлеметсіз бе менің атым айгул"


def test_a_cancelled_pass_keeps_the_old_draft_after_it_and_is_undoable(
    window, qtbot, fake_asr
) -> None:
    """Cancel after the first range: the new draft up to the cut, the old one after
    it, nothing missing; the banner says so; undo gives back the old draft."""
    fake_asr.delay = 0.4
    window.recordings.select(2)  # three stretches of speech
    draft = texts(window)
    assert len(draft) == 3
    base = window.undo_stack.count()
    job = window.ops.transcribe_current()
    qtbot.waitUntil(lambda: texts(window)[:1] == ["сөз00 сөз01"], timeout=10_000)
    with qtbot.waitSignal(job.cancelled, timeout=10_000):
        job.cancel()
    assert job.status is JobStatus.CANCELLED
    qtbot.waitUntil(lambda: window.undo_stack.count() == base + 1)
    kept = texts(window)
    assert kept[0] == "сөз00 сөз01" and "сөз20 сөз21" not in kept
    assert kept[1:] == draft[len(kept) - len(draft) + 1 :]  # the rest of the old draft, whole
    assert len(kept) == len(draft)
    banner = window.transcript.banner
    assert banner.isVisible() and "the earlier draft after" in banner.label.text()
    window.actions["undo"].trigger()
    assert texts(window) == draft
