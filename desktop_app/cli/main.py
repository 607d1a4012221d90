"""The ``jazba`` command."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Annotated

import typer

from desktop_app import __version__
from desktop_app.cli import interop, participants, project_care, vocab
from desktop_app.cli.batch import batch
from desktop_app.cli.common import CliProgress, fmt_time, open_project, user_errors
from desktop_app.cli.demo import demo_app
from desktop_app.cli.diarize import diarize, speakers_app
from desktop_app.cli.finetune import evaluate_cmd, finetune_cmd, review_queue_cmd
from desktop_app.cli.langtag import langtag
from desktop_app.cli.models import models_app
from desktop_app.cli.record import record
from desktop_app.cli.search import search
from desktop_app.cli.tiers import tiers_app
from desktop_app.cli.transcribe import transcribe
from desktop_app.cli.units import unitlm_app, units_app
from desktop_app.cli.words import words_cmd
from desktop_app.core.logging_setup import setup_logging
from desktop_app.core.project import Project
from desktop_app.core.services.job_log import JobLog
from desktop_app.core.services.recordings import RecordingMeta, RecordingService
from desktop_app.core.services.segments import SegmentService
from desktop_app.core.services.speakers import SpeakerService

app = typer.Typer(
    name="jazba",
    help="Jazba: record, transcribe and correct speech offline (Kazakh first).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
project_app = typer.Typer(
    help="Create, inspect, check, repair and copy projects.", no_args_is_help=True
)
app.add_typer(project_app, name="project")
app.add_typer(demo_app, name="demo")
app.add_typer(models_app, name="models")
app.add_typer(units_app, name="units")
app.add_typer(unitlm_app, name="unitlm")
app.add_typer(speakers_app, name="speakers")
speakers_app.command("list")(participants.speakers_list)
speakers_app.command("edit")(participants.speakers_edit)
app.add_typer(vocab.vocab_app, name="vocab")
app.add_typer(tiers_app, name="tiers")
app.command("transcribe")(transcribe)
app.command("diarize")(diarize)
app.command("export")(interop.export)
app.command("record")(record)
app.command("finetune")(finetune_cmd)
app.command("evaluate")(evaluate_cmd)
app.command("review-queue")(review_queue_cmd)
app.command("search")(search)
app.command("langtag")(langtag)
app.command("words")(words_cmd)
app.command("batch")(batch)

ProjectArg = Annotated[Path, typer.Argument(help="Project folder (NAME.jazba).")]


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    setup_logging()
    if version:
        typer.echo(f"jazba {__version__}")
        raise typer.Exit()
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit()


@project_app.command("new")
@user_errors
def project_new(
    path: Annotated[Path, typer.Argument(help="Where to create NAME.jazba.")],
    name: Annotated[str | None, typer.Option(help="Display name (default: folder name).")] = None,
) -> None:
    """Create an empty project folder."""
    with Project.create(path, name) as project:
        typer.echo(f"Created project '{project.name}' at {project.path}")


@project_app.command("info")
@user_errors
def project_info(
    project_path: ProjectArg,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Show a project's recordings, speakers and review progress."""
    with open_project(project_path) as project:
        recs = RecordingService(project).list()
        speakers = SpeakerService(project).list()
        if as_json:
            out = {
                "name": project.name,
                "path": str(project.path),
                "recordings": [
                    {"id": r.id, "title": r.title, "duration_ms": r.duration_ms, "counts": r.counts}
                    for r in recs
                ],
                "speakers": [sp.name for sp in speakers],
            }
            typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
            return
        total = sum(r.duration_ms for r in recs)
        typer.echo(f"Project '{project.name}' at {project.path}")
        typer.echo(
            f"{len(recs)} recording(s), {fmt_time(total)} of audio, {len(speakers)} speaker(s)"
        )
        for r in recs:
            c = r.counts
            typer.echo(
                f"  #{r.id:<3} {r.title:<30} {fmt_time(r.duration_ms):>12}  "
                f"auto {c.get('auto', 0)}, edited {c.get('edited', 0)}, "
                f"approved {c.get('approved', 0)}"
            )


project_app.command("check")(project_care.check)
project_app.command("repair")(project_care.repair)
project_app.command("backup")(project_care.backup)
project_app.command("license")(interop.license_cmd)
project_app.command("languages")(vocab.languages_cmd)


@app.command("import")
@user_errors
def import_audio(
    project_path: ProjectArg,
    files: Annotated[
        list[Path],
        typer.Argument(help="Audio/video files, and annotation files (.eaf .TextGrid .srt …)."),
    ],
    title: Annotated[str | None, typer.Option(help="Title (one file only).")] = None,
    date: Annotated[str | None, typer.Option(help="Recording date, e.g. 2026-07-14.")] = None,
    place: Annotated[str | None, typer.Option(help="Where it was recorded.")] = None,
    language: Annotated[str | None, typer.Option(help="Language tags, e.g. kk,ru.")] = None,
    consent: Annotated[str | None, typer.Option(help="How consent was given.")] = None,
    notes: Annotated[str | None, typer.Option(help="Free notes.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
    recording: interop.RecordingOpt = None,
    maps: interop.MapOpt = None,
    replace: interop.ReplaceOpt = False,
    per_line: interop.PerLineOpt = False,
) -> None:
    """Import audio files (wav, flac, ogg, mp3, m4a, opus, video…) into a project, and
    annotations (ELAN, Praat TextGrid, SRT/WebVTT, text, CSV/TSV/JSONL) for its recordings."""
    files, annotation_files = interop.split_files(files)
    if title and len(files) > 1:
        raise typer.BadParameter("--title can only be used with a single file.")
    meta = RecordingMeta(
        title=title, recorded_on=date, place=place, languages=language, consent=consent, notes=notes
    )
    names = [f.name for f in (*files, *annotation_files)]
    what = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    with open_project(project_path) as project, JobLog(project).track("import", {"what": what}):
        service = RecordingService(project)
        for f in files:
            info = service.import_file(f, meta, CliProgress(f.name, quiet).state())
            typer.echo(
                f"Imported #{info.id} '{info.title}': {fmt_time(info.duration_ms)}, "
                f"{info.sample_rate} Hz, {info.channels} ch"
            )
        interop.import_annotation_files(
            project,
            annotation_files,
            recording=recording,
            maps=maps,
            replace=replace,
            per_line=per_line,
            quiet=quiet,
        )


@app.command("segments")
@user_errors
def segments(
    project_path: ProjectArg,
    recording: Annotated[int, typer.Argument(help="Recording id (see 'project info').")],
) -> None:
    """Print a recording's segments with times, status and confidence."""
    with open_project(project_path) as project:
        for seg in SegmentService(project).list(recording):
            conf = f"{seg.confidence:.2f}" if seg.confidence is not None else "  - "
            typer.echo(
                f"{fmt_time(seg.start_ms)}–{fmt_time(seg.end_ms)} [{seg.status:<8}] {conf} "
                f"{seg.language or '':<5} {seg.text}"
            )


@app.command("gui")
def gui(
    project_path: Annotated[Path | None, typer.Argument(help="Project to open.")] = None,
) -> None:
    """Start the desktop application."""
    # Imported by name so the CLI module graph stays free of Qt (import-linter).
    gui_app = importlib.import_module("desktop_app.gui.app")
    raise typer.Exit(gui_app.run_gui(project_path))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
