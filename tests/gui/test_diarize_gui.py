"""Transcript ▸ Identify speakers…: a job, one undo step, and suggestions to accept."""

from __future__ import annotations

import importlib.util

import pytest

from desktop_app.core.jobs import JobState
from desktop_app.core.services.speaker_profiles import ProfileService
from desktop_app.core.services.speakers import SpeakerService
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

    # a second run finds the same speakers: nothing new, no suggestions
    job = hook.identify(n_speakers=2, ask=False)
    qtbot.waitUntil(lambda: job.status.finished, timeout=60_000)
    assert job.status.value == "done", answers.errors
    assert not hook.box.isVisible()

    # a voice that sounds like a known speaker (as in the next recording of a project)
    project = window.session.project
    profiles = ProfileService(project)
    found, known = (SpeakerService(project).get_or_create(n) for n in ("Speaker 1", "Speaker 2"))
    match = profiles.match(profiles.profiles("ge2e")[1].centroid[None, :], "ge2e")[0]
    assert match is not None and match.speaker_id == known.id
    profiles.suggest(window.review.recording.id, found.id, match)
    window.session.speakers_changed.emit()
    qtbot.waitUntil(lambda: hook.box.isVisible())
    assert hook.box.model.items[0].text().startswith("Speaker 1 sounds like Speaker 2")
    assert hook.box.accept_current() is not None
    assert not hook.box.isVisible()
    assert window.undo_stack.undoText().startswith("Accept:")
    assert "Speaker 1" not in {s.name for s in window.session.speaker_list()}
    window.undo_stack.undo()
    assert "Speaker 1" in {s.name for s in window.session.speaker_list()}
