"""``jazba tiers``: list a project's tiers as a tree, add tiers and child tiers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from desktop_app.cli.common import open_project, user_errors
from desktop_app.core.services.tiers import TierService
from desktop_app.core.store.schema import TIER_CONSTRAINTS

tiers_app = typer.Typer(help="Annotation tiers and their hierarchy (ELAN-style child tiers).")
tiers_app.info.no_args_is_help = True

ProjectArg = Annotated[Path, typer.Argument(help="Project folder (NAME.jazba).")]


@tiers_app.command("list")
@user_errors
def list_tiers(project_path: ProjectArg) -> None:
    """Every tier as a tree: kind, constraint under its parent, and annotations."""
    with open_project(project_path, read_only=True) as project:
        svc = TierService(project)
        counts = svc.counts()
        for depth, tier in svc.tree():
            how = f", {tier.constraint}" if tier.constraint else ""
            lang = f", {tier.language}" if tier.language else ""
            n = counts.get(tier.id, 0)
            typer.echo(
                f"{'  ' * depth}{tier.name} ({tier.kind}{how}{lang}): {n} annotation(s)  #{tier.id}"
            )


@tiers_app.command("add")
@user_errors
def add_tier(
    project_path: ProjectArg,
    name: Annotated[str, typer.Argument(help="The new tier's name.")],
    parent: Annotated[
        str | None, typer.Option("--parent", help="Hang it under this tier (by name).")
    ] = None,
    constraint: Annotated[
        str,
        typer.Option(
            "--constraint",
            help=f"How a child follows its parent: {', '.join(TIER_CONSTRAINTS)}.",
        ),
    ] = "symbolic_association",
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            help="transcription, translation, words, gloss, comment, reference or other "
            "(default: translation under a parent, else transcription).",
        ),
    ] = None,
    language: Annotated[str | None, typer.Option("--language", help="ISO 639 code.")] = None,
) -> None:
    """Add a tier; with --parent a child tier (a symbolic association starts with an
    empty annotation under every parent segment, undoable as one step)."""
    with open_project(project_path) as project:
        svc = TierService(project)
        if parent is None:
            tier = svc.create(name, kind or "transcription", language)
            typer.echo(f"Added tier '{tier.name}' ({tier.kind}) #{tier.id}.")
            return
        up = svc.by_name(parent)
        tier = svc.create_child(
            up.id, name, kind=kind or "translation", constraint=constraint, language=language
        )
        made = svc.counts().get(tier.id, 0)
        typer.echo(
            f"Added tier '{tier.name}' ({tier.kind}, {tier.constraint}) under '{up.name}' "
            f"#{tier.id}: {made} annotation(s) to fill in."
        )
