"""``run_batch`` with the local process pool: same segments as ``transcribe``, failures
listed, resume, a worker killed with SIGKILL."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

from desktop_app.asr.registry import ModelRegistry
from desktop_app.core.errors import JazbaError
from desktop_app.core.project import Project
from desktop_app.core.services.recordings import RecordingService
from desktop_app.core.services.segments import SegmentService
from desktop_app.services.batch import BatchProgress, RunFolder, run_batch
from desktop_app.services.transcription import EngineCache, TranscribeRequest, transcribe_recording
from tests.batch import faults
from tests.batch.conftest import options

SEG_FIELDS = ("start_ms", "end_ms", "text", "language", "confidence", "words")


def shard_rows(out: Path, key: str) -> list[dict]:
    folder = RunFolder(out)
    entry = folder.load().files[key]
    return [{k: r[k] for k in SEG_FIELDS} for r in folder.read_shard(entry.shard)]


def single_process(project: Project, path: Path, registry: ModelRegistry) -> list[dict]:
    """What ``jazba transcribe`` writes for ``path`` with the same settings."""
    rec = RecordingService(project).import_file(path)
    transcribe_recording(
        project,
        TranscribeRequest(rec.id, preset="fast", vad=False, device="cpu", threads=1),
        registry=registry,
        engines=EngineCache(),
    )
    return [
        {
            "start_ms": s.start_ms,
            "end_ms": s.end_ms,
            "text": s.text,
            "language": s.language,
            "confidence": s.confidence,
            "words": s.words,
        }
        for s in SegmentService(project).list(rec.id)
    ]


def test_local_pool_matches_single_process_and_lists_failures(
    audio_folder: Path, tmp_path: Path, tiny_registry: ModelRegistry, project: Project
) -> None:
    out = tmp_path / "run"
    seen: list[BatchProgress] = []
    manifest = run_batch(
        audio_folder, out, options(), registry=tiny_registry, on_progress=seen.append
    )
    data = json.loads((out / "run.json").read_text())
    assert data["counts"] == {"pending": 0, "done": 4, "failed": 1}
    assert data["model_id"] == tiny_registry.active_id() and data["finished_at"]
    assert data["settings"]["preset"] == "fast" and data["settings"]["vad"] is False
    broken = manifest.files[str(audio_folder / "broken.wav")]
    assert broken.status == "failed" and "broken.wav" in (broken.reason or "")
    assert seen[-1].files_done == 4 and seen[-1].files_failed == 1 and seen[-1].eta_s == 0.0
    assert data["progress"]["hours_done"] == pytest.approx(
        sum(e.audio_s for e in manifest.files.values() if e.status == "done") / 3600, abs=1e-3
    )
    done = [e for e in manifest.files.values() if e.status == "done"]
    assert {Path(e.path).name for e in done} == {"rec0.wav", "rec1.flac", "rec2.wav", "rec3.flac"}
    for entry in done:
        rows = shard_rows(out, entry.path)
        assert rows == single_process(project, Path(entry.path), tiny_registry)
        assert rows and all(r["words"] for r in rows)
        assert entry.segments == len(rows) and entry.language == "kk"


def test_resume_skips_done_files_and_redoes_failed_ones(
    audio_folder: Path, tmp_path: Path, tiny_registry: ModelRegistry
) -> None:
    out = tmp_path / "run"
    first = run_batch(audio_folder, out, options(workers=1), registry=tiny_registry)
    with pytest.raises(JazbaError, match="already holds a batch run"):
        run_batch(audio_folder, out, options(), registry=tiny_registry)
    # the same recording again under another name is not transcribed twice
    (audio_folder / "copy-of-rec0.wav").write_bytes((audio_folder / "rec0.wav").read_bytes())
    seen: list[BatchProgress] = []
    second = run_batch(
        audio_folder, out, options(resume=True), registry=tiny_registry, on_progress=seen.append
    )
    assert seen[0].files_skipped == 5 and seen[-1].files_failed == 1
    assert second.resumes == 1
    for key, entry in first.files.items():
        if entry.status == "done":
            assert second.files[key].finished_at == entry.finished_at  # not redone
    copy = second.files[str(audio_folder / "copy-of-rec0.wav")]
    assert copy.status == "done" and copy.shard == first.files[str(audio_folder / "rec0.wav")].shard
    broken = second.files[str(audio_folder / "broken.wav")]
    assert broken.status == "failed" and broken.attempts == 2  # tried again on resume


def test_worker_killed_with_sigkill_its_file_is_retried(
    audio_folder: Path, tmp_path: Path, tiny_registry: ModelRegistry
) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    out = tmp_path / "run"
    task_fn = functools.partial(faults.die_once_on, str(markers), "rec2.wav")
    manifest = run_batch(audio_folder, out, options(), registry=tiny_registry, task_fn=task_fn)
    assert len(list(markers.glob("killed-rec2.wav-*"))) == 1  # a worker really died
    counts = manifest.counts()
    assert counts == {"pending": 0, "done": 4, "failed": 1}
    assert manifest.files[str(audio_folder / "rec2.wav")].segments


def test_sources_list_file_and_unreadable_entries(
    audio_folder: Path, tmp_path: Path, tiny_registry: ModelRegistry
) -> None:
    listing = tmp_path / "files.txt"
    listing.write_text(
        f"# two files\n{audio_folder / 'rec0.wav'}\n\narchive/sub/rec1.flac\narchive/missing.wav\n"
    )
    manifest = run_batch(listing, tmp_path / "run", options(workers=1), registry=tiny_registry)
    assert manifest.counts() == {"pending": 0, "done": 2, "failed": 1}
    missing = manifest.files[str(tmp_path / "archive" / "missing.wav")]
    assert missing.status == "failed" and "cannot be read" in (missing.reason or "")
