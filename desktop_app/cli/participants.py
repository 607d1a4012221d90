"""``jazba speakers list | edit``: the speakers of a project and their participant metadata."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from desktop_app.cli.common import open_project, user_errors
from desktop_app.core.errors import NotFoundError
from desktop_app.core.services.participants import GENDERS, METADATA_FIELDS
from desktop_app.core.services.speakers import SpeakerService

ProjectArg = Annotated[Path, typer.Argument(help="Project folder (NAME.jazba).")]


def _opt(help_text: str) -> Any:
    return typer.Option(help=f"{help_text} An empty value ('') clears it.")


@user_errors
def speakers_list(
    project_path: ProjectArg,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List the speakers with their segment counts and participant metadata."""
    with open_project(project_path) as project:
        speakers = SpeakerService(project).list()
    if as_json:
        typer.echo(json.dumps([asdict(sp) for sp in speakers], ensure_ascii=False, indent=2))
        return
    if not speakers:
        typer.echo("No speakers yet.")
        return
    for sp in speakers:
        typer.echo(f"#{sp.id:<4} {sp.name}  ({sp.segment_count} segments)")
        for key in METADATA_FIELDS:
            value = getattr(sp, key)
            if value not in (None, ""):
                typer.echo(f"      {key.replace('_', ' ')}: {value}")


@user_errors
def speakers_edit(
    project_path: ProjectArg,
    name: Annotated[str, typer.Argument(help="The speaker's name (or #id).")],
    new_name: Annotated[str | None, typer.Option("--name", help="Rename the speaker.")] = None,
    gender: Annotated[
        str | None, _opt(f"Gender: {', '.join(GENDERS)} (f/m for short) or a word of your own.")
    ] = None,
    age_band: Annotated[str | None, _opt("Age band, e.g. 30-39.")] = None,
    birth_year: Annotated[str | None, _opt("Year of birth, e.g. 1988.")] = None,
    dialect: Annotated[str | None, _opt("Dialect.")] = None,
    region: Annotated[str | None, _opt("Region or place of origin.")] = None,
    l1: Annotated[str | None, _opt("First language(s): ISO 639 codes, e.g. kk,ru.")] = None,
    notes: Annotated[str | None, _opt("Free notes.")] = None,
    create: Annotated[
        bool, typer.Option("--create", help="Create the speaker if there is none of that name.")
    ] = False,
) -> None:
    """Set a speaker's participant metadata (only the options given change)."""
    given = {
        "gender": gender,
        "age_band": age_band,
        "birth_year": birth_year,
        "dialect": dialect,
        "region": region,
        "l1": l1,
        "notes": notes,
    }
    fields: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    if new_name is not None:
        fields["name"] = new_name
    with open_project(project_path) as project:
        service = SpeakerService(project)
        _values, warnings = service.check(fields)
        try:
            if name.startswith("#") and name[1:].isdigit():
                sp = service.get(int(name[1:]))
            else:
                sp = service.find(name)
        except NotFoundError:
            if not create:
                raise
            sp = service.create(name)
            typer.echo(f"Created speaker '{sp.name}'.")
        if fields:
            sp = service.update(sp.id, **fields)
    for line in warnings:
        typer.echo(f"Warning: {line}", err=True)
    typer.echo(f"#{sp.id} {sp.name}")
    for key in METADATA_FIELDS:
        value = getattr(sp, key)
        typer.echo(f"  {key.replace('_', ' ')}: {'' if value is None else value}")
