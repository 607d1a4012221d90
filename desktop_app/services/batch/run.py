"""``run_batch``: transcribe an archive into a run folder, resumable and fault-tolerant.

The driver discovers and hashes the inputs, decides what is already done
(same content hash, same model version), hands the rest to a pool (local
processes or Ray actors) and, as each file comes back, writes its shard and
updates ``run.json``. A run killed at any point continues with ``resume``:
files whose shard the manifest names are kept, the others are redone.
"""

from __future__ import annotations

import logging
import os
import time
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
from desktop_app.services.batch.work import EngineSettings, FileResult, FileTask, transcribe_task
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


def engine_settings(options: BatchOptions, registry: ModelRegistry) -> EngineSettings:
    manifest = resolve_model(registry, options.model_id)
    model_dir = registry.path(manifest.id)
    threads = options.threads
    if threads is None and options.engine == "local":
        threads = max(1, (physical_cores() or os.cpu_count() or 1) // max(1, options.workers))
    return EngineSettings(
        model_dir=str(model_dir),
        model_id=manifest.id,
        preset=options.preset,
        language=options.language,
        vad=options.vad,
        device=options.device,
        threads=threads or 1,
        precision=resolve_precision(options.precision, model_dir, options.device),
    )


def run_batch(
    source: Path,
    out: Path,
    options: BatchOptions,
    *,
    registry: ModelRegistry | None = None,
    on_progress: Callable[[BatchProgress], None] | None = None,
    task_fn: TaskFn = transcribe_task,
) -> RunManifest:
    """Transcribe every input of ``source`` into the run folder ``out``."""
    if options.engine not in ENGINES:
        raise JazbaError(f"Unknown batch engine '{options.engine}': use {' or '.join(ENGINES)}.")
    registry = registry or ModelRegistry()
    settings = engine_settings(options, registry)
    folder = RunFolder(out)
    manifest = _open_run(folder, source, options, settings, registry)
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
    tasks, progress = _plan(folder, manifest, inputs, settings.model_id)
    progress.files_total += len(unreadable_now)
    progress.files_failed += len(unreadable_now)
    manifest.progress = progress.as_dict()
    folder.save(manifest)
    _emit(on_progress, progress)
    results = _runner(tasks, settings, options, task_fn)
    last_save = time.perf_counter()
    try:
        for result in results:
            entry = manifest.files[result.key]
            _record(folder, entry, result, settings.model_id)
            if result.device_warning and result.device_warning not in progress.notes:
                progress.notes.append(result.device_warning)
            if result.ok:
                progress.files_done += 1
                progress.audio_s_done += result.audio_s
            else:
                progress.files_failed += 1
            progress.elapsed_s = time.perf_counter() - t0
            progress.last = entry.path
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
    registry: ModelRegistry,
) -> RunManifest:
    if folder.exists():
        if not options.resume:
            raise JazbaError(
                f"'{folder.out}' already holds a batch run.",
                cli="Continue it with --resume, or choose another output folder.",
            )
        manifest = folder.load()
        manifest.resumes += 1
        manifest.finished_at = None
    else:
        manifest = RunManifest(
            model_id=settings.model_id,
            model_name=registry.get(settings.model_id).name,
            settings={},
            source=str(source),
            engine=options.engine,
        )
    manifest.model_id = settings.model_id
    manifest.model_name = registry.get(settings.model_id).name
    manifest.settings = settings.describe()
    manifest.engine = options.engine
    return manifest


def _hash_cache(manifest: RunManifest) -> HashCache:
    return {e.path: (e.size, e.mtime_ns, e.sha256) for e in manifest.files.values() if e.sha256}


def _plan(
    folder: RunFolder, manifest: RunManifest, inputs: list[BatchInput], model_id: str
) -> tuple[list[FileTask], BatchProgress]:
    """Tasks for what is not done yet; a file done before (same hash and model) is kept."""
    done_by_hash = {
        e.sha256: e
        for e in manifest.files.values()
        if e.status == "done"
        and e.model_id == model_id
        and e.shard
        and (folder.out / e.shard).is_file()
    }
    tasks = []
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
        tasks.append(
            FileTask(
                key=inp.key,
                path=str(inp.path),
                sha256=inp.sha256,
                model_audio=str(inp.model_audio) if inp.model_audio else None,
                duration_s=inp.duration_s,
            )
        )
    progress.audio_s_before = progress.audio_s_done
    return tasks, progress


def _runner(
    tasks: list[FileTask], settings: EngineSettings, options: BatchOptions, task_fn: TaskFn
) -> Iterator[FileResult]:
    if options.engine == "ray":
        from desktop_app.services.batch.ray_pool import run_ray

        return run_ray(
            tasks,
            settings,
            options.workers,
            address=options.address,
            task_fn=task_fn,
            max_attempts=options.max_attempts,
            cpus_per_actor=float(settings.threads or 1) if options.address else 1.0,
        )
    return run_local(
        tasks, settings, options.workers, task_fn=task_fn, max_attempts=options.max_attempts
    )


def _record(folder: RunFolder, entry: FileEntry, result: FileResult, model_id: str) -> None:
    entry.attempts += 1
    entry.wall_s = round(result.wall_s, 3)
    entry.finished_at = time.time()
    entry.model_id = model_id
    if not result.ok:
        entry.status, entry.reason = "failed", result.reason
        return
    name = folder.shard_name(entry.path, entry.sha256)
    rows = [
        {"file": entry.path, "sha256": entry.sha256, "model_id": model_id, **seg}
        for seg in result.segments
    ]
    folder.write_shard(name, rows)  # before the manifest names it
    entry.status, entry.reason, entry.shard = "done", None, name
    entry.audio_s = round(result.audio_s, 3)
    entry.segments = len(rows)
    entry.language = result.language


def _eta(progress: BatchProgress) -> float | None:
    done_now = progress.audio_s_done - progress.audio_s_before
    if done_now <= 0 or progress.elapsed_s <= 0:
        return None
    rate = done_now / progress.elapsed_s
    return max(0.0, progress.audio_s_total - progress.audio_s_done) / rate


def _emit(on_progress: Callable[[BatchProgress], None] | None, progress: BatchProgress) -> None:
    if on_progress is not None:
        on_progress(progress)
