"""Importing recordings into a project: the service-level guarantees."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from sqlalchemy.exc import OperationalError

from desktop_app.core.errors import AudioImportError, Cancelled, StorageError
from desktop_app.core.jobs import JobState
from desktop_app.core.project import Project
from desktop_app.core.services.recordings import RecordingMeta, RecordingService
from desktop_app.core.services.segments import NewSegment, SegmentService


def make_wav(path: Path, seconds: float = 1.5, rate: int = 44100, channels: int = 2) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    tone = 0.3 * np.sin(2 * np.pi * 220 * t)
    sf.write(path, np.stack([tone] * channels, axis=1), rate)
    return path


def project_files(project: Project) -> list[str]:
    return sorted(
        p.relative_to(project.path).as_posix()
        for sub in ("audio", "cache")
        for p in (project.path / sub).rglob("*")
        if p.is_file()
    )


def test_import_records_metadata_and_relative_paths(project: Project, tmp_path: Path) -> None:
    src = make_wav(tmp_path / "сұхбат 1.wav")
    meta = RecordingMeta(
        place="Шымкент", recorded_on="2026-07-14", languages="kk,ru", consent="oral"
    )
    info = RecordingService(project).import_file(src, meta)
    assert info.title == "сұхбат 1"
    assert (info.sample_rate, info.channels, info.duration_ms) == (44100, 2, 1500)
    assert (info.place, info.languages, info.consent) == ("Шымкент", "kk,ru", "oral")
    for rel in (info.audio_path, info.model_audio_path, info.peaks_path):
        assert not Path(rel).is_absolute() and project.abspath(rel).is_file()
    assert project.abspath(info.audio_path).read_bytes() == src.read_bytes()
    assert RecordingService(project).list()[0].sha256 == info.sha256


def test_duplicate_audio_refused_and_nothing_added(project: Project, tmp_path: Path) -> None:
    svc = RecordingService(project)
    src = make_wav(tmp_path / "a.wav")
    svc.import_file(src)
    before = project_files(project)
    copy = tmp_path / "copy of a.wav"
    copy.write_bytes(src.read_bytes())
    with pytest.raises(AudioImportError, match="already in the project"):
        svc.import_file(copy)
    assert project_files(project) == before
    assert len(svc.list()) == 1


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.wav", b"", "empty"),
        ("notes.wav", "бұл аудио емес".encode() * 50, ""),
        ("picture.mp3", b"\x89PNG\r\n\x1a\n" + bytes(2000), ""),
    ],
)
def test_bad_input_leaves_project_unchanged(
    project: Project, tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    src = tmp_path / name
    src.write_bytes(content)
    with pytest.raises(AudioImportError, match=name.replace(".", r"\.")) as exc:
        RecordingService(project).import_file(src)
    assert reason in str(exc.value)
    assert RecordingService(project).list() == []
    assert project_files(project) == []


def test_missing_file(project: Project, tmp_path: Path) -> None:
    with pytest.raises(AudioImportError, match=r"nowhere\.wav"):
        RecordingService(project).import_file(tmp_path / "nowhere.wav")


def test_database_failure_removes_copied_files(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = RecordingService(project)
    src = make_wav(tmp_path / "a.wav")

    def failing_flush(*_a: object, **_k: object) -> None:
        raise OperationalError("INSERT", {}, Exception("database or disk is full"))

    monkeypatch.setattr("sqlalchemy.orm.Session.flush", failing_flush)
    with pytest.raises(StorageError, match="disk is full"):
        svc.import_file(src)
    monkeypatch.undo()
    assert svc.list() == []
    assert project_files(project) == []


def test_cancel_leaves_nothing(project: Project, tmp_path: Path) -> None:
    src = make_wav(tmp_path / "long.wav", seconds=30)
    calls = []

    def on_progress(fraction: float, _status: str) -> None:
        calls.append(fraction)
        if fraction > 0.2:
            state.cancel()

    state = JobState(on_progress=on_progress, min_interval=0)
    with pytest.raises(Cancelled):
        RecordingService(project).import_file(src, state=state)
    assert calls and RecordingService(project).list() == []
    assert project_files(project) == []


def test_remove_recording_deletes_segments_and_files(project: Project, tmp_path: Path) -> None:
    svc = RecordingService(project)
    info = svc.import_file(make_wav(tmp_path / "a.wav"))
    SegmentService(project).add(info.id, NewSegment(0, 1000, "сәлем"))
    svc.remove(info.id)
    assert svc.list() == [] and project_files(project) == []
    assert SegmentService(project).list(info.id) == []


def test_counts_per_status_only_transcription_tier(project: Project, tmp_path: Path) -> None:
    from desktop_app.core.services.speakers import TierService

    svc, seg = RecordingService(project), SegmentService(project)
    info = svc.import_file(make_wav(tmp_path / "a.wav"))
    seg.add(info.id, NewSegment(0, 500, "a"), status="auto")
    seg.add(info.id, NewSegment(500, 1000, "b"), status="approved")
    note = TierService(project).create("notes", kind="comment")
    seg.add(info.id, NewSegment(0, 1000, "comment"), tier_id=note.id)
    assert svc.list()[0].counts == {"auto": 1, "approved": 1}


def test_same_titles_get_numbered_labels() -> None:
    from types import SimpleNamespace as R

    from desktop_app.core.services.recordings import display_labels

    recs = [R(id=4, title="interview"), R(id=2, title="Interview "), R(id=9, title="interview"),
            R(id=5, title="Ауа райы")]  # fmt: skip
    assert display_labels(recs) == {
        2: "Interview  (1)",
        4: "interview (2)",
        9: "interview (3)",
        5: "Ауа райы",
    }
    # a numbered label that is another recording's own title gets the id as well
    clash = [R(id=1, title="a"), R(id=2, title="a"), R(id=3, title="a (2)")]
    assert display_labels(clash) == {1: "a (1)", 2: "a (2) #2", 3: "a (2) #3"}


def test_labels_from_the_service_and_import_names(project: Project, tmp_path: Path) -> None:
    from desktop_app.core.services.recordings import import_label

    service = RecordingService(project)
    files = []
    for folder in ("day1", "day2"):
        (tmp_path / folder).mkdir()
        files.append(make_wav(tmp_path / folder / "interview.wav", seconds=0.5 + len(files)))
    ids = [service.import_file(f).id for f in files]
    assert service.labels() == {ids[0]: "interview (1)", ids[1]: "interview (2)"}
    assert [import_label(f, files) for f in files] == [
        "day1/interview.wav",
        "day2/interview.wav",
    ]
    assert import_label(files[0], files[:1]) == "interview.wav"
