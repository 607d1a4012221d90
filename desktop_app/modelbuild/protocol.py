"""Messages between a model-build subprocess and its parent.

The child (``python -m desktop_app.modelbuild ...``) writes one JSON object
per line on stdout; everything else it prints goes to stderr. Kinds:

* ``{"type": "progress", "fraction": 0.4, "text": "Exporting"}``
* ``{"type": "done", "result": {...}}`` — last message of a successful run
* ``{"type": "error", "message": "..."}`` — a message for the user
* ``{"type": "metrics", "step": 120, "values": {"loss": 0.8}}`` — training curves
* ``{"type": "log", "text": "..."}`` — a line for the job log

This module imports only the standard library: the GUI process (the model
registry) uses it to parse what the child says.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, TextIO


@dataclass(frozen=True)
class ProgressMsg:
    fraction: float
    text: str


@dataclass(frozen=True)
class DoneMsg:
    result: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ErrorMsg:
    message: str


@dataclass(frozen=True)
class MetricsMsg:
    """Numbers at a training step (loss, learning rate, dev WER, ...)."""

    step: int
    values: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class LogMsg:
    text: str


Message = ProgressMsg | DoneMsg | ErrorMsg | MetricsMsg | LogMsg


def encode(msg: Message) -> str:
    """One JSON line (no trailing newline) for ``msg``."""
    if isinstance(msg, ProgressMsg):
        data: dict[str, Any] = {"type": "progress", "fraction": msg.fraction, "text": msg.text}
    elif isinstance(msg, DoneMsg):
        data = {"type": "done", "result": msg.result}
    elif isinstance(msg, MetricsMsg):
        data = {"type": "metrics", "step": msg.step, "values": msg.values}
    elif isinstance(msg, LogMsg):
        data = {"type": "log", "text": msg.text}
    else:
        data = {"type": "error", "message": msg.message}
    return json.dumps(data, ensure_ascii=False)


def decode(line: str) -> Message | None:
    """The message on ``line``, or None for anything that is not one."""
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    kind = data.get("type")
    try:
        if kind == "progress":
            return ProgressMsg(float(data["fraction"]), str(data.get("text", "")))
        if kind == "done":
            result = data.get("result") or {}
            return DoneMsg(result if isinstance(result, dict) else {})
        if kind == "error":
            return ErrorMsg(str(data["message"]))
        if kind == "metrics":
            values = data.get("values") or {}
            return MetricsMsg(
                int(data["step"]), {str(k): float(v) for k, v in dict(values).items()}
            )
        if kind == "log":
            return LogMsg(str(data["text"]))
    except (KeyError, TypeError, ValueError):
        return None
    return None


class Emitter:
    """Writes messages to a stream, one flushed line each."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def send(self, msg: Message) -> None:
        self.stream.write(encode(msg) + "\n")
        self.stream.flush()

    def progress(self, fraction: float, text: str) -> None:
        self.send(ProgressMsg(round(min(1.0, max(0.0, fraction)), 4), text))

    __call__ = progress  # an Emitter is itself a ``progress(fraction, text)`` callback

    def metrics(self, step: int, values: dict[str, float]) -> None:
        self.send(MetricsMsg(step, values))

    def log(self, text: str) -> None:
        self.send(LogMsg(text))
