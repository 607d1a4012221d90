"""The transcription job as the GUI starts it (settings -> request -> job function).

``desktop_app.services.transcription.transcribe_recording`` does the work:
it commits the new draft range by range and calls ``on_update`` after each (in
the worker thread); the GUI passes a callable that only emits a queued signal.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from desktop_app.asr.presets import DEFAULT_PRESET, preset_names
from desktop_app.core.jobs import JobState
from desktop_app.core.project import Project
from desktop_app.core.services.model_pass import PassUpdate
from desktop_app.core.settings import Settings
from desktop_app.services.transcription import (
    TranscribeRequest,
    TranscribeResult,
    transcribe_recording,
)

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


def transcription_job(
    project: Project,
    recording_id: int,
    settings: Settings,
    on_update: Callable[[PassUpdate], None] | None = None,
) -> Callable[[JobState], TranscribeResult]:
    """A job function ``fn(state)`` transcribing one recording."""
    return partial(
        transcribe_recording, project, request_for(recording_id, settings), on_update=on_update
    )


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
