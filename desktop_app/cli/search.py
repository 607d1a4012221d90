"""``jazba search``: a concordance (keyword in context) over one or more projects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from desktop_app.cli.common import fmt_time, open_project, user_errors
from desktop_app.core.project import Project
from desktop_app.core.services.concordance import (
    DEFAULT_CONTEXT,
    ConcordanceHit,
    Mode,
    concordance,
    hit_dict,
    write_csv,
)
from desktop_app.core.services.speakers import TierService


def _tier_id(project: Project, name: str | None) -> int | None:
    if name is None:
        return None
    tiers = TierService(project).list()
    for t in tiers:
        if t.name == name or t.name.casefold() == name.casefold():
            return t.id
    known = ", ".join(t.name for t in tiers)
    raise typer.BadParameter(f"No tier '{name}' in {project.path.name} (tiers: {known}).")


def kwic_lines(hits: list[ConcordanceHit], *, with_project: bool) -> list[str]:
    """Aligned lines: where, then the left context right-aligned, [match], right."""
    if not hits:
        return []
    wheres = []
    for h in hits:
        who = f" {h.speaker_name}" if h.speaker_name else ""
        proj = f"{h.project}: " if with_project else ""
        wheres.append(f"{proj}{h.recording_title} {fmt_time(h.start_ms)} {h.tier_name}{who}")
    width = max(map(len, wheres))
    left = max(len(h.left) for h in hits)
    return [
        f"{w:<{width}}  {h.left:>{left}}[{h.match}]{h.right}"
        for w, h in zip(wheres, hits, strict=True)
    ]


@user_errors
def search(
    args: Annotated[
        list[str],
        typer.Argument(
            help="One or more project folders, then the pattern: PROJECT [PROJECT…] PATTERN.",
            metavar="PROJECT... PATTERN",
        ),
    ],
    regex: Annotated[
        bool, typer.Option("--regex", help="The pattern is a regular expression.")
    ] = False,
    word: Annotated[
        bool, typer.Option("--word", help="Whole words only (default: the last may be a prefix).")
    ] = False,
    tier: Annotated[str | None, typer.Option(help="Only this tier (by name).")] = None,
    recording: Annotated[int | None, typer.Option(help="Only this recording id.")] = None,
    case_sensitive: Annotated[
        bool, typer.Option("--case-sensitive", help="Tell capitals from small letters.")
    ] = False,
    csv_out: Annotated[
        Path | None, typer.Option("--csv", help="Also write every hit to this CSV file.")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many hits (per project).")] = 50,
    context: Annotated[
        int, typer.Option(help="Characters of context each side.")
    ] = DEFAULT_CONTEXT,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Concordance: every occurrence of a word, prefix or regex in context, with the
    recording, time, tier and speaker, over all recordings of one or more projects."""
    if len(args) < 2:
        raise typer.BadParameter("Give at least one project and a pattern.")
    if regex and word:
        raise typer.BadParameter("Use --regex or --word, not both.")
    *paths, pattern = args
    mode: Mode = "regex" if regex else "word" if word else "prefix"
    hits: list[ConcordanceHit] = []
    for path in paths:
        with open_project(Path(path)) as project:
            hits += concordance(
                project,
                pattern,
                mode=mode,
                tier_id=_tier_id(project, tier),
                recording_id=recording,
                case_sensitive=case_sensitive,
                limit=limit,
                context=context,
            )
    if csv_out is not None:
        n = write_csv(hits, csv_out)
        typer.echo(f"Wrote {n} hit(s) to {csv_out}", err=True)
    if as_json:
        typer.echo(json.dumps([hit_dict(h) for h in hits], ensure_ascii=False, indent=2))
        return
    if not hits:
        typer.echo("No matches.")
        raise typer.Exit(1)
    for line in kwic_lines(hits, with_project=len(paths) > 1):
        typer.echo(line)
