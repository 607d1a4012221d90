"""``jazba vocab ...`` (controlled vocabularies) and ``jazba project languages``
(the project's language list)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from desktop_app.cli.common import open_project, user_errors
from desktop_app.core.errors import NotFoundError
from desktop_app.core.project import Project
from desktop_app.core.services.languages import LanguageService
from desktop_app.core.services.speakers import TierService
from desktop_app.core.services.vocabularies import VocabularyService

vocab_app = typer.Typer(
    help="Controlled vocabularies: closed lists of values for a tier.", no_args_is_help=True
)
ProjectArg = Annotated[Path, typer.Argument(help="Project folder (NAME.jazba).")]
CvArg = Annotated[str, typer.Argument(help="The vocabulary's name (or #id).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _tier_id(project: Project, name: str) -> int:
    for tier in TierService(project).list():
        if tier.name == name or (name.lstrip("#").isdigit() and tier.id == int(name.lstrip("#"))):
            return tier.id
    raise NotFoundError(f"The project has no tier named '{name}'.")


@vocab_app.command("list")
@user_errors
def vocab_list(project_path: ProjectArg, as_json: JsonOpt = False) -> None:
    """List the vocabularies with their entries and the tiers using them
    (the built-in 'status' and 'language' ones are created if missing)."""
    with open_project(project_path) as project:
        service = VocabularyService(project)
        if not project.read_only:
            service.ensure_builtins()
        cvs = service.list()
    if as_json:
        out = [{**asdict(cv), "builtin": cv.builtin} for cv in cvs]
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for cv in cvs:
        where = f"  [tiers: {', '.join(cv.tiers)}]" if cv.tiers else ""
        tag = " (built in)" if cv.builtin else ""
        typer.echo(f"#{cv.id:<3} {cv.name}{tag}{where}")
        if cv.description:
            typer.echo(f"     {cv.description}")
        for e in cv.entries:
            typer.echo(f"     - {e.value}" + (f": {e.description}" if e.description else ""))


@vocab_app.command("add")
@user_errors
def vocab_add(
    project_path: ProjectArg,
    name: Annotated[str, typer.Argument(help="Name of the new vocabulary.")],
    description: Annotated[str, typer.Option(help="What it is for.")] = "",
    entries: Annotated[
        str | None, typer.Option(help="Values to add at once, comma separated.")
    ] = None,
) -> None:
    """Create a controlled vocabulary."""
    with open_project(project_path) as project:
        service = VocabularyService(project)
        cv = service.create(name, description)
        for value in (entries or "").split(","):
            if value.strip():
                service.add_entry(cv.id, value)
        cv = service.get(cv.id)
    typer.echo(f"Created vocabulary #{cv.id} '{cv.name}' with {len(cv.entries)} entries.")


@vocab_app.command("add-entry")
@user_errors
def vocab_add_entry(
    project_path: ProjectArg,
    vocabulary: CvArg,
    value: Annotated[str, typer.Argument(help="The value.")],
    description: Annotated[str, typer.Option(help="What the value means.")] = "",
) -> None:
    """Add a value at the end of a vocabulary."""
    with open_project(project_path) as project:
        service = VocabularyService(project)
        cv = service.find(vocabulary)
        entry = service.add_entry(cv.id, value, description)
    typer.echo(f"Added '{entry.value}' to '{cv.name}'.")


@vocab_app.command("remove-entry")
@user_errors
def vocab_remove_entry(project_path: ProjectArg, vocabulary: CvArg, value: str) -> None:
    """Remove a value from a vocabulary (annotations that hold it keep their text)."""
    with open_project(project_path) as project:
        service = VocabularyService(project)
        cv = service.find(vocabulary)
        entry = next((e for e in cv.entries if e.value == value.strip()), None)
        if entry is None:
            raise NotFoundError(f"'{value}' is not in the vocabulary '{cv.name}'.")
        service.remove_entry(entry.id)
    typer.echo(f"Removed '{value.strip()}' from '{cv.name}'.")


@vocab_app.command("delete")
@user_errors
def vocab_delete(project_path: ProjectArg, vocabulary: CvArg) -> None:
    """Delete a vocabulary; its tiers become free text (their annotations stay)."""
    with open_project(project_path) as project:
        service = VocabularyService(project)
        cv = service.find(vocabulary)
        service.delete(cv.id)
    typer.echo(f"Deleted vocabulary '{cv.name}'.")


@vocab_app.command("attach")
@user_errors
def vocab_attach(
    project_path: ProjectArg,
    tier: Annotated[str, typer.Argument(help="The tier's name.")],
    vocabulary: Annotated[
        str | None, typer.Argument(help="The vocabulary (omit with --detach).")
    ] = None,
    detach: Annotated[
        bool, typer.Option("--detach", help="Make the tier free text again.")
    ] = False,
) -> None:
    """Make a tier's annotations take their values from a vocabulary."""
    if (vocabulary is None) != detach:
        raise typer.BadParameter("Name a vocabulary, or give --detach alone.")
    with open_project(project_path) as project:
        service = VocabularyService(project)
        tier_id = _tier_id(project, tier)
        if detach:
            service.attach(tier_id, None)
            typer.echo(f"Tier '{tier}' is free text now.")
            return
        if vocabulary in ("status", "language"):
            service.ensure_builtins()
        cv = service.find(vocabulary or "")
        service.attach(tier_id, cv.id)
    typer.echo(f"Tier '{tier}' takes its values from '{cv.name}' ({len(cv.entries)} entries).")


@user_errors
def languages_cmd(
    project_path: ProjectArg,
    set_to: Annotated[
        str | None,
        typer.Option(
            "--set",
            help="New list: ISO 639 codes, comma separated (kk,ru,mixed,en); "
            "code=Name to name one.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show or set the project's language list (the choices for segment and tier
    languages and speakers' first languages)."""
    with open_project(project_path) as project:
        service = LanguageService(project)
        warnings = service.set(set_to) if set_to is not None else []
        langs = service.list()
        default = service.is_default()
    for line in warnings:
        typer.echo(f"Warning: {line}", err=True)
    if as_json:
        typer.echo(json.dumps([asdict(x) for x in langs], ensure_ascii=False, indent=2))
        return
    typer.echo("Languages" + (" (the default list)" if default else "") + ":")
    for x in langs:
        typer.echo(f"  {x.code:<6} {x.name}")
