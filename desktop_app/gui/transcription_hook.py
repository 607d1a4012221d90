"""The transcription job as the GUI starts it (settings -> request -> job function),
and the speech model kept loaded for the whole app session.

``desktop_app.services.transcription.transcribe_recording`` does the work:
it commits the new draft range by range and calls ``on_update`` after each (in
the worker thread); the GUI passes a callable that only emits a queued signal.

Loading the model (ONNX sessions for the encoder, decoder and aligner) takes
seconds; it happens once per app session. The engine lives in the service's
process-wide :class:`~desktop_app.services.transcription.EngineCache`, so
every later job with the same settings reuses it. :func:`preload` loads it in
the background as soon as a project opens (when a model is installed), with
"Loading <model>… (once per session)" in the status bar; a job that starts
before that finished waits for the same load instead of starting another, and
its Jobs row says what it is waiting for.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QRunnable, Qt, Signal

from desktop_app.asr.presets import DEFAULT_PRESET, preset_names
from desktop_app.core.errors import JazbaError
from desktop_app.core.jobs import JobState, Progress
from desktop_app.core.project import Project
from desktop_app.core.services.model_pass import PassUpdate
from desktop_app.core.settings import Settings
from desktop_app.services import transcription
from desktop_app.services.transcription import (
    EngineCache,
    TranscribeRequest,
    TranscribeResult,
    resolve_model,
    resolve_precision,
    transcribe_recording,
)

if TYPE_CHECKING:
    from desktop_app.gui.main_window import MainWindow

log = logging.getLogger(__name__)


def request_for(recording_id: int, settings: Settings) -> TranscribeRequest:
    preset = settings.decoding_preset
    if preset not in preset_names():
        log.info("unknown decoding preset %r in the settings; using %s", preset, DEFAULT_PRESET)
        preset = DEFAULT_PRESET
    return TranscribeRequest(
        recording_id=recording_id,
        model_id=settings.model_version or None,
        preset=preset,
        device=settings.device,
        precision=settings.precision,
    )


# -- the engine, once per session ---------------------------------------------------------
@dataclass(frozen=True)
class EnginePlan:
    """Which engine a transcription with these settings loads (as the service resolves it)."""

    name: str  # the model's name, for messages
    model_dir: Path
    device: str
    threads: int | None
    precision: str  # fp32 or int8, resolved

    @property
    def args(self) -> tuple[Path, str, int | None, str]:
        return (self.model_dir, self.device, self.threads, self.precision)


def engine_plan(settings: Settings) -> EnginePlan:
    """The engine the next job will use; :class:`JazbaError` when no model fits."""
    registry = transcription.ModelRegistry()
    request = request_for(0, settings)
    manifest = resolve_model(registry, request.model_id)
    model_dir = registry.path(manifest.id)
    precision = resolve_precision(request.precision, model_dir, request.device)
    return EnginePlan(manifest.name, model_dir, request.device, request.threads, precision)


def loading_message(name: str) -> str:
    return f"Loading {name}… (once per session)"


def ready_message(name: str, seconds: float) -> str:
    return f"{name} is loaded and ready ({seconds:.1f} s, once per session)"


def warm_up(plan: EnginePlan, state: Progress | None = None) -> bool:
    """Load ``plan``'s engine into the shared cache unless it is there; whether it
    was loaded now. With ``state``, says so first (the load cannot be cancelled)."""
    engines: EngineCache = transcription.default_engines()
    if engines.loaded(*plan.args):
        return False
    if state is not None:
        state.set_status(loading_message(plan.name))
    engines.get(*plan.args)
    return True


def transcription_job(
    project: Project,
    recording_id: int,
    settings: Settings,
    on_update: Callable[[PassUpdate], None] | None = None,
) -> Callable[[JobState], TranscribeResult]:
    """A job function ``fn(state)`` transcribing one recording with the session's engine."""
    request = request_for(recording_id, settings)

    def run(state: JobState) -> TranscribeResult:
        try:
            plan = engine_plan(settings)
        except JazbaError:
            plan = None  # the service raises the same error, and logs the job as failed
        if plan is not None:
            warm_up(plan, state)
        return transcribe_recording(project, request, state, on_update=on_update)

    return run


class _PreloadSignals(QObject):
    done = Signal(str, float)  # model name, seconds
    failed = Signal(str)


class _Preload(QRunnable):
    def __init__(self, plan: EnginePlan, signals: _PreloadSignals) -> None:
        super().__init__()
        self.plan, self.signals = plan, signals

    def run(self) -> None:  # worker thread
        t0 = time.perf_counter()
        try:
            warm_up(self.plan)
        except Exception as exc:  # the next transcription reports it properly
            log.warning("pre-loading %s failed: %s", self.plan.name, exc, exc_info=True)
            self.signals.failed.emit(str(exc))
            return
        self.signals.done.emit(self.plan.name, time.perf_counter() - t0)


def preload(window: MainWindow) -> bool:
    """Load the speech model in the background (after a project opened), once
    per session; whether a load started. Nothing happens without a model."""
    try:
        plan = engine_plan(window.settings)
    except JazbaError:
        return False
    if transcription.default_engines().loaded(*plan.args):
        return False
    signals = _PreloadSignals(window)
    bar = window.statusBar()
    conn = Qt.ConnectionType.QueuedConnection
    signals.done.connect(lambda name, s: bar.showMessage(ready_message(name, s), 5000), conn)
    signals.failed.connect(lambda _msg: bar.clearMessage(), conn)
    signals.done.connect(signals.deleteLater, conn)
    signals.failed.connect(signals.deleteLater, conn)
    bar.showMessage(loading_message(plan.name))
    task = _Preload(plan, signals)
    task.setAutoDelete(False)
    window.model_preload = task  # type: ignore[attr-defined]  # kept alive while it runs
    window.runner.pool.start(task)  # the runner's shutdown waits for it on quit
    return True


def describe(result: TranscribeResult) -> str:
    """One line for the status bar and the Jobs panel: what was done, where, how."""
    text = f"Transcribed {result.added} segment(s)"
    if result.replaced:
        text += f" (replacing {result.replaced} earlier draft segment(s))"
    text += f" in {result.wall_seconds:.1f} s on {result.device.upper()} ({result.precision})"
    if result.skipped or result.kept:
        text += "; everything you edited was kept"
    if result.device_warning:
        text += f". {result.device_warning}"
    return text
