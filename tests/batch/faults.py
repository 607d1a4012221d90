"""Task functions that fail the way real workers fail (module-level: picklable)."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

from desktop_app.services.batch.work import (
    CHUNK,
    EngineSettings,
    FileResult,
    FileTask,
    transcribe_task,
)


def die_once_on(
    marker_dir: str, name: str, engine: Any, settings: EngineSettings, task: FileTask
) -> FileResult:
    """``kill -9`` this worker the first time it gets the file called ``name``."""
    marker = Path(marker_dir) / f"killed-{name}-{os.getpid()}"
    if Path(task.path).name == name and not any(Path(marker_dir).glob(f"killed-{name}-*")):
        marker.write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    return transcribe_task(engine, settings, task)


def slow(delay_s: float, engine: Any, settings: EngineSettings, task: FileTask) -> FileResult:
    """Transcribe, then wait: gives a test time to kill the whole run half-way."""
    import time

    result = transcribe_task(engine, settings, task)
    time.sleep(delay_s)
    return result


def die_once_on_piece(
    marker_dir: str, index: int, engine: Any, settings: EngineSettings, task: FileTask
) -> FileResult:
    """``kill -9`` this worker the first time it gets piece ``index`` of a long file."""
    if task.kind == CHUNK and task.index == index:
        marker = Path(marker_dir) / f"killed-piece{index}"
        if not marker.exists():
            marker.write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
    return transcribe_task(engine, settings, task)


def fail_piece_once(
    marker_dir: str, index: int, engine: Any, settings: EngineSettings, task: FileTask
) -> FileResult:
    """Piece ``index`` fails (as a damaged stretch would) the first time it is done."""
    marker = Path(marker_dir) / f"failed-piece{index}"
    if task.kind == CHUNK and task.index == index and not marker.exists():
        marker.write_text("1")
        return FileResult.of(task, reason="the piece could not be decoded")
    return transcribe_task(engine, settings, task)
