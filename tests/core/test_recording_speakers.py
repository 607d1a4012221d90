"""Who speaks in a recording: RecordingService keeps the recording_speakers list."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app.core import capture
from desktop_app.core.errors import NotFoundError
from desktop_app.core.project import Project
from desktop_app.core.services import recordings as recordings_mod
from desktop_app.core.services.dto import SpeakerRef
from desktop_app.core.services.recordings import (
    RecordingMeta,
    RecordingService,
    recording_speakers,
    set_recording_speakers,
)
from desktop_app.core.services.speakers import SpeakerService
from tests.core.conftest import add_fake_recording
from tests.core.test_recordings import make_wav


@pytest.fixture
def names(project: Project) -> dict[str, int]:
    svc = SpeakerService(project)
    return {n: svc.create(n).id for n in ("Айгүл", "Ерлан", "Дана")}


def test_set_and_read_in_order(project: Project, names: dict[str, int]) -> None:
    rec = add_fake_recording(project)
    svc = RecordingService(project)
    info = svc.set_speakers(rec, [names["Ерлан"], names["Айгүл"], names["Ерлан"], 999])
    assert info.speakers == (
        SpeakerRef(names["Ерлан"], "Ерлан"),
        SpeakerRef(names["Айгүл"], "Айгүл"),
    )  # order kept, duplicate and unknown id dropped
    assert svc.get(rec).speaker_names == ["Ерлан", "Айгүл"]
    assert [r.speaker_names for r in svc.list()] == [["Ерлан", "Айгүл"]]
    assert svc.speakers(rec) == list(info.speakers)
    assert svc.set_speakers(rec, []).speakers == ()


def test_module_functions_are_the_ones_capture_uses(
    project: Project, names: dict[str, int]
) -> None:
    assert capture.set_recording_speakers is recordings_mod.set_recording_speakers
    assert capture.recording_speakers is recordings_mod.recording_speakers
    rec = add_fake_recording(project)
    set_recording_speakers(project, rec, (names["Дана"],))
    assert recording_speakers(project, rec) == ["Дана"]


def test_update_with_meta_sets_speakers_and_none_leaves_them(
    project: Project, names: dict[str, int]
) -> None:
    rec = add_fake_recording(project)
    svc = RecordingService(project)
    info = svc.update(rec, RecordingMeta(place="Алматы", speaker_ids=(names["Дана"],)))
    assert (info.place, info.speaker_names) == ("Алматы", ["Дана"])
    info = svc.update(rec, RecordingMeta(notes="екінші"))  # speaker_ids=None: unchanged
    assert (info.notes, info.speaker_names) == ("екінші", ["Дана"])


def test_import_with_speakers(project: Project, names: dict[str, int], tmp_path: Path) -> None:
    src = make_wav(tmp_path / "сұхбат.wav", seconds=0.5)
    info = RecordingService(project).import_file(src, RecordingMeta(speaker_ids=(names["Ерлан"],)))
    assert info.speaker_names == ["Ерлан"]


def test_merged_speaker_shows_as_the_one_it_was_merged_into(
    project: Project, names: dict[str, int]
) -> None:
    rec = add_fake_recording(project)
    svc = RecordingService(project)
    svc.set_speakers(rec, [names["Айгүл"], names["Дана"]])
    SpeakerService(project).merge(names["Айгүл"], names["Дана"])
    assert svc.get(rec).speaker_names == ["Дана"]  # not twice, not the retired name
    SpeakerService(project).rename(names["Дана"], "Дана Б.")
    assert recording_speakers(project, rec) == ["Дана Б."]
    # choosing the retired id again means the speaker it became
    assert svc.set_speakers(rec, [names["Айгүл"]]).speaker_names == ["Дана Б."]


def test_unknown_recording_is_a_clear_error(project: Project) -> None:
    with pytest.raises(NotFoundError, match="no recording #42"):
        RecordingService(project).set_speakers(42, [])


def test_removing_a_recording_removes_its_speaker_rows(
    project: Project, names: dict[str, int], tmp_path: Path
) -> None:
    svc = RecordingService(project)
    info = svc.import_file(make_wav(tmp_path / "a.wav", seconds=0.5))
    svc.set_speakers(info.id, list(names.values()))
    svc.remove(info.id)
    from sqlalchemy import func, select

    from desktop_app.core.store.schema import RecordingSpeaker

    with project.unit() as s:
        assert s.scalar(select(func.count()).select_from(RecordingSpeaker)) == 0
    assert len(SpeakerService(project).list()) == 3  # the speakers themselves stay
