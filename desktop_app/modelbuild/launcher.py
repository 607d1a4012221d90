"""Parent side of the model-build subprocess (imported by the GUI process).

:func:`run_modelbuild` starts ``python -m desktop_app.modelbuild ...`` in its
own process group, streams its JSON progress lines into a
:class:`~desktop_app.core.jobs.Progress` and terminates the whole process tree
when the user cancels. Like :mod:`.protocol`, this module must import only the
standard library and ``desktop_app.core``: never torch.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

import desktop_app
from desktop_app.core.errors import Cancelled, ModelError
from desktop_app.core.jobs import Progress
from desktop_app.modelbuild.protocol import DoneMsg, ErrorMsg, Message, ProgressMsg, decode

log = logging.getLogger(__name__)

POLL_S = 0.2
TERMINATE_GRACE_S = 5.0
_STDERR_TAIL = 60


def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _keep_tail(stream: IO[str], tail: deque[str]) -> None:
    tail.extend(stream)


RUN_MODULE_FLAG = "--run-module"
"""Hidden first argument of a frozen (PyInstaller) Jazba: ``jazba --run-module
MODULE ARGS`` runs ``MODULE`` as ``python -m`` would (see ``desktop_app/__main__.py``)."""


def job_command(module: str, args: Sequence[str], python: str | None = None) -> list[str]:
    """The command line that runs ``module`` as a job subprocess.

    In a frozen bundle ``sys.executable`` is Jazba itself, which cannot take
    ``-m``; it runs the module through its hidden ``--run-module`` argument.
    """
    if python is None and getattr(sys, "frozen", False):
        return [sys.executable, RUN_MODULE_FLAG, module, *args]
    return [python or sys.executable, "-m", module, *args]


def run_module_argv(argv: Sequence[str]) -> bool:
    """Run ``argv = [prog, RUN_MODULE_FLAG, MODULE, ARGS...]`` like ``python -m``;
    False (nothing run) when ``argv`` does not ask for it. Only Jazba's own
    modules may be run this way."""
    if len(argv) < 3 or argv[1] != RUN_MODULE_FLAG:
        return False
    module = argv[2]
    if module.split(".")[0] != "desktop_app":
        raise SystemExit(f"{RUN_MODULE_FLAG}: not a Jazba module: {module}")
    import runpy

    sys.argv = [module, *argv[3:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
    return True


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The child must import ``desktop_app`` even when Jazba is not installed."""
    env = {**os.environ, **(extra or {})}
    root = str(Path(desktop_app.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    env["PYTHONIOENCODING"] = "utf-8"
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    return env


def _terminate(proc: subprocess.Popen[str]) -> None:
    """Stop the child and everything it started."""
    if proc.poll() is not None:
        return
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGTERM)
        else:
            proc.terminate()
        proc.wait(TERMINATE_GRACE_S)
    except subprocess.TimeoutExpired:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
        proc.wait()
    except ProcessLookupError:
        pass


def run_modelbuild(
    args: Sequence[str],
    state: Progress,
    python: str | None = None,
    cwd: str | Path | None = None,
    module: str = "desktop_app.modelbuild",
    on_message: Callable[[Message], None] | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run one subcommand of a job module (``python -m MODULE ARGS``); return its ``done`` result.

    ``module`` is any entry point speaking :mod:`.protocol` (model builds,
    training, unit LMs). Every message, including metrics and log lines, is
    also passed to ``on_message`` (called on this thread). Raises
    :class:`Cancelled` (after killing the child's process tree) when ``state``
    is cancelled, and :class:`ModelError` with the child's message when it
    fails. The child's stderr goes to this process's log. ``env`` adds
    variables to the child's environment (a token: never on the command line).
    """
    cmd = job_command(module, args, python)
    log.info("Starting model build: %s", " ".join(cmd))
    kwargs: dict[str, Any] = {}
    if os.name == "posix":
        kwargs["start_new_session"] = True
    else:
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    try:
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=_env(env),
            cwd=cwd,
            **kwargs,
        )
    except OSError as exc:
        raise ModelError(f"Cannot start the model builder ({cmd[0]}): {exc}") from exc

    assert proc.stdout is not None and proc.stderr is not None
    lines: queue.Queue[str | None] = queue.Queue()
    stderr_tail: deque[str] = deque(maxlen=_STDERR_TAIL)
    threads = [
        threading.Thread(target=_pump, args=(proc.stdout, lines), daemon=True),
        threading.Thread(target=_keep_tail, args=(proc.stderr, stderr_tail), daemon=True),
    ]
    for thread in threads:
        thread.start()

    done: DoneMsg | None = None
    error: ErrorMsg | None = None
    try:
        while True:
            state.check()
            try:
                line = lines.get(timeout=POLL_S)
            except queue.Empty:
                continue
            if line is None:
                break
            msg = decode(line)
            if msg is not None and on_message is not None:
                on_message(msg)
            if isinstance(msg, ProgressMsg):
                state.set_progress(msg.fraction, msg.text)
            elif isinstance(msg, DoneMsg):
                done = msg
            elif isinstance(msg, ErrorMsg):
                error = msg
        proc.wait()
    except BaseException:
        _terminate(proc)
        raise
    finally:
        for thread in threads:
            thread.join(timeout=1.0)
    if state.cancelled:
        raise Cancelled()
    if error is not None or done is None or proc.returncode != 0:
        log.error("Model build failed (exit status %s):\n%s", proc.returncode, "".join(stderr_tail))
        if error is not None:
            raise ModelError(error.message)
        last = next((ln.strip() for ln in reversed(stderr_tail) if ln.strip()), "no output")
        raise ModelError(f"The model builder stopped unexpectedly ({last}).")
    return done.result
