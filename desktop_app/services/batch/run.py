"""``run_batch``: transcribe (or score, or diarize) an archive into a run folder,
resumable and fault-tolerant.

The driver discovers and hashes the inputs, decides what is already done
(same content hash, same model version), hands the rest to a pool (local
processes or Ray actors) and, as each result comes back, writes it and
updates ``run.json`` (see :mod:`.record`). A file longer than twice
``chunk_seconds`` is first prepared (decoded once, its pieces planned at
pauses) and its pieces are then spread across the workers. A run killed at
any point continues with ``resume``: files whose shard the manifest names are
kept, and of the others only the pieces not finished are redone.
"""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop_app.asr.ort_session import physical_cores
from desktop_app.asr.presets import DEFAULT_PRESET
from desktop_app.asr.registry import ModelRegistry
from desktop_app.core.errors import JazbaError
from desktop_app.services.batch.inputs import BatchInput, HashCache, discover
from desktop_app.services.batch.local_pool import TaskFn, run_local
from desktop_app.services.batch.manifest import FileEntry, RunFolder, RunManifest
from desktop_app.services.batch.record import Recorder, chunk_tasks, done_chunk_seconds
from desktop_app.services.batch.work import (
    PREPARE,
    TASKS,
    EngineSettings,
    FileResult,
    FileTask,
    transcribe_task,
)
from desktop_app.services.pieces import PIECE_S
from desktop_app.services.transcription import resolve_model, resolve_precision

log = logging.getLogger(__name__)

ENGINES = ("local", "ray")
SAVE_EVERY_S = 1.0  # run.json is rewritten at most this often while files come back


@dataclass(frozen=True)
class BatchOptions:
    model_id: str | None = None  # None: the registry's active model
    preset: str = DEFAULT_PRESET
    language: str | None = "kk"  # None: detect per file
    device: str = "auto"
    threads: int | None = None  # per worker; None: the cores shared out among the workers
    vad: bool = True
    precision: str = "auto"
    engine: str = "local"
    workers: int = 2
    address: str | None = None  # Ray: a cluster address; None starts a local Ray
    resume: bool = False
    max_attempts: int = 3
    task: str = "transcribe"  # transcribe, units (unit-LM perplexity) or diarize
    #: Files longer than twice this are cut at pauses into pieces of about this length
    #: that are spread across the workers (transcribe and units; 0: never).
    chunk_seconds: float = PIECE_S


@dataclass
class BatchProgress:
    files_total: int
    files_done: int = 0
    files_failed: int = 0
    files_skipped: int = 0
    audio_s_total: float = 0.0
    audio_s_done: float = 0.0
    elapsed_s: float = 0.0
    eta_s: float | None = None
    last: str = ""
    audio_s_before: float = 0.0  # done by earlier runs (not part of this run's speed)
    notes: list[str] = field(default_factory=list)

    @property
    def files_finished(self) -> int:
        return self.files_done + self.files_failed

    def as_dict(self) -> dict[str, Any]:
        return {
            "files_total": self.files_total,
            "files_done": self.files_done,
            "files_failed": self.files_failed,
            "files_skipped": self.files_skipped,
            "hours_total": round(self.audio_s_total / 3600, 4),
            "hours_done": round(self.audio_s_done / 3600, 4),
            "elapsed_s": round(self.elapsed_s, 1),
            "eta_s": None if self.eta_s is None else round(self.eta_s, 1),
            "notes": list(self.notes),
        }


def _duration(inp: BatchInput) -> float:
    if inp.duration_s is not None:
        return inp.duration_s
    from desktop_app.core.audio.decode import probe

    try:
        info = probe(inp.path)
        return info.frames / info.sample_rate if info.frames_exact else 0.0
    except Exception:  # the worker reports why; here it only weighs the estimate
        return 0.0


def engine_settings(
    options: BatchOptions, registry: ModelRegistry, models: Models | None = None
) -> EngineSettings:
    """What every worker loads and how it works."""
    return resolve_settings(options, registry, models)[0]


def resolve_settings(
    options: BatchOptions, registry: ModelRegistry, models: Models | None = None
) -> tuple[EngineSettings, str]:
    """What every worker loads, and the model's name for the manifest."""
    threads = options.threads
    if threads is None and options.engine == "local":
        threads = max(1, (physical_cores() or os.cpu_count() or 1) // max(1, options.workers))
    common = {
        "preset": options.preset,
        "language": options.language,
        "vad": options.vad,
        "device": options.device,
        "threads": threads or 1,
        "task": options.task,
        "chunk_s": options.chunk_seconds,
    }
    models = models or Models()
    if options.task == "units":
        from desktop_app.services.batch.units_task import check_version
        from desktop_app.units.registry import UnitRegistry

        version = (models.units or UnitRegistry()).resolve(options.model_id, need_lm=True)
        check_version(version)
        return EngineSettings(str(version.folder), version.id, **common), version.name
    if options.task == "diarize":
        from desktop_app.core.jobs import JobState
        from desktop_app.speakers.models import ensure_speaker_model

        model = ensure_speaker_model(JobState(), models.speakers)
        return EngineSettings(str(model.folder), model.id, **common), model.name
    manifest = resolve_model(registry, options.model_id)
    model_dir = registry.path(manifest.id)
    precision = resolve_precision(options.precision, model_dir, options.device)
    settings = EngineSettings(str(model_dir), manifest.id, precision=precision, **common)
    return settings, manifest.name


@dataclass(frozen=True)
class Models:
    """Where the unit LMs and speaker models are (default: the user's model folders)."""

    units: Any = None  # a UnitRegistry
    speakers: Path | None = None  # the speaker models' root


def run_batch(
    source: Path,
    out: Path,
    options: BatchOptions,
    *,
    registry: ModelRegistry | None = None,
    on_progress: Callable[[BatchProgress], None] | None = None,
    task_fn: TaskFn = transcribe_task,
    models: Models | None = None,
) -> RunManifest:
    """Do ``options.task`` for every input of ``source`` into the run folder ``out``."""
    if options.engine not in ENGINES:
        raise JazbaError(f"Unknown batch engine '{options.engine}': use {' or '.join(ENGINES)}.")
    if options.task not in TASKS:
        raise JazbaError(f"Unknown batch task '{options.task}': use {', '.join(TASKS)}.")
    registry = registry or ModelRegistry()
    settings, model_name = resolve_settings(options, registry, models)
    folder = RunFolder(out)
    manifest = _open_run(folder, source, options, settings, model_name)
    t0 = time.perf_counter()
    now = time.time()

    def unreadable(path: Path, reason: str) -> None:
        manifest.files[str(path)] = FileEntry(
            str(path), "", 0, status="failed", reason=reason, finished_at=now
        )

    failed_before = [k for k, e in manifest.files.items() if not e.sha256]
    for key in failed_before:  # unreadable last time: looked at again
        del manifest.files[key]
    unreadable_now: list[Path] = []

    def unreadable_path(path: Path, reason: str) -> None:
        unreadable_now.append(path)
        unreadable(path, reason)

    inputs = discover(Path(source), _hash_cache(manifest), unreadable_path)
    queue, progress = _plan(folder, manifest, inputs, settings)
    progress.files_total += len(unreadable_now)
    progress.files_failed += len(unreadable_now)
    manifest.progress = progress.as_dict()
    folder.save(manifest)
    _emit(on_progress, progress)
    recorder = Recorder(folder, manifest, settings, queue, progress)
    results = _runner(queue, settings, options, task_fn)
    last_save = time.perf_counter()
    try:
        for result in results:
            recorder.handle(result)
            progress.elapsed_s = time.perf_counter() - t0
            progress.eta_s = _eta(progress)
            manifest.progress = progress.as_dict()
            if time.perf_counter() - last_save >= SAVE_EVERY_S:
                folder.save(manifest)
                last_save = time.perf_counter()
            _emit(on_progress, progress)
    finally:
        results.close()
        progress.elapsed_s = time.perf_counter() - t0
        manifest.progress = progress.as_dict()
        if all(e.status != "pending" for e in manifest.files.values()):
            manifest.finished_at = time.time()
        folder.save(manifest)
    return manifest


def _open_run(
    folder: RunFolder,
    source: Path,
    options: BatchOptions,
    settings: EngineSettings,
    model_name: str,
) -> RunManifest:
    if folder.exists():
        if not options.resume:
            raise JazbaError(
                f"'{folder.out}' already holds a batch run.",
                cli="Continue it with --resume, or choose another output folder.",
            )
        manifest = folder.load()
        if manifest.task != options.task:
            raise JazbaError(
                f"'{folder.out}' holds a batch run of the task '{manifest.task}', "
                f"not '{options.task}': choose another output folder."
            )
        manifest.resumes += 1
        manifest.finished_at = None
    else:
        manifest = RunManifest(
            model_id=settings.model_id,
            model_name=model_name,
            settings={},
            source=str(source),
            engine=options.engine,
            task=options.task,
        )
    manifest.model_id = settings.model_id
    manifest.model_name = model_name
    manifest.settings = settings.describe()
    manifest.engine = options.engine
    return manifest


def _hash_cache(manifest: RunManifest) -> HashCache:
    return {e.path: (e.size, e.mtime_ns, e.sha256) for e in manifest.files.values() if e.sha256}


def _plan(
    folder: RunFolder, manifest: RunManifest, inputs: list[BatchInput], settings: EngineSettings
) -> tuple[deque[FileTask], BatchProgress]:
    """Work items for what is not done yet; a file done before (same hash and model) is
    kept, and of a long file whose pieces were planned only the unfinished pieces are redone."""
    model_id = settings.model_id
    done_by_hash = {
        e.sha256: e
        for e in manifest.files.values()
        if e.status == "done"
        and e.model_id == model_id
        and e.shard
        and (folder.out / e.shard).is_file()
    }
    queue: deque[FileTask] = deque()
    progress = BatchProgress(files_total=len(inputs))
    for inp in inputs:
        old = manifest.files.get(inp.key)
        mtime = inp.path.stat().st_mtime_ns if inp.model_audio is None else 0
        previous = done_by_hash.get(inp.sha256)
        if previous is not None:
            if old is not previous:  # the same content under another name: share the shard
                manifest.files[inp.key] = FileEntry(
                    **{**previous.__dict__, "path": str(inp.path), "mtime_ns": mtime}
                )
            progress.files_skipped += 1
            progress.files_done += 1
            progress.audio_s_done += previous.audio_s or 0.0
            progress.audio_s_total += previous.audio_s or 0.0
            continue
        if old is not None and _pieces_left(old, inp.sha256, model_id):
            old.status, old.reason = "pending", None
            progress.audio_s_total += old.audio_s or 0.0
            progress.audio_s_done += done_chunk_seconds(old)
            queue.extend(chunk_tasks(old, inp.key))
            continue
        duration = _duration(inp)
        progress.audio_s_total += duration
        manifest.files[inp.key] = FileEntry(
            str(inp.path),
            inp.sha256,
            inp.size,
            mtime,
            audio_s=duration or None,
            attempts=old.attempts if old else 0,
        )
        long = (
            settings.task != "diarize" and settings.chunk_s > 0 and duration > 2 * settings.chunk_s
        )
        queue.append(
            FileTask(
                key=inp.key,
                path=str(inp.path),
                sha256=inp.sha256,
                model_audio=str(inp.model_audio) if inp.model_audio else None,
                duration_s=inp.duration_s,
                kind=PREPARE if long else "file",
                work_dir=str(folder.work_dir(inp.key, inp.sha256)) if long else None,
            )
        )
    progress.audio_s_before = progress.audio_s_done
    return queue, progress


def _pieces_left(entry: FileEntry, sha256: str, model_id: str) -> bool:
    """Whether a resumed run can go on with ``entry``'s unfinished pieces."""
    return (
        entry.chunks is not None
        and entry.work_audio is not None
        and entry.sha256 == sha256
        and entry.model_id in (None, model_id)
        and Path(entry.work_audio).is_file()
    )


def _runner(
    queue: deque[FileTask], settings: EngineSettings, options: BatchOptions, task_fn: TaskFn
) -> Iterator[FileResult]:
    if options.engine == "ray":
        from desktop_app.services.batch.ray_pool import run_ray

        return run_ray(
            queue,
            settings,
            options.workers,
            address=options.address,
            task_fn=task_fn,
            max_attempts=options.max_attempts,
            cpus_per_actor=float(settings.threads or 1) if options.address else 1.0,
        )
    return run_local(
        queue, settings, options.workers, task_fn=task_fn, max_attempts=options.max_attempts
    )


def _eta(progress: BatchProgress) -> float | None:
    done_now = progress.audio_s_done - progress.audio_s_before
    if done_now <= 0 or progress.elapsed_s <= 0:
        return None
    rate = done_now / progress.elapsed_s
    return max(0.0, progress.audio_s_total - progress.audio_s_done) / rate


def _emit(on_progress: Callable[[BatchProgress], None] | None, progress: BatchProgress) -> None:
    if on_progress is not None:
        on_progress(progress)
