"""``jazba finetune``, ``jazba evaluate`` and ``jazba review-queue``: the learning loop.

Fine-tuning runs PyTorch in a child process; Ctrl+C stops it (its whole
process tree) and keeps the run's checkpoints, so ``--resume latest``
continues where it stopped. Nothing is installed unless the run finished.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from desktop_app.asr.registry import ModelRegistry
from desktop_app.cli.common import CliProgress, fmt_time, open_project, user_errors
from desktop_app.core.errors import JazbaError
from desktop_app.core.learning.audit import audit
from desktop_app.core.learning.config import FinetuneConfig
from desktop_app.core.learning.dataset import build_splits
from desktop_app.core.learning.metrics import EvalReport, Scores
from desktop_app.core.project import Project
from desktop_app.modelbuild.protocol import LogMsg, Message, MetricsMsg
from desktop_app.services.active import rank_for_review
from desktop_app.services.learning_loop import (
    FinetuneRequest,
    evaluate_on_projects,
    finetune,
    list_runs,
)
from desktop_app.services.text_bootstrap import BootstrapOptions, TextBootstrap
from desktop_app.services.tts_choice import check_choice, parse_tts

ProjectsArg = Annotated[list[Path], typer.Argument(help="Project folders (NAME.jazba).")]


def _open_all(paths: list[Path]) -> list[Project]:
    return [Project.open(p) for p in paths]


def _close_all(projects: list[Project]) -> None:
    for p in projects:
        p.close()


def _scores_line(label: str, s: Scores) -> str:
    return (
        f"{label:<28} n={s.n:<4} WER {100 * s.wer:6.1f} %  CER {100 * s.cer:6.1f} %  "
        f"MER {100 * s.mer:6.1f} %  WIL {100 * s.wil:6.1f} %  len {s.length_ratio:4.2f}  "
        f"ins {s.insertions:<4} halluc {s.hallucinations}"
    )


def _print_report(label: str, report: EvalReport) -> None:
    typer.echo(_scores_line(label, report.overall))
    for key, groups in report.breakdown.items():
        if len(groups) > 1:
            for group, s in groups.items():
                typer.echo("  " + _scores_line(f"{key} {group}", s))


def _resume_dir(resume: str | None) -> Path | None:
    if resume is None:
        return None
    if resume == "latest":
        runs = list_runs()
        if not runs:
            raise JazbaError("There is no earlier fine-tuning run to resume.")
        return runs[-1]
    return Path(resume).expanduser()


@user_errors
def finetune_cmd(
    projects: ProjectsArg,
    model: Annotated[
        str | None, typer.Option(help="Model id to start from (default: active).")
    ] = None,
    method: Annotated[str, typer.Option(help="full or lora.")] = "full",
    freeze_encoder: Annotated[bool, typer.Option(help="Train the decoder only.")] = False,
    epochs: Annotated[float, typer.Option(help="Passes over the training data.")] = 5.0,
    max_steps: Annotated[int | None, typer.Option(help="Stop after this many updates.")] = None,
    batch_size: Annotated[int, typer.Option(help="Clips per update.")] = 8,
    lr: Annotated[float | None, typer.Option(help="Learning rate (default by method).")] = None,
    spec_augment: Annotated[bool, typer.Option(help="Mask time/frequency bands.")] = True,
    patience: Annotated[int, typer.Option(help="Evaluations without gain before stopping.")] = 3,
    select_by: Annotated[
        str,
        typer.Option(
            help="Keep the checkpoint with the best dev 'wer' or 'cer'; 'auto': CER when "
            "teaching from text (the dev set cannot hold its new words), else WER."
        ),
    ] = "auto",
    include_edited: Annotated[bool, typer.Option(help="Also train on edited segments.")] = False,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
    threads: Annotated[int | None, typer.Option(help="CPU threads for training.")] = None,
    precision: Annotated[
        str, typer.Option(help="auto (bf16 where the CPU/GPU has it), fp32, bf16 or fp16.")
    ] = "auto",
    name: Annotated[str | None, typer.Option(help="Name of the new version.")] = None,
    activate: Annotated[bool, typer.Option(help="Make the new version active.")] = False,
    resume: Annotated[
        str | None, typer.Option(help="Continue a stopped run: its folder, or 'latest'.")
    ] = None,
    audit_only: Annotated[bool, typer.Option(help="Show the data audit and stop.")] = False,
    from_text: Annotated[
        list[Path] | None,
        typer.Option(
            "--from-text",
            help="Teach words from text: a text file or word list (one word a line) read "
            "aloud by synthetic voices and mixed into training; repeat for more files.",
        ),
    ] = None,
    project_transcripts: Annotated[
        bool, typer.Option(help="With text: also read the projects' own transcripts aloud.")
    ] = False,
    synthetic_share: Annotated[
        float, typer.Option(help="Most of each epoch synthetic clips may make (with real speech).")
    ] = 0.7,
    voices_per_text: Annotated[
        int, typer.Option(help="Synthetic voices reading each sentence.")
    ] = 2,
    tts: Annotated[
        str,
        typer.Option(
            "--tts",
            help="Who reads the text: espeak, an installed voice id (e.g. mms-tts-kaz, from "
            "'jazba models install mms-tts-kaz'), auto (the neural voice when installed, else "
            "espeak), or several joined by commas (e.g. espeak,mms-tts-kaz).",
        ),
    ] = "espeak",
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Fine-tune the speech model on the projects' approved segments (and text, if given).

    With --from-text the model also learns words nobody has corrected yet:
    the text is normalised, listed words are put into Kazakh carrier phrases,
    espeak-ng voices (or, with --tts, a neural voice from the model catalog)
    read it all (with room, noise and tempo variation), and those clips join
    the training data. Every real clip is in every epoch, synthetic ones make
    at most --synthetic-share of it; only real held-out speech is ever scored.
    """
    config = FinetuneConfig(
        method=method,  # type: ignore[arg-type]
        freeze_encoder=freeze_encoder,
        epochs=epochs,
        max_steps=max_steps,
        batch_size=batch_size,
        learning_rate=lr,
        spec_augment=spec_augment,
        patience=patience,
        select_by=select_by,  # type: ignore[arg-type]
        device=device,
        threads=threads,
        precision=precision,  # type: ignore[arg-type]
        synthetic_share=synthetic_share,
    )
    text = None
    tts_names = parse_tts(tts)
    check_choice(tts_names)  # an unknown or damaged voice stops here, before any work
    if from_text or project_transcripts:
        text = TextBootstrap(
            files=tuple(str(f) for f in from_text or ()),
            project_transcripts=project_transcripts,
            options=BootstrapOptions(voices_per_text=voices_per_text, tts=tts_names),
        )
    opened = _open_all(projects)
    try:
        if audit_only:
            result = audit(build_splits(opened, include_edited))
            for line in result.summary_lines():
                typer.echo(line)
            for s in result.suspicious[:30]:
                typer.echo(f"  [{s.kind}] {s.key}: {s.text[:60]!r} ({s.detail})")
            return

        def show(msg: Message) -> None:
            if quiet:
                return
            if isinstance(msg, MetricsMsg) and "dev_wer" in msg.values:
                typer.echo(
                    f"\nstep {msg.step}: dev WER {100 * msg.values['dev_wer']:.1f} %, "
                    f"CER {100 * msg.values.get('dev_cer', 0):.1f} %",
                    err=True,
                )
            elif isinstance(msg, LogMsg):
                typer.echo(f"\n{msg.text}", err=True)

        request = FinetuneRequest(
            config=config,
            base_model_id=model,
            include_edited=include_edited,
            name=name,
            activate=activate,
            text=text,
        )
        try:
            out = finetune(
                opened,
                request,
                CliProgress("Fine-tuning", quiet).state(),
                on_message=show,
                resume=_resume_dir(resume),
            )
        except KeyboardInterrupt:
            typer.echo("\nStopped. Checkpoints were kept: continue with --resume latest.", err=True)
            raise typer.Exit(130) from None
    finally:
        _close_all(opened)
    if out.before is not None:
        _print_report(f"before ({out.parent.name})", out.before)
    if out.after is not None:
        _print_report(f"after ({out.manifest.name})", out.after)
    else:
        typer.echo("Not evaluated: no approved speech is held out for testing.")
    typer.echo(f"Installed {out.manifest.id} in {out.minutes:.1f} min (run: {out.run_dir})")
    typer.echo(
        "Active: "
        + (
            out.manifest.id
            if activate
            else f"unchanged; 'jazba models activate {out.manifest.id}' to use it"
        )
    )


@user_errors
def evaluate_cmd(
    projects: ProjectsArg,
    model: Annotated[str | None, typer.Option(help="Model id (default: active).")] = None,
    compare: Annotated[str | None, typer.Option(help="Also score this model id.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Score a model version on the projects' held-out test sets."""
    opened = _open_all(projects)
    registry = ModelRegistry()
    try:
        results = []
        for model_id in [model, compare] if compare else [model]:
            manifest, report = evaluate_on_projects(
                opened, model_id, CliProgress("Evaluating", quiet).state(), registry=registry
            )
            results.append((manifest, report))
    finally:
        _close_all(opened)
    if as_json:
        out = [{"model_id": m.id, "name": m.name, **r.to_dict()} for m, r in results]
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for manifest, report in results:
        _print_report(f"{manifest.name}", report)


@user_errors
def review_queue_cmd(
    project_path: Annotated[Path, typer.Argument(help="Project folder (NAME.jazba).")],
    limit: Annotated[int, typer.Option(help="How many segments to list.")] = 20,
) -> None:
    """List unapproved segments, most doubtful first (what to review next).

    Low ASR confidence comes first; once 'jazba units score' has run, audio
    unlike the rest of the project too. The number is the review priority
    (0-1, higher = sooner)."""
    with open_project(project_path) as project:
        items = rank_for_review(project, limit)
    if not items:
        typer.echo("Nothing to review: every segment with text is approved.")
        return
    for it in items:
        seg = it.segment
        weak = f" (weakest: {it.weakest_word})" if it.weakest_word else ""
        typer.echo(
            f"{it.priority:5.2f}  #{seg.id:<5} {it.recording_title[:20]:<20} "
            f"{fmt_time(seg.start_ms)}  {seg.text[:60]}{weak}"
        )
