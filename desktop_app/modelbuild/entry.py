"""Shared ``main`` for job subprocesses that speak :mod:`.protocol`.

Model builds, fine-tuning and unit-LM jobs each have an argparse parser whose
subcommands set ``func(args, emitter)``; :func:`run_job_cli` runs one, keeps
the real stdout for protocol lines (library chatter goes to stderr) and turns
any failure into an ``error`` message the parent can show to the user. The
emitter is callable as ``progress(fraction, text)`` and also has
``metrics(step, values)`` and ``log(text)``.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback
from collections.abc import Sequence
from typing import TextIO

from desktop_app.core.errors import JazbaError
from desktop_app.modelbuild.protocol import DoneMsg, Emitter, ErrorMsg


def protocol_stream() -> TextIO:
    """Keep the real stdout for messages; send fd 1 (C libraries too) to stderr."""
    sys.stdout.flush()
    stream = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return stream


def run_job_cli(
    parser: argparse.ArgumentParser,
    argv: Sequence[str] | None = None,
    stream: TextIO | None = None,
    what: str = "Job",
) -> int:
    """Parse ``argv``, run the chosen subcommand, report done or error; exit status."""
    args = parser.parse_args(argv)
    emitter = Emitter(stream if stream is not None else protocol_stream())
    try:
        result = args.func(args, emitter)
    except JazbaError as exc:
        traceback.print_exc()
        emitter.send(ErrorMsg(str(exc)))
        return 1
    except Exception as exc:  # Anything else is a bug, but the parent still needs a message.
        traceback.print_exc()
        emitter.send(ErrorMsg(f"{what} failed ({type(exc).__name__}: {exc})."))
        return 1
    emitter.send(DoneMsg(result))
    return 0


def exit_on_sigterm() -> None:
    """Turn SIGTERM (cancel) into SystemExit so temporary folders are cleaned up."""
    signal.signal(signal.SIGTERM, lambda _sig, _frame: sys.exit(128 + signal.SIGTERM))
