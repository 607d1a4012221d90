"""The diarization job on a tiny two-voice recording: labels, splits, people's speakers, undo."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app.core.errors import Cancelled
from desktop_app.core.jobs import JobState
from desktop_app.core.project import Project
from desktop_app.core.services.recordings import RecordingService
from desktop_app.core.services.segments import NewSegment, SegmentService
from desktop_app.core.services.speaker_profiles import ProfileService
from desktop_app.core.services.speakers import SpeakerService
from desktop_app.services.diarization import DiarizeRequest, diarize_recording

Turns = list[tuple[float, float, str]]


def _who(result, ms: int) -> int | None:
    for t in result.turns:
        if t.start_ms <= ms < t.end_ms:
            return t.speaker_id
    return None


def _state(segs):
    return [(s.id, s.start_ms, s.end_ms, s.speaker_id, s.text, s.status) for s in segs]


def test_empty_recording_gets_segments_per_turn(
    project: Project, embedder, two_voices: tuple[Path, Turns]
) -> None:
    path, turns = two_voices
    rec = RecordingService(project).import_file(path)
    result = diarize_recording(
        project, DiarizeRequest(rec.id, n_speakers=2), JobState(), embedder=embedder
    )
    assert len(result.speakers) == 2
    assert [s.name for s in result.speakers] == ["Speaker 1", "Speaker 2"]
    segs = SegmentService(project).list(rec.id)
    assert result.applied.created == len(segs) >= 4
    # each reference turn's middle is labelled, and A's turns share a speaker
    mids = [_who(result, int(500 * (a + b))) for a, b, _ in turns]
    assert None not in mids
    assert mids[0] == mids[2] != mids[1] == mids[3]
    profiles = ProfileService(project).profiles(embedder.model.id)
    assert {p.speaker_id for p in profiles} == {s.speaker_id for s in result.speakers}


def test_labels_split_and_keep_peoples_speakers_in_one_undo_step(
    project: Project, embedder, two_voices: tuple[Path, Turns]
) -> None:
    path, turns = two_voices
    rec = RecordingService(project).import_file(path)
    svc = SegmentService(project)
    aigul = SpeakerService(project).create("Айгүл")
    ms = [(round(a * 1000), round(b * 1000)) for a, b, _ in turns]
    # a draft spanning turns 1-2 (a clear change), a person's segment on turn 3 with
    # a speaker a person set (even if wrong), a draft on turn 4
    svc.add_many(
        rec.id,
        [
            NewSegment(ms[0][0], ms[1][1], text="бір екі үш төрт бес алты жеті сегіз"),
            NewSegment(ms[2][0], ms[2][1], text="адам"),
            NewSegment(ms[3][0], ms[3][1], text="соңғы"),
        ],
    )
    segs = svc.list(rec.id)
    svc.set_speaker(segs[1].id, aigul.id)
    svc.set_status(segs[1].id, "approved")
    before = _state(svc.list(rec.id))

    result = diarize_recording(
        project, DiarizeRequest(rec.id, n_speakers=2), JobState(), embedder=embedder
    )
    after = svc.list(rec.id)
    assert result.applied.split == 1 and result.applied.kept == 1
    human = next(s for s in after if s.id == segs[1].id)
    assert human.speaker_id == aigul.id and human.status == "approved"
    split = [s for s in after if s.start_ms < ms[1][1] and s.end_ms > ms[0][0]]
    assert len(split) == 2 and split[0].speaker_id != split[1].speaker_id
    words = ["бір", "екі", "үш", "төрт", "бес", "алты", "жеті", "сегіз"]
    assert " ".join(s.text for s in split).split() == words
    assert after[-1].speaker_id == split[1].speaker_id  # turns 2 and 4: the same voice

    assert svc.last_undoable() == result.applied.operation_id
    svc.undo(result.applied.operation_id)
    assert _state(svc.list(rec.id)) == before


def test_same_voices_are_suggested_in_the_next_recording(
    project: Project, embedder, two_voices: tuple[Path, Turns], tmp_path: Path
) -> None:
    path, _ = two_voices
    first = RecordingService(project).import_file(path)
    r1 = diarize_recording(
        project, DiarizeRequest(first.id, n_speakers=2), JobState(), embedder=embedder
    )
    SpeakerService(project).rename(r1.speakers[0].speaker_id, "Айгүл")
    # the same conversation again, as a new recording (a different file)
    copy = tmp_path / "again.wav"
    import soundfile as sf

    audio, sr = sf.read(path, dtype="float32")
    sf.write(copy, audio[::-1].copy(), sr)  # reversed: same voices, other sounds
    second = RecordingService(project).import_file(copy)
    r2 = diarize_recording(
        project,
        DiarizeRequest(second.id, n_speakers=2, match_threshold=0.6),
        JobState(),
        embedder=embedder,
    )
    profiles = ProfileService(project)
    sugs = profiles.suggestions(second.id)
    assert {s.suggested_id for s in sugs} == {s.speaker_id for s in r1.speakers}
    to_aigul = next(s for s in sugs if s.suggested_name == "Айгүл")
    assert "sounds like Айгүл" in to_aigul.text()
    other = next(s for s in sugs if s.id != to_aigul.id)
    profiles.reject(other.id)
    profiles.accept(to_aigul.id)
    segs = SegmentService(project).list(second.id)
    found = {s.speaker_id: s for s in r2.speakers}
    assert to_aigul.speaker_id in found
    assert any(s.speaker_id == r1.speakers[0].speaker_id for s in segs)
    assert all(s.speaker_id != to_aigul.speaker_id for s in segs)
    assert profiles.suggestions(second.id) == []


def test_cancel_writes_nothing(project: Project, embedder, two_voices: tuple[Path, Turns]) -> None:
    path, _ = two_voices
    rec = RecordingService(project).import_file(path)
    state = JobState()
    state.cancel()
    with pytest.raises(Cancelled):
        diarize_recording(project, DiarizeRequest(rec.id), state, embedder=embedder)
    assert SegmentService(project).list(rec.id) == []
    assert SpeakerService(project).list() == []


def test_a_voice_a_person_labelled_keeps_their_speaker(
    project: Project, embedder, two_voices: tuple[Path, Turns]
) -> None:
    """Label A's turns by hand: A's cluster becomes that speaker (no "Speaker N"),
    B's turns get a new speaker, and A's profile learns from the labelled segments."""
    path, turns = two_voices
    rec = RecordingService(project).import_file(path)
    svc = SegmentService(project)
    aigul = SpeakerService(project).create("Айгүл")
    ms = [(round(a * 1000), round(b * 1000)) for a, b, _ in turns]
    svc.add_many(rec.id, [NewSegment(a, b, text=f"t{i}") for i, (a, b) in enumerate(ms)])
    segs = svc.list(rec.id)
    svc.set_speaker([segs[0].id, segs[2].id], aigul.id)
    result = diarize_recording(
        project, DiarizeRequest(rec.id, n_speakers=2), JobState(), embedder=embedder
    )
    assert sorted(s.name for s in result.speakers) == ["Speaker 1", "Айгүл"]
    after = svc.list(rec.id)
    new = next(s.speaker_id for s in result.speakers if s.name == "Speaker 1")
    assert [s.speaker_id for s in after] == [aigul.id, new, aigul.id, new]
    assert aigul.id in {p.speaker_id for p in ProfileService(project).profiles(embedder.model.id)}


def test_a_second_run_reuses_the_speakers_it_found(
    project: Project, embedder, two_voices: tuple[Path, Turns]
) -> None:
    path, _ = two_voices
    rec = RecordingService(project).import_file(path)
    first = diarize_recording(
        project, DiarizeRequest(rec.id, n_speakers=2), JobState(), embedder=embedder
    )
    again = diarize_recording(
        project, DiarizeRequest(rec.id, max_speakers=3), JobState(), embedder=embedder
    )
    assert {s.speaker_id for s in again.speakers} == {s.speaker_id for s in first.speakers}
    assert [s.name for s in SpeakerService(project).list()] == ["Speaker 1", "Speaker 2"]
    assert ProfileService(project).suggestions() == []
    assert again.applied.operation_id is None  # nothing changed
