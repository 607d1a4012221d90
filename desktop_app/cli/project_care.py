"""``jazba project check | repair | backup``: keeping a project sound and copying it safely."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from desktop_app.cli.common import CliProgress, user_errors
from desktop_app.core.project_care import backup_project, check_project, repair_project

ProjectArg = Annotated[Path, typer.Argument(help="Project folder (NAME.jazba).")]


@user_errors
def check(project_path: ProjectArg) -> None:
    """Check a project fully: database integrity, links between rows, missing files.

    Writes nothing. Exits with 1 when a problem was found."""
    report = check_project(project_path)
    for line in report.lines():
        typer.echo(line)
    if not report.ok:
        raise typer.Exit(1)


@user_errors
def repair(
    project_path: ProjectArg,
    force: Annotated[
        bool, typer.Option("--force", help="Rebuild the database even if it checks out.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """Recover what SQLite can read of a damaged project database into a new file.

    The damaged database is kept beside it as project.sqlite.damaged-<timestamp>;
    nothing is deleted. Close Jazba (and other jazba commands) on the project first."""
    report = repair_project(project_path, CliProgress("repair", quiet).state(), force=force)
    for line in report.lines():
        typer.echo(line)


@user_errors
def backup(
    project_path: ProjectArg,
    dest: Annotated[Path, typer.Argument(help="The new project folder for the copy.")],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """Save a consistent copy of a project (database and audio), even while it is in use.

    Copy projects this way, not with a file manager: a file copy of an open
    project can catch the database half-written."""
    result = backup_project(project_path, dest, CliProgress("backup", quiet).state())
    typer.echo(result.summary())
    for rel in result.missing:
        typer.echo(f"  missing in the project (not copied): {rel}", err=True)
