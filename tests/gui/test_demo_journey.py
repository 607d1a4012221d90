"""The issue's "done when", as one journey on the demo project, keyboard only:
open the demo, transcribe it, correct and approve every segment, undo and redo,
find every word across the project, quit, reopen: nothing lost.

The speech model is :class:`~tests.gui.conftest.FakeEngine` (one segment per
stretch of sound, placeholder words); everything else is the real app. Every
key goes to the widget that has the keyboard focus, as a user's would.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QTableView
from typer.testing import CliRunner

from desktop_app.cli.main import app as cli
from desktop_app.core.demo import REFERENCE_TIER, default_demo_path
from desktop_app.core.project import DEFAULT_TIER
from desktop_app.core.settings import Settings, load_settings
from desktop_app.gui.review.segment_editor import SegmentTextEditor
from desktop_app.gui.workers import JobStatus

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
NONE = Qt.KeyboardModifier.NoModifier


def test_demo_journey_keyboard_only(make_window, qtbot, fake_asr) -> None:
    result = CliRunner().invoke(cli, ["demo", "setup", "--skip-model", "--quiet"])
    assert result.exit_code == 0, result.output
    path = default_demo_path()

    w = make_window(path, Settings(auto_advance=False))
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is w.transcript.view)

    def focused():
        widget = QApplication.focusWidget()
        assert widget is not None and widget.window() is w
        return widget

    def key(k: Qt.Key, mods=NONE):
        qtbot.keyClick(focused(), k, mods)

    def type_text(text: str) -> None:
        """Type ``text`` into the focused widget, one key event per character
        (QTest.keyClicks only knows Latin-1; a Kazakh keyboard sends these)."""
        for ch in text:
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                QApplication.sendEvent(focused(), QKeyEvent(kind, 0, NONE, ch))

    session = w.session
    tiers = {t.name: t.id for t in session.tier_list()}
    recordings = session.recording_list()
    assert len(recordings) == 4
    assert all(r.counts == {} for r in recordings)  # the transcription tier starts empty
    assert w.tier_box.currentText() == DEFAULT_TIER and w.segment_model.rowCount() == 0

    # -- transcribe, correct and approve, one recording after another ------------------
    corrected: dict[int, list[str]] = {}
    base = w.undo_stack.count()  # the demo's own history (its reference tier) is on the stack
    for n, rec in enumerate(recordings):
        assert w.review.recording.id == rec.id
        key(Qt.Key.Key_T, CTRL)  # transcribe
        job = w.runner.jobs[-1]
        qtbot.waitUntil(lambda j=job: j.status.finished, timeout=20_000)
        assert job.status is JobStatus.DONE
        qtbot.waitUntil(
            lambda: (
                w.undo_stack.count() == base + 1 + sum(2 * len(v) + 1 for v in corrected.values())
            )
        )
        reference = session.segments.list(rec.id, tiers[REFERENCE_TIER])
        segs = w.segment_model.segments
        assert len(segs) == len(reference) > 0 and all(s.status == "auto" for s in segs)
        texts = []
        for row, seg in enumerate(segs):
            assert w.transcript.view.currentIndex().row() == row
            truth = " ".join(
                r.text for r in reference if r.start_ms < seg.end_ms and seg.start_ms < r.end_ms
            )
            key(Qt.Key.Key_F2)  # edit the text
            editor = focused()
            assert isinstance(editor, SegmentTextEditor) and editor.text() == seg.text
            key(Qt.Key.Key_A, CTRL)
            type_text(truth)
            key(Qt.Key.Key_Return, CTRL)  # save, approve, next
            texts.append(truth)
            assert isinstance(focused(), QTableView)
        corrected[rec.id] = texts
        shown = [(s.text, s.status) for s in w.segment_model.segments]
        assert shown == [(t, "approved") for t in texts]
        assert w.recordings.model.recording(n).counts == {"approved": len(texts)}
        key(Qt.Key.Key_PageDown, CTRL)  # next recording
    assert w.review.recording.id == recordings[-1].id

    # -- undo anything: the whole last recording, back to before its transcription -----
    last = recordings[-1]
    steps = 1 + 2 * len(corrected[last.id])  # the pass, then a text edit and an approval each
    for _ in range(steps):
        key(Qt.Key.Key_Z, CTRL)
    assert w.segment_model.rowCount() == 0
    assert session.segments.list(last.id, tiers[DEFAULT_TIER]) == []
    for _ in range(steps):
        key(Qt.Key.Key_Z, CTRL | SHIFT)
    assert [(s.text, s.status) for s in w.segment_model.segments] == [
        (t, "approved") for t in corrected[last.id]
    ]

    # -- find every word across the project and jump to it ------------------------------
    words = sorted({word for texts in corrected.values() for t in texts for word in t.split()})
    assert len(words) > 20
    for word in words:
        key(Qt.Key.Key_F, CTRL)
        box = focused()
        assert box is w.search.query
        type_text(word)
        key(Qt.Key.Key_Return)  # jump to the best hit
        seg = w.review.current_segment()
        assert seg is not None, word
        # the last word typed also matches as a prefix (results appear while typing)
        assert any(t.startswith(word.lower()) for t in seg.text.lower().split()), (word, seg)
        hits = [w.search.model.hit(i) for i in range(w.search.model.rowCount())]
        assert any(word in h.text.split() for h in hits), word  # the exact word is listed
        assert w.review.recording.id == seg.recording_id

    # -- quit (Ctrl+Q) and reopen: nothing lost ----------------------------------------------
    key(Qt.Key.Key_Q, CTRL)
    qtbot.waitUntil(lambda: not w.isVisible())
    assert w.session is None
    w2 = make_window(None, load_settings())  # reopens the most recent project
    assert w2.session is not None and w2.session.path == path
    for rec in w2.session.recording_list():
        stored = w2.session.segments.list(rec.id, tiers[DEFAULT_TIER])
        assert [(s.text, s.status) for s in stored] == [(t, "approved") for t in corrected[rec.id]]
        assert rec.counts == {"approved": len(corrected[rec.id])}
    hits = w2.session.search.search(words[0])
    assert hits and all(words[0].lower() in h.text.lower() for h in hits)
    w2.close()
