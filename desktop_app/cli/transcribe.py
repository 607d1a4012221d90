"""``jazba transcribe``: fill a project with timed, scored draft segments."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from desktop_app.asr.presets import DEFAULT_PRESET, preset_names
from desktop_app.cli.common import fmt_time, open_project, user_errors
from desktop_app.core.errors import JazbaError
from desktop_app.core.jobs import JobState
from desktop_app.core.project import Project
from desktop_app.core.services.bias_words import (
    BiasWord,
    normalise,
    parse_word_file,
    split_word_option,
)
from desktop_app.core.services.dto import SegmentInfo
from desktop_app.core.services.model_pass import PassUpdate, retranscribe_plan
from desktop_app.core.services.recordings import RecordingService
from desktop_app.services.transcription import (
    PRECISIONS,
    TranscribeRequest,
    TranscribeResult,
    transcribe_recording,
)


def print_segment(seg: SegmentInfo) -> None:
    conf = f"{seg.confidence:.2f}" if seg.confidence is not None else "-"
    typer.echo(f"  {fmt_time(seg.start_ms)}–{fmt_time(seg.end_ms)} ({conf}) {seg.text}")


class _Follower:
    """Prints a pass's new segments as they are committed; remembers how far it got."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.done_ms = 0

    def __call__(self, update: PassUpdate) -> None:
        self.done_ms = update.done_ms
        if not self.quiet:
            for seg in update.added:
                print_segment(seg)


def transcribe_project(
    project: Project,
    recording_ids: list[int] | None,
    template: TranscribeRequest,
    quiet: bool = False,
) -> list[TranscribeResult]:
    """Transcribe the given recordings (default: all), printing segments as they come."""
    results = []
    recordings = RecordingService(project).list()
    chosen = [r for r in recordings if not recording_ids or r.id in recording_ids]
    missing = set(recording_ids or ()) - {r.id for r in chosen}
    if missing:
        raise typer.BadParameter(f"No recording with id {', '.join(map(str, sorted(missing)))}.")
    for r in chosen:
        typer.echo(f"#{r.id} {r.title} ({fmt_time(r.duration_ms)})")
        request = TranscribeRequest(**{**template.__dict__, "recording_id": r.id})
        plan = retranscribe_plan(project, r.id, request.tier_id)
        if plan.human:
            typer.echo(
                f"  keeping {plan.human} segment(s) a person edited or approved; "
                f"{plan.auto} draft segment(s) are replaced as the new pass reaches them"
            )
        follower = _Follower(quiet)
        try:
            result = transcribe_recording(
                project,
                request,
                JobState(),  # segments are printed as they come; Ctrl+C stops between them
                on_update=follower,
            )
        except KeyboardInterrupt:
            typer.echo(
                f"  stopped: redone up to {fmt_time(follower.done_ms)}; the earlier draft "
                "after that point is kept",
                err=True,
            )
            raise
        if result.device_warning:
            typer.echo(f"  note: {result.device_warning}", err=True)
        typer.echo(
            f"  {result.added} segment(s), {result.replaced} replaced, "
            f"{result.skipped + result.kept} kept as a person edited them; "
            f"{result.wall_seconds:.1f} s on {result.device}, {result.precision} "
            f"(RTF {result.rtf:.2f})"
        )
        results.append(result)
    return results


@user_errors
def transcribe(
    project_path: Annotated[Path, typer.Argument(help="Project folder (NAME.jazba).")],
    recordings: Annotated[
        list[int] | None, typer.Argument(help="Recording ids (default: all).")
    ] = None,
    model: Annotated[str | None, typer.Option(help="Model version id (default: active).")] = None,
    preset: Annotated[
        str, typer.Option(help=f"Decoding preset: {', '.join(preset_names())}.")
    ] = DEFAULT_PRESET,
    language: Annotated[str, typer.Option(help="Language code, or 'auto' to detect.")] = "kk",
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
    threads: Annotated[int | None, typer.Option(help="CPU threads (default: all cores).")] = None,
    vad: Annotated[bool, typer.Option(help="Cut at pauses with voice activity detection.")] = True,
    precision: Annotated[
        str,
        typer.Option(
            help="fp32, int8 (about twice as fast on the CPU, same accuracy in our tests) "
            "or auto (int8 on the CPU when the model has it)."
        ),
    ] = "auto",
    bias_words: Annotated[
        str | None,
        typer.Option(
            "--bias-words",
            help="Comma-separated names/terms to lean towards, instead of the project's "
            "word list ('jazba words').",
        ),
    ] = None,
    bias_file: Annotated[
        Path | None,
        typer.Option(
            "--bias-file", help="A word file (one per line, optional ';weight') to lean towards."
        ),
    ] = None,
    no_bias: Annotated[
        bool, typer.Option("--no-bias", help="Use no word list, not even the project's.")
    ] = False,
    bias_prompt: Annotated[
        bool | None,
        typer.Option(
            "--bias-prompt/--no-bias-prompt",
            help="Also give Whisper the words as its prompt (finds more of them, but made "
            "other words worse in our tests); default: the project's setting.",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Transcribe recordings with the local model; edited/approved segments are kept.

    The project's word list ('jazba words') is used unless --bias-words,
    --bias-file or --no-bias say otherwise."""
    check_decoding_choices(preset, precision)
    template = TranscribeRequest(
        recording_id=0,
        model_id=model,
        preset=preset,
        language=None if language == "auto" else language,
        device=device,
        threads=threads,
        vad=vad,
        precision=precision,
        bias_words=bias_override(bias_words, bias_file, no_bias),
        use_bias=not no_bias,
        bias_prompt=bias_prompt,
    )
    if not quiet and model is None:
        hint = kazakh_model_hint(language)
        if hint:
            typer.echo(hint, err=True)
    with open_project(project_path) as project:
        transcribe_project(project, recordings, template, quiet)


def bias_override(
    words: str | None, file: Path | None, no_bias: bool
) -> tuple[tuple[str, float], ...] | None:
    """The word list given on the command line; ``None``: use the project's."""
    if no_bias and (words or file):
        raise typer.BadParameter("--no-bias cannot be combined with --bias-words or --bias-file.")
    if no_bias or (words is None and file is None):
        return None
    given: list[BiasWord] = split_word_option(words or "")
    if file is not None:
        given += parse_word_file(file)
    return tuple((b.word, b.weight) for b in normalise(given))


def kazakh_model_hint(language: str) -> str | None:
    """A line saying a Kazakh model exists, when the active one is the untuned default."""
    from desktop_app.asr.catalog import choose_for
    from desktop_app.asr.manifest import ModelSource
    from desktop_app.asr.registry import ModelRegistry

    if language != "kk":
        return None
    registry = ModelRegistry()
    try:
        active = registry.active()
    except JazbaError:
        return None
    entry = choose_for("kk")
    if active is None or active.source != ModelSource.PYPI_DEFAULT or entry is None:
        return None
    if entry.id in registry.installed_catalog():
        return (
            f"Note: '{entry.name}' is installed but not active; "
            "'jazba models activate ID' makes it the one used."
        )
    return (
        f"Note: the default Whisper base drafts Kazakh poorly. '{entry.name}' "
        f"({entry.size_text()}, {entry.reported_text()}) is in the catalog: "
        f"jazba models install {entry.id}"
    )


def check_decoding_choices(preset: str, precision: str) -> None:
    """Refuse an unknown decoding preset or precision (``transcribe`` and ``batch``)."""
    if preset not in preset_names():
        raise typer.BadParameter(f"Unknown preset '{preset}' (use {', '.join(preset_names())}).")
    if precision not in PRECISIONS:
        raise typer.BadParameter(f"Unknown precision '{precision}' (use {', '.join(PRECISIONS)}).")
