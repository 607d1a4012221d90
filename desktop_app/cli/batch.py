"""``jazba batch``: transcribe (or score, or diarize) a whole archive into a run folder,
locally or on Ray."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from desktop_app.asr.presets import DEFAULT_PRESET, preset_names
from desktop_app.cli.common import open_project, user_errors
from desktop_app.cli.transcribe import check_decoding_choices
from desktop_app.services.batch import (
    BatchOptions,
    BatchProgress,
    import_diarization,
    import_run,
    run_batch,
)
from desktop_app.services.batch.run import ENGINES
from desktop_app.services.batch.work import TASKS
from desktop_app.services.pieces import PIECE_S


def _hms(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}"


class BatchBar:
    """A progress bar on a terminal (files, audio hours, time left); lines otherwise."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.bar = None
        self.task = None
        self.notes: set[str] = set()
        self.failed = 0

    def __enter__(self) -> BatchBar:
        if not self.quiet and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn

            self.bar = Progress(
                TextColumn("[bold]batch"),
                BarColumn(),
                TextColumn("{task.fields[files]}"),
                TextColumn("{task.fields[hours]}"),
                TextColumn("left {task.fields[eta]}"),
                console=Console(stderr=True),
            )
            self.bar.__enter__()
            self.task = self.bar.add_task("batch", total=1.0, files="", hours="", eta="?")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)

    def __call__(self, p: BatchProgress) -> None:
        for note in p.notes:
            if note not in self.notes:
                self.notes.add(note)
                typer.echo(f"note: {note}", err=True)
        if self.quiet:
            return
        files = f"{p.files_finished}/{p.files_total} files" + (
            f" ({p.files_failed} failed)" if p.files_failed else ""
        )
        hours = f"{p.audio_s_done / 3600:.2f}/{p.audio_s_total / 3600:.2f} h"
        if self.bar is not None and self.task is not None:
            share = p.files_finished / p.files_total if p.files_total else 1.0
            if p.audio_s_total and p.files_finished < p.files_total:
                share = min(1.0, p.audio_s_done / p.audio_s_total)
            self.bar.update(self.task, completed=share, files=files, hours=hours, eta=_hms(p.eta_s))
        elif p.last or p.files_failed > self.failed:
            typer.echo(f"{files}, {hours}, left {_hms(p.eta_s)}: {p.last}", err=True)
        self.failed = p.files_failed


@user_errors
def batch(
    source: Annotated[
        Path,
        typer.Argument(help="A folder of audio (searched recursively), a list file, or a project."),
    ],
    out: Annotated[Path, typer.Argument(help="Run folder: run.json and segments/*.jsonl.")],
    task: Annotated[
        str,
        typer.Option(
            help="transcribe (segments), units (unit-LM perplexity of the speech) "
            "or diarize (speaker turns, also as RTTM)."
        ),
    ] = "transcribe",
    chunk_seconds: Annotated[
        float,
        typer.Option(
            help="Files longer than twice this are cut at pauses into pieces of about "
            "this length, spread across the workers (0: never)."
        ),
    ] = PIECE_S,
    engine: Annotated[str, typer.Option(help="local (processes here) or ray.")] = "local",
    workers: Annotated[int, typer.Option(help="Worker processes or Ray actors.")] = 2,
    address: Annotated[
        str | None,
        typer.Option(help="Ray cluster: 'auto' on a node, or ray://HOST:10001 (default: local)."),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the run in OUT; done files are kept.")
    ] = False,
    model: Annotated[
        str | None,
        typer.Option(help="Model version id (default: active; units: the unit LM's id)."),
    ] = None,
    language: Annotated[str, typer.Option(help="Language code, or 'auto' to detect.")] = "kk",
    preset: Annotated[
        str, typer.Option(help=f"Decoding preset: {', '.join(preset_names())}.")
    ] = DEFAULT_PRESET,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
    threads: Annotated[
        int | None, typer.Option(help="CPU threads per worker (default: cores / workers).")
    ] = None,
    vad: Annotated[bool, typer.Option(help="Cut at pauses with voice activity detection.")] = True,
    precision: Annotated[str, typer.Option(help="fp32, int8 or auto.")] = "auto",
    import_into: Annotated[
        Path | None,
        typer.Option(
            help="Also write the results into this project: transcripts as drafts, speaker "
            "turns onto its segments (never over a person's work)."
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Transcribe, score or diarize an archive with a pool of model workers; resumable,
    failures listed."""
    if task not in TASKS:
        raise typer.BadParameter(f"Unknown task '{task}' (use {', '.join(TASKS)}).")
    if import_into is not None and task == "units":
        raise typer.BadParameter("--import-into takes transcripts or speaker turns, not units.")
    if chunk_seconds < 0:
        raise typer.BadParameter("--chunk-seconds must be 0 or more.")
    if engine not in ENGINES:
        raise typer.BadParameter(f"Unknown engine '{engine}' (use {' or '.join(ENGINES)}).")
    check_decoding_choices(preset, precision)
    if workers < 1:
        raise typer.BadParameter("--workers must be at least 1.")
    options = BatchOptions(
        model_id=model,
        preset=preset,
        language=None if language == "auto" else language,
        device=device,
        threads=threads,
        vad=vad,
        precision=precision,
        engine=engine,
        workers=workers,
        address=address,
        resume=resume,
        task=task,
        chunk_seconds=chunk_seconds,
    )
    try:
        with BatchBar(quiet) as bar:
            manifest = run_batch(source, out, options, on_progress=bar)
    except KeyboardInterrupt:
        typer.echo(
            f"\nStopped. The files finished so far are kept in {out}; "
            "run the same command with --resume to continue.",
            err=True,
        )
        raise typer.Exit(130) from None
    counts = manifest.counts()
    p = manifest.progress
    typer.echo(
        f"{counts['done']} file(s) done, {counts['failed']} failed, {counts['pending']} left; "
        f"{p.get('hours_done', 0):.3f} h of audio in {p.get('elapsed_s', 0):.0f} s "
        f"({p.get('files_skipped', 0)} done before). Manifest: {out / 'run.json'}"
    )
    for entry in manifest.files.values():
        if entry.status == "failed":
            typer.echo(f"  failed: {entry.path}: {entry.reason}", err=True)
    if import_into is not None and task == "diarize":
        with open_project(import_into) as project:
            turns = import_diarization(project, out, manifest)
        typer.echo(
            f"Imported into {import_into}: {turns.recordings} recording(s) "
            f"({turns.imported_audio} new audio), {turns.labelled} segment(s) labelled, "
            f"{turns.created} created, {turns.kept} kept as a person set them"
        )
        for path, reason in turns.failed:
            typer.echo(f"  not imported: {path}: {reason}", err=True)
    elif import_into is not None:
        with open_project(import_into) as project:
            summary = import_run(project, out, manifest)
        typer.echo(
            f"Imported into {import_into}: {summary.recordings} recording(s) "
            f"({summary.imported_audio} new audio), {summary.added} draft segment(s), "
            f"{summary.skipped} left out where a person had edited"
        )
        for path, reason in summary.failed:
            typer.echo(f"  not imported: {path}: {reason}", err=True)
    if counts["failed"]:
        raise typer.Exit(2)
