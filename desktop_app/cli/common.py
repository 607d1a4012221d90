"""Shared CLI plumbing: user-facing errors, progress on stderr, opening projects."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ParamSpec, TypeVar

import typer

from desktop_app.core.errors import Cancelled, JazbaError
from desktop_app.core.jobs import JobState
from desktop_app.core.project import Project

log = logging.getLogger("desktop_app.cli")
P = ParamSpec("P")
R = TypeVar("R")


def user_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn Jazba errors into one clear line on stderr and a non-zero exit."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except Cancelled as exc:
            typer.echo(f"\n{exc}", err=True)
            raise typer.Exit(130) from exc
        except KeyboardInterrupt as exc:
            typer.echo("\nInterrupted; nothing half-done was kept.", err=True)
            raise typer.Exit(130) from exc
        except JazbaError as exc:
            log.exception("command failed")
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(1) from exc

    return wrapper


class CliProgress:
    """Progress on stderr: a live bar on a terminal, a line per 10 % otherwise."""

    def __init__(self, label: str, quiet: bool = False) -> None:
        self.label = label
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self._last_decile = -1

    def __call__(self, fraction: float, status: str) -> None:
        if self.quiet:
            return
        pct = int(fraction * 100)
        if self.tty:
            bar = "#" * (pct // 4)
            sys.stderr.write(f"\r{self.label} [{bar:<25}] {pct:3d}% {status[:40]:<40}")
            if fraction >= 1.0:
                sys.stderr.write("\n")
            sys.stderr.flush()
        elif pct // 10 > self._last_decile:
            self._last_decile = pct // 10
            sys.stderr.write(f"{self.label}: {pct}% {status}\n")

    def state(self) -> JobState:
        return JobState(on_progress=self, min_interval=0.1)


@contextmanager
def open_project(path: Path, *, read_only: bool = False) -> Iterator[Project]:
    """Open a project, print what opening it found (on stderr), close it after."""
    project = Project.open(path, read_only=read_only)
    for line in project.open_report.notes():
        typer.echo(f"Note: {line}", err=True)
    try:
        yield project
    finally:
        project.close()


def fmt_time(ms: int) -> str:
    s, ms = divmod(int(ms), 1000)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}.{ms:03d}" if h else f"{m:02d}:{s:02d}.{ms:03d}"
