"""Long files cut at pauses into pieces spread across workers: the same segments as
single-process ``transcribe``, per-piece retry, failure and resume."""

from __future__ import annotations

import functools
import itertools
import shutil
from pathlib import Path

import numpy as np
import soundfile as sf

from desktop_app.asr.registry import ModelRegistry
from desktop_app.core.project import Project
from desktop_app.core.services.recordings import RecordingService
from desktop_app.core.services.segments import SegmentService
from desktop_app.services.batch import RunFolder, run_batch
from desktop_app.services.pieces import plan_pieces
from desktop_app.services.transcription import EngineCache, TranscribeRequest, transcribe_recording
from tests.batch import faults
from tests.batch.conftest import options, write_recordings

PIECE = 15.0
SEG_FIELDS = ("start_ms", "end_ms", "text", "language", "confidence", "words")


def archive(tmp_path: Path, long_recording: tuple[Path, list[float]]) -> Path:
    folder = tmp_path / "archive"
    write_recordings(folder, 2)  # short files: done whole, beside the long one
    shutil.copy(long_recording[0], folder / "interview.wav")
    return folder


def shard(out: Path, key: str) -> list[dict]:
    folder = RunFolder(out)
    rows = folder.read_shard(folder.load().files[key].shard or "")
    return [{k: r[k] for k in SEG_FIELDS} for r in rows]


def transcribed(project: Project, path: Path, registry: ModelRegistry) -> list[dict]:
    """What ``jazba transcribe`` stores for ``path`` with the same settings."""
    rec = RecordingService(project).import_file(path)
    request = TranscribeRequest(
        rec.id, preset="fast", vad=True, device="cpu", threads=1, piece_s=PIECE
    )
    transcribe_recording(project, request, registry=registry, engines=EngineCache())
    return [{k: getattr(s, k) for k in SEG_FIELDS} for s in SegmentService(project).list(rec.id)]


def test_pieces_are_cut_in_pauses(long_recording: tuple[Path, list[float]]) -> None:
    path, pauses = long_recording
    audio, rate = sf.read(path, dtype="float32")
    total = audio.size / rate
    plan = plan_pieces(path, total, PIECE)
    assert plan[0][0] == 0.0 and plan[-1][1] == total and len(plan) >= 4
    for (_, end), (start, _) in itertools.pairwise(plan):
        assert end == start
        around = audio[int((end - 0.1) * rate) : int((end + 0.1) * rate)]
        assert np.abs(around).max() < 1e-3  # silence on both sides of every cut
        assert min(abs(end - p) for p in pauses) < 0.8
    assert all(PIECE / 2 <= b - a <= 1.5 * PIECE + 4 for a, b in plan)
    assert plan_pieces(path, total, 60.0) == [(0.0, total)]  # under twice the target: whole


def test_long_file_pieces_match_single_process_transcribe(
    tmp_path: Path,
    long_recording: tuple[Path, list[float]],
    tiny_registry: ModelRegistry,
    project: Project,
) -> None:
    folder = archive(tmp_path, long_recording)
    out = tmp_path / "run"
    markers = tmp_path / "markers"
    markers.mkdir()
    killer = functools.partial(faults.die_once_on_piece, str(markers), 1)
    manifest = run_batch(
        folder,
        out,
        options(vad=True, chunk_seconds=PIECE),
        registry=tiny_registry,
        task_fn=killer,
    )
    assert (markers / "killed-piece1").exists()  # a worker died on a piece: retried
    assert manifest.counts() == {"pending": 0, "done": 3, "failed": 0}
    entry = manifest.files[str(folder / "interview.wav")]
    assert entry.chunks is not None and len(entry.chunks) >= 4
    assert all(c["status"] == "done" for c in entry.chunks) and entry.progress == 1.0
    assert [c["start_s"] for c in entry.chunks[1:]] == [c["end_s"] for c in entry.chunks[:-1]]
    assert not (out / "parts").exists() or not any((out / "parts").iterdir())
    assert not (out / "work").exists() or not any((out / "work").iterdir())
    short = [e for k, e in manifest.files.items() if not k.endswith("interview.wav")]
    assert all(e.chunks is None and e.status == "done" for e in short)
    rows = shard(out, entry.path)
    assert rows == transcribed(project, folder / "interview.wav", tiny_registry)
    assert len({r["start_ms"] // 15000 for r in rows}) >= 3  # segments all along the file


def test_a_failed_piece_fails_its_file_and_resume_redoes_only_that_piece(
    tmp_path: Path, long_recording: tuple[Path, list[float]], tiny_registry: ModelRegistry
) -> None:
    folder = archive(tmp_path, long_recording)
    out = tmp_path / "run"
    markers = tmp_path / "markers"
    markers.mkdir()
    flaky = functools.partial(faults.fail_piece_once, str(markers), 2)
    opts = options(vad=True, chunk_seconds=PIECE, workers=1)
    first = run_batch(folder, out, opts, registry=tiny_registry, task_fn=flaky)
    entry = first.files[str(folder / "interview.wav")]
    assert entry.status == "failed" and "the piece at" in (entry.reason or "")
    assert "could not be decoded" in (entry.reason or "")
    assert [c["status"] for c in entry.chunks or []].count("failed") == 1
    assert entry.chunks and entry.chunks[2]["status"] == "failed"
    assert first.counts() == {"pending": 0, "done": 2, "failed": 1}
    assert entry.work_audio and Path(entry.work_audio).is_file()  # kept for the resume
    assert [f for f in (out / "work").rglob("*") if f.is_file()] == [Path(entry.work_audio)]
    second = run_batch(
        folder, out, options(vad=True, chunk_seconds=PIECE, workers=1, resume=True),
        registry=tiny_registry, task_fn=flaky,
    )  # fmt: skip
    again = second.files[str(folder / "interview.wav")]
    assert second.counts() == {"pending": 0, "done": 3, "failed": 0}
    assert [c["attempts"] for c in again.chunks or []] == [
        2 if i == 2 else 1 for i in range(len(again.chunks or []))
    ]
    fresh = run_batch(folder, tmp_path / "fresh", opts, registry=tiny_registry)
    assert shard(out, again.path) == shard(tmp_path / "fresh", again.path)
    assert fresh.files[again.path].chunks is not None
