"""Transcript ▸ Identify speakers…: a job, one undo step, and suggestions to accept."""

from __future__ import annotations

import importlib.util

import pytest

from desktop_app.core.jobs import JobState
from desktop_app.speakers.models import install_speaker_model

pytestmark = pytest.mark.skipif(
    not all(importlib.util.find_spec(m) for m in ("resemblyzer", "torch", "onnx")),
    reason="the GE2E speaker encoder cannot be built here",
)


def _speakers(window) -> list[int | None]:
    rec = window.review.recording
    return [s.speaker_id for s in window.session.segments.list(rec.id)]


def test_identify_undo_and_accept_a_suggestion(window, qtbot, answers) -> None:
    install_speaker_model(JobState())  # into this test's throwaway data folder
    menus = [a.text() for m in window.menuBar().actions() for a in m.menu().actions()]
    assert "Identify &speakers…" in menus
    hook = window.diarization
    assert window.review.recording is not None
    before = _speakers(window)
    depth = window.undo_stack.count()

    answers.choices.append("2")
    job = hook.identify()
    qtbot.waitUntil(lambda: job.status.finished, timeout=60_000)
    assert job.status.value == "done", answers.errors
    assert window.undo_stack.count() == depth + 1
    labelled = _speakers(window)
    assert labelled != before
    names = {s.name for s in window.session.speaker_list()}
    assert {"Speaker 1", "Speaker 2"} <= names

    window.undo_stack.undo()
    assert _speakers(window) == before
    window.undo_stack.redo()
    assert _speakers(window) == labelled

    # the same voices again: they are suggested as the speakers found the first time
    job = hook.identify(n_speakers=2, ask=False)
    qtbot.waitUntil(lambda: job.status.finished, timeout=60_000)
    qtbot.waitUntil(lambda: hook.box.isVisible())
    assert "sounds like Speaker" in hook.box.model.items[0].text()
    count = len(hook.box.model.items)
    assert hook.box.accept_current() is not None
    assert len(hook.box.model.items) == count - 1
    assert window.undo_stack.undoText().startswith("Accept:")
