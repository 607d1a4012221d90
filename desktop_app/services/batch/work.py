"""The worker side of a batch run: one model loaded once, work items in, rows out.

The same :func:`transcribe_task` runs in a local pool process and in a Ray
actor. A work item is a whole file, the *preparation* of a long file (decode
it once into the run folder and plan its pieces at pauses, see
:func:`~desktop_app.services.pieces.plan_pieces`), or one such *piece*. A
plain file is decoded exactly as importing it into a project does
(:func:`~desktop_app.core.audio.importer.import_audio`) and the pieces are
those :func:`~desktop_app.services.transcription.transcribe_file` decodes one
after the other, so a batch gives the same segments as transcribing the
imported recording, whether its pieces ran in one worker or in many.

``settings.task`` says what is done with the audio: ``transcribe`` (here),
``units`` (:mod:`.units_task`) or ``diarize`` (:mod:`.diarize_task`).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop_app.asr.engines import SpeechEngine, load_engine
from desktop_app.asr.presets import preset
from desktop_app.core.audio.importer import import_audio
from desktop_app.core.errors import JazbaError
from desktop_app.core.jobs import JobState
from desktop_app.core.services.model_pass import fit_around
from desktop_app.core.services.segments import NewSegment
from desktop_app.services.pieces import PIECE_S, plan_pieces
from desktop_app.services.transcription import decode_piece, piece_segments, transcribe_file

log = logging.getLogger(__name__)

TASKS = ("transcribe", "units", "diarize")
FILE, PREPARE, CHUNK = "file", "prepare", "chunk"


@dataclass(frozen=True)
class EngineSettings:
    """How every worker loads the model and works (picklable, sent once per worker)."""

    model_dir: str
    model_id: str
    preset: str
    language: str | None
    vad: bool = True
    device: str = "cpu"
    threads: int | None = None
    precision: str = "fp32"  # resolved: fp32 or int8
    task: str = "transcribe"
    chunk_s: float = PIECE_S  # target length of a long file's pieces

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"task": self.task, "device": self.device, "threads": self.threads}
        if self.task == "transcribe":
            out |= {"preset": self.preset, "language": self.language, "vad": self.vad}
            out["precision"] = self.precision
        if self.task != "diarize":
            out["chunk_s"] = self.chunk_s
        return out


@dataclass(frozen=True)
class FileTask:
    """One work item: a whole file, a long file's preparation, or one of its pieces."""

    key: str
    path: str
    sha256: str
    model_audio: str | None = None  # a project's 16 kHz copy, or a long file's decoded copy
    duration_s: float | None = None
    kind: str = FILE
    index: int = 0  # the piece's place in its file
    start_s: float = 0.0
    end_s: float = 0.0
    work_dir: str | None = None  # PREPARE: where to decode a plain file

    @property
    def uid(self) -> str:
        """Unique among a run's work items (retries are counted by it)."""
        return self.key if self.kind == FILE else f"{self.key}#{self.kind}{self.index}"


@dataclass
class FileResult:
    key: str
    ok: bool
    reason: str | None = None
    segments: list[dict[str, Any]] = field(default_factory=list)  # the task's rows
    language: str | None = None
    audio_s: float = 0.0
    wall_s: float = 0.0
    device: str = "cpu"
    device_warning: str | None = None
    pid: int = 0
    kind: str = FILE
    index: int = 0
    plan: list[tuple[float, float]] | None = None  # PREPARE: the pieces
    model_audio: str | None = None  # PREPARE: the decoded copy

    @classmethod
    def of(cls, task: FileTask, ok: bool = False, reason: str | None = None) -> FileResult:
        return cls(task.key, ok, reason, kind=task.kind, index=task.index)


def segment_row(seg: NewSegment) -> dict[str, Any]:
    """A segment as stored in a shard (times in ms, words with times in s)."""
    return {
        "start_ms": seg.start_ms,
        "end_ms": seg.end_ms,
        "text": seg.text,
        "language": seg.language,
        "confidence": seg.confidence,
        "words": seg.words,
    }


def as_stored(segments: list[NewSegment], duration_ms: int) -> list[dict[str, Any]]:
    """Rows as a model pass would store them in a project without human work:
    cut at the end of the audio, too-short segments dropped (:func:`fit_around`)."""
    rows = []
    for seg in segments:
        span = fit_around(seg.start_ms, min(seg.end_ms, duration_ms), [])
        if span is not None:
            rows.append({**segment_row(seg), "start_ms": span[0], "end_ms": span[1]})
    return rows


def row_segment(row: dict[str, Any]) -> NewSegment:
    return NewSegment(
        start_ms=row["start_ms"],
        end_ms=row["end_ms"],
        text=row["text"],
        language=row.get("language"),
        confidence=row.get("confidence"),
        words=row.get("words"),
    )


def open_engine(settings: EngineSettings) -> Any:
    """The model of ``settings.task``, loaded once per worker."""
    if settings.task == "units":
        from desktop_app.services.batch.units_task import open_units

        return open_units(settings)
    if settings.task == "diarize":
        from desktop_app.services.batch.diarize_task import open_embedder

        return open_embedder(settings)
    return load_engine(
        settings.model_dir,
        device=settings.device,
        threads=settings.threads,
        quantized=settings.precision == "int8",
    )


@contextmanager
def model_audio(task: FileTask) -> Iterator[tuple[Path, float]]:
    """``(16 kHz model audio, duration)`` of a work item: the copy it names, else the
    file decoded into a throwaway folder as an import does."""
    if task.model_audio is not None and task.duration_s is not None:
        yield Path(task.model_audio), task.duration_s
        return
    with tempfile.TemporaryDirectory(prefix="jazba-batch-") as tmp:
        imported = import_audio(task.path, tmp, JobState())
        # As a project stores it (whole ms), so pieces fall where they would there.
        yield imported.model_audio_path, round(imported.duration_s * 1000) / 1000


def prepare(task: FileTask, chunk_s: float) -> FileResult:
    """Decode a long file once (unless it has a 16 kHz copy) and plan its pieces."""
    result = FileResult.of(task)
    if task.model_audio is not None and task.duration_s is not None:
        audio, total_s = Path(task.model_audio), task.duration_s
    else:
        work = Path(task.work_dir or tempfile.mkdtemp(prefix="jazba-batch-"))
        shutil.rmtree(work, ignore_errors=True)  # what an attempt killed half-way left
        imported = import_audio(task.path, work, JobState())
        audio, total_s = imported.model_audio_path, round(imported.duration_s * 1000) / 1000
        for spare in (imported.original_path, imported.peaks_path):  # only the 16 kHz copy
            Path(spare).unlink(missing_ok=True)
    result.plan = plan_pieces(audio, total_s, chunk_s)
    result.model_audio = str(audio)
    result.audio_s = total_s
    result.ok = True
    return result


Work = Callable[[Any, EngineSettings, FileTask, FileResult], None]


def guarded(engine: Any, settings: EngineSettings, task: FileTask, work: Work) -> FileResult:
    """Run ``work`` on ``task``; a file that cannot be read or decoded gives ``ok=False``
    and the reason, never an exception (the run goes on with the others)."""
    t0 = time.perf_counter()
    result = FileResult.of(task)
    result.pid = os.getpid()
    result.device = getattr(engine, "device", "cpu")
    result.device_warning = getattr(engine, "device_warning", None)
    try:
        if task.kind == PREPARE:
            planned = prepare(task, settings.chunk_s)
            result.plan, result.model_audio = planned.plan, planned.model_audio
            result.audio_s = planned.audio_s
        else:
            work(engine, settings, task, result)
    except JazbaError as exc:
        result.reason = str(exc)
    except Exception as exc:  # a damaged file must not stop the run; the log has the trace
        log.exception("batch: %s failed", task.path)
        result.reason = f"{type(exc).__name__}: {exc}"
    else:
        result.ok = True
    result.wall_s = time.perf_counter() - t0
    return result


def _transcribe(
    engine: SpeechEngine, settings: EngineSettings, task: FileTask, result: FileResult
) -> None:
    options = preset(settings.preset, language=settings.language, vad_filter=settings.vad)
    if task.kind == CHUNK:
        assert task.model_audio is not None
        piece = decode_piece(engine, Path(task.model_audio), task.start_s, task.end_s, options)
        segments = piece_segments(piece)
        result.language = options.language or piece.info.language
        result.segments = [segment_row(s) for s in segments]
        result.audio_s = task.end_s - task.start_s
        return
    with model_audio(task) as (audio, total_s):
        segments, language = transcribe_file(engine, audio, total_s, options, settings.chunk_s)
    result.audio_s = total_s
    result.segments = as_stored(segments, round(total_s * 1000))
    result.language = language


def transcribe_task(engine: Any, settings: EngineSettings, task: FileTask) -> FileResult:
    """Do one work item of the run's task (the name is kept from when there was one)."""
    if settings.task == "units":
        from desktop_app.services.batch.units_task import units_work

        return guarded(engine, settings, task, units_work)
    if settings.task == "diarize":
        from desktop_app.services.batch.diarize_task import diarize_work

        return guarded(engine, settings, task, diarize_work)
    return guarded(engine, settings, task, _transcribe)


# --- the process-pool side: one engine per worker process --------------------------------

_worker: tuple[Any, EngineSettings] | None = None


def init_worker(settings: EngineSettings) -> None:
    """Pool initializer: load the model once in this worker process."""
    global _worker
    _worker = (open_engine(settings), settings)


def run_in_worker(task: FileTask) -> FileResult:
    """Pool task: do ``task`` with this worker's model."""
    if _worker is None:
        raise RuntimeError("init_worker was not called in this process")
    engine, settings = _worker
    return transcribe_task(engine, settings, task)
