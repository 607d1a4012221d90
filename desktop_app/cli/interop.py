"""``jazba export`` and the annotation side of ``jazba import``.

``jazba import PROJECT FILES…`` takes audio and annotation files together:
audio is imported first, then each ``.eaf``/``.TextGrid``/``.srt``/``.vtt``/
``.txt``/``.csv``/``.tsv``/``.jsonl`` file is imported as annotations of the
recording it links (or is named after), or of ``--recording ID``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from desktop_app.cli.common import CliProgress, open_project, user_errors
from desktop_app.core.errors import InteropError
from desktop_app.core.interop.dataset_stats import (
    NO_LICENSE,
    project_license,
    set_project_license,
)
from desktop_app.core.interop.exporter import ExportOptions, export_project
from desktop_app.core.interop.formats import EXPORT_FORMATS, is_annotation_file
from desktop_app.core.interop.importer import ImportOptions, import_file
from desktop_app.core.interop.select import ExportFilter
from desktop_app.core.interop.splits import SplitSpec
from desktop_app.core.interop.webdataset_export import parse_size
from desktop_app.core.project import Project

RecordingOpt = Annotated[
    int | None,
    typer.Option(
        "--recording",
        help="Annotation files: the recording id they annotate (default: matched by media name).",
    ),
]
MapOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        help="Annotation files: SOURCE_TIER=TIER[@SPEAKER] puts a file tier on a project tier "
        "and speaker; SOURCE_TIER=- skips it. Repeatable.",
    ),
]
ReplaceOpt = Annotated[
    bool,
    typer.Option(
        "--replace", help="Annotation files: replace the recording's segments on those tiers."
    ),
]
PerLineOpt = Annotated[
    bool,
    typer.Option(
        "--per-line",
        help="Plain text without times: one segment per line (times guessed, marked auto) "
        "instead of one segment for the whole recording.",
    ),
]


def split_files(files: list[Path]) -> tuple[list[Path], list[Path]]:
    """``(audio files, annotation files)`` by suffix."""
    notes = [f for f in files if is_annotation_file(f.name)]
    return [f for f in files if f not in notes], notes


def parse_maps(maps: list[str] | None) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for spec in maps or []:
        source, eq, target = spec.partition("=")
        if not eq or not source.strip():
            raise typer.BadParameter(f"--map '{spec}': use SOURCE_TIER=TIER[@SPEAKER] or SOURCE=-.")
        out[source.strip()] = None if target.strip() == "-" else target.strip()
    return out


def import_annotation_files(
    project: Project,
    files: list[Path],
    *,
    recording: int | None = None,
    maps: list[str] | None = None,
    replace: bool = False,
    per_line: bool = False,
    quiet: bool = False,
) -> None:
    """Import each annotation file; each is one transaction and one undo step."""
    overrides = parse_maps(maps)
    options = ImportOptions(replace=replace, per_line=per_line)
    for f in files:
        result = import_file(
            project, f, recording, overrides, options, CliProgress(f.name, quiet).state()
        )
        typer.echo(result.summary())
        for warning in result.warnings:
            typer.echo(f"  warning: {warning}", err=True)


def _split_spec(text: str | None, seed: int) -> SplitSpec | None:
    if not text:
        return None
    try:
        parts = [float(x) for x in text.split(",")]
    except ValueError as exc:
        raise typer.BadParameter(f"--split '{text}': use three numbers, e.g. 0.8,0.1,0.1.") from exc
    if len(parts) != 3:
        raise typer.BadParameter(f"--split '{text}': use three numbers, e.g. 0.8,0.1,0.1.")
    return SplitSpec(*parts, seed=seed)


def _set(values: list[str] | None) -> frozenset[str] | None:
    return frozenset(values) if values else None


@user_errors
def export(
    project_path: Annotated[Path, typer.Argument(help="Project folder (NAME.jazba).")],
    dest: Annotated[Path, typer.Argument(help="Folder to write the export into.")],
    fmt: Annotated[
        str,
        typer.Option(
            "--format", "-f", help=f"One of: {', '.join(EXPORT_FORMATS)}.", show_default=True
        ),
    ] = "eaf",
    audio: Annotated[
        str,
        typer.Option(
            help="none: point at the project's audio; recordings: copy each recording "
            "(16 kHz WAV for datasets); clips: a 16 kHz WAV per segment (datasets only)."
        ),
    ] = "none",
    approved: Annotated[bool, typer.Option("--approved", help="Only approved segments.")] = False,
    include_edited: Annotated[
        bool,
        typer.Option(
            "--include-edited",
            help="Datasets: add edited segments (corrected, not yet approved). "
            "By default a dataset holds only approved segments of transcription tiers.",
        ),
    ] = False,
    include_drafts: Annotated[
        bool,
        typer.Option(
            "--include-drafts",
            help="Datasets: add every status, model drafts (auto) included.",
        ),
    ] = False,
    status: Annotated[
        list[str] | None, typer.Option(help="Only these statuses (overrides the defaults).")
    ] = None,
    speaker: Annotated[list[str] | None, typer.Option(help="Only these speakers.")] = None,
    tier: Annotated[
        list[str] | None,
        typer.Option(help="Only these tiers (datasets: any kind, not only transcriptions)."),
    ] = None,
    language: Annotated[list[str] | None, typer.Option(help="Only these languages.")] = None,
    recording: Annotated[list[int] | None, typer.Option(help="Only these recording ids.")] = None,
    split: Annotated[
        str | None,
        typer.Option(help="Speaker-disjoint train,dev,test shares, e.g. 0.8,0.1,0.1."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for the split.")] = 0,
    shard_size: Annotated[
        str,
        typer.Option(help="WebDataset: close a tar shard past this size (e.g. 500MB, 2GB)."),
    ] = "500MB",
    normalize: Annotated[
        bool, typer.Option("--normalize", help="Datasets: train on normalised text.")
    ] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace files already in DEST.")
    ] = False,
    units: Annotated[
        bool,
        typer.Option(
            "--units/--no-units",
            help="Datasets: add each segment's speech-unit sequence when a unit model "
            "is installed (see jazba units fit).",
        ),
    ] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """Export annotations (ELAN, Praat, subtitles) or a training dataset (JSONL, Hugging Face,
    Kaldi, Lhotse, WebDataset; CSV/TSV with audio or splits).

    A dataset holds by default only what a person checked: approved segments on
    transcription tiers. What it leaves out is printed and written in stats.json."""
    if approved and status and set(status) != {"approved"}:
        raise InteropError("--approved and --status disagree; use one of them.")
    flt = ExportFilter(
        recordings=frozenset(recording) if recording else None,
        statuses=frozenset({"approved"}) if approved else _set(status),
        speakers=_set(speaker),
        tiers=_set(tier),
        languages=_set(language),
        include_edited=include_edited,
        include_drafts=include_drafts,
    )
    options = ExportOptions(
        format=fmt.lower(),
        filter=flt,
        audio=audio,
        splits=_split_spec(split, seed),
        normalize=normalize,
        overwrite=overwrite,
        shard_bytes=parse_size(shard_size),
    )
    with open_project(project_path) as project:
        provider = None
        fmt_info = EXPORT_FORMATS.get(options.format)
        if units and fmt_info is not None and not fmt_info.per_recording:
            from desktop_app.services.unit_scoring import unit_provider

            provider = unit_provider(project)
        result = export_project(
            project, dest, options, CliProgress("export", quiet).state(), units=provider
        )
    typer.echo(result.summary())
    for warning in result.warnings:
        typer.echo(f"  warning: {warning}", err=True)


@user_errors
def license_cmd(
    project_path: Annotated[Path, typer.Argument(help="Project folder (NAME.jazba).")],
    license_id: Annotated[
        str | None,
        typer.Argument(
            help="A license id for the project's exported datasets, e.g. cc-by-4.0 "
            "(as the Hugging Face Hub names them); '' to unset. Omit to show it."
        ),
    ] = None,
) -> None:
    """Show or set the license that dataset exports write into their card."""
    with open_project(project_path) as project:
        if license_id is not None:
            set_project_license(project, license_id)
        current = project_license(project)
    if current == NO_LICENSE:
        typer.echo(f"License: {NO_LICENSE} (not set; dataset cards say so)")
    else:
        typer.echo(f"License: {current}")
