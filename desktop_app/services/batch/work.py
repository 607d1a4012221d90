"""The worker side of a batch run: one engine loaded once, files in, segments out.

The same :func:`transcribe_task` runs in a local pool process and in a Ray
actor. It decodes a plain file exactly as importing it into a project does
(:func:`~desktop_app.core.audio.importer.import_audio`, into a throwaway
folder) and then runs the one decoding loop of the transcription service
(:func:`~desktop_app.services.transcription.transcribe_file`), so a batch
gives the same segments as transcribing the imported recording.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
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
from desktop_app.services.transcription import transcribe_file

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EngineSettings:
    """How every worker loads the model and decodes (picklable, sent once per worker)."""

    model_dir: str
    model_id: str
    preset: str
    language: str | None
    vad: bool = True
    device: str = "cpu"
    threads: int | None = None
    precision: str = "fp32"  # resolved: fp32 or int8

    def describe(self) -> dict[str, Any]:
        return {
            "preset": self.preset,
            "language": self.language,
            "vad": self.vad,
            "device": self.device,
            "threads": self.threads,
            "precision": self.precision,
        }


@dataclass(frozen=True)
class FileTask:
    key: str
    path: str
    sha256: str
    model_audio: str | None = None  # a project's 16 kHz copy (else decoded here)
    duration_s: float | None = None


@dataclass
class FileResult:
    key: str
    ok: bool
    reason: str | None = None
    segments: list[dict[str, Any]] = field(default_factory=list)
    language: str | None = None
    audio_s: float = 0.0
    wall_s: float = 0.0
    device: str = "cpu"
    device_warning: str | None = None
    pid: int = 0


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


def open_engine(settings: EngineSettings) -> SpeechEngine:
    return load_engine(
        settings.model_dir,
        device=settings.device,
        threads=settings.threads,
        quantized=settings.precision == "int8",
    )


def transcribe_task(engine: SpeechEngine, settings: EngineSettings, task: FileTask) -> FileResult:
    """Transcribe one file; a file that cannot be read or decoded gives ``ok=False``
    and the reason, never an exception (the run goes on with the others)."""
    t0 = time.perf_counter()
    result = FileResult(
        task.key,
        ok=False,
        device=engine.device,
        device_warning=engine.device_warning,
        pid=os.getpid(),
    )
    options = preset(settings.preset, language=settings.language, vad_filter=settings.vad)
    try:
        if task.model_audio is not None and task.duration_s is not None:
            segments, language = transcribe_file(
                engine, Path(task.model_audio), task.duration_s, options
            )
            result.audio_s = task.duration_s
        else:
            with tempfile.TemporaryDirectory(prefix="jazba-batch-") as tmp:
                imported = import_audio(task.path, tmp, JobState())
                # As a project stores it (whole ms), so pieces fall where they would there.
                total_s = round(imported.duration_s * 1000) / 1000
                segments, language = transcribe_file(
                    engine, imported.model_audio_path, total_s, options
                )
                result.audio_s = total_s
    except JazbaError as exc:
        result.reason = str(exc)
    except Exception as exc:  # a damaged file must not stop the run; the log has the trace
        log.exception("batch: %s failed", task.path)
        result.reason = f"{type(exc).__name__}: {exc}"
    else:
        result.ok = True
        result.segments = as_stored(segments, round(result.audio_s * 1000))
        result.language = language
    result.wall_s = time.perf_counter() - t0
    return result


# --- the process-pool side: one engine per worker process --------------------------------

_worker: tuple[SpeechEngine, EngineSettings] | None = None


def init_worker(settings: EngineSettings) -> None:
    """Pool initializer: load the model once in this worker process."""
    global _worker
    _worker = (open_engine(settings), settings)


def run_in_worker(task: FileTask) -> FileResult:
    """Pool task: transcribe ``task`` with this worker's engine."""
    if _worker is None:
        raise RuntimeError("init_worker was not called in this process")
    engine, settings = _worker
    return transcribe_task(engine, settings, task)
