"""``jazba demo``: the README's first command ends here."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from desktop_app.asr.registry import ModelRegistry
from desktop_app.cli.common import CliProgress, user_errors
from desktop_app.cli.transcribe import transcribe_project
from desktop_app.core.demo import default_demo_path, open_or_build_demo
from desktop_app.core.services.recordings import RecordingService
from desktop_app.services.transcription import TranscribeRequest

demo_app = typer.Typer(help="The demo project (a few Kazakh clips).", no_args_is_help=True)

PathOpt = Annotated[
    Path | None, typer.Option("--path", help="Where the demo project lives (default: user data).")
]


def has_display() -> bool:
    if sys.platform in ("win32", "darwin"):
        return True
    if os.environ.get("QT_QPA_PLATFORM", "") in ("offscreen", "minimal"):
        return False
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


@demo_app.command("setup")
@user_errors
def setup(
    path: PathOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
    skip_model: Annotated[bool, typer.Option("--skip-model", help="Only the project.")] = False,
) -> None:
    """Install the default model (offline) and build the demo project."""
    if not skip_model:
        model = ModelRegistry().install_default(CliProgress("Default model", quiet).state())
        typer.echo(f"Default model: {model.id}")
    project = open_or_build_demo(path, CliProgress("Demo project", quiet).state())
    with project:
        n = len(RecordingService(project).list())
        typer.echo(f"Demo project: {project.path} ({n} recordings)")


@demo_app.command("run")
@user_errors
def run(
    path: PathOpt = None,
    headless: Annotated[
        bool, typer.Option("--headless", help="Run the main job without a window.")
    ] = False,
    preset: Annotated[str, typer.Option(help="Decoding preset for the headless job.")] = "fast",
) -> None:
    """Open the demo in the app, or (no display) transcribe it and print the result."""
    target = path or default_demo_path()
    if not headless and has_display():
        gui_app = importlib.import_module("desktop_app.gui.app")
        raise typer.Exit(gui_app.run_gui(target))
    typer.echo("No display found: transcribing the demo project headless.", err=True)
    with open_or_build_demo(target) as project:
        transcribe_project(project, None, TranscribeRequest(recording_id=0, preset=preset))
        typer.echo(f"\nThe segments are saved in {project.path}; open it with 'jazba gui'.")
