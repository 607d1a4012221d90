"""``jazba units fit|extract|list`` and ``jazba unitlm train|score``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from desktop_app.cli.common import CliProgress, fmt_time, open_project, user_errors
from desktop_app.services.unit_lm import (
    FitOptions,
    TrainOptions,
    ensure_units,
    fit_units,
    train_unit_lm,
)
from desktop_app.services.unit_scoring import (
    FLAG_TEXT,
    ScoreRequest,
    review_queue,
    score_project,
)
from desktop_app.units.registry import LMShape, UnitRegistry

units_app = typer.Typer(help="Discrete speech units learned from a project's audio.")
unitlm_app = typer.Typer(help="The speech-unit language model (perplexity for review triage).")
units_app.info.no_args_is_help = True
unitlm_app.info.no_args_is_help = True

ProjectArg = Annotated[Path, typer.Argument(help="Project folder (NAME.jazba).")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")]


def _metrics(values: dict[str, float], keys: tuple[str, ...]) -> str:
    return ", ".join(f"{k} {values[k]:.4g}" for k in keys if k in values)


@units_app.command("fit")
@user_errors
def fit(
    project_path: ProjectArg,
    k: Annotated[int, typer.Option("--k", help="Number of units: 50, 100, 200 or 500.")] = 100,
    features: Annotated[
        str,
        typer.Option(help="'whisper' (offline default) or a local wav2vec2/HuBERT/XLS-R folder."),
    ] = "whisper",
    layer: Annotated[
        int | None, typer.Option(help="Encoder layer (default: the middle one).")
    ] = None,
    collapse: Annotated[bool, typer.Option(help="Merge repeated units.")] = True,
    name: Annotated[str | None, typer.Option(help="Name of the new unit version.")] = None,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
    quiet: Quiet = False,
) -> None:
    """Learn K speech units (k-means) from all audio of a project."""
    options = FitOptions(
        k=k, collapse=collapse, features=features, layer=layer, name=name, device=device
    )
    with open_project(project_path) as project:
        v = fit_units(project, options, CliProgress("Units", quiet).state())
    typer.echo(f"Created unit version {v.id}: {v.config.features.describe()}, K={v.config.k}")
    typer.echo(
        "  " + _metrics(v.manifest.metrics, ("frames_fitted", "units_used", "extract_x_real_time"))
    )


@units_app.command("extract")
@user_errors
def extract(
    project_path: ProjectArg,
    version: Annotated[str | None, typer.Option(help="Unit version (default: newest).")] = None,
    device: Annotated[str, typer.Option(help="cpu, cuda or auto.")] = "cpu",
    as_json: Annotated[bool, typer.Option("--json", help="Print every segment's units.")] = False,
    quiet: Quiet = False,
) -> None:
    """Extract (and cache) the units of every recording; optionally print them per segment."""
    from desktop_app.core.services.segments import SegmentService
    from desktop_app.services.unit_scoring import segment_units

    registry = UnitRegistry()
    v = registry.resolve(version, need_lm=False)
    with open_project(project_path) as project:
        t0 = time.perf_counter()
        files = ensure_units(project, v, CliProgress("Units", quiet).state(), device=device)
        wall = time.perf_counter() - t0
        if as_json:
            out = []
            for rec_id in files:
                for seg in SegmentService(project).list(rec_id):
                    units = segment_units(project, seg, version=v)
                    out.append({"segment_id": seg.id, "recording_id": rec_id, "units": units})
            typer.echo(json.dumps(out))
            return
    typer.echo(f"Units of {len(files)} recording(s) are ready ({wall:.1f} s, version {v.id}).")


@units_app.command("list")
@user_errors
def list_versions() -> None:
    """List unit versions; * marks the unit LM used for scoring."""
    registry = UnitRegistry()
    active = registry.active()
    versions = registry.versions()
    if not versions:
        typer.echo("No unit models yet. Run 'jazba units fit PROJECT'.")
    for v in versions:
        mark = "*" if active is not None and v.id == active.id else " "
        kind = "LM" if v.has_lm else "units"
        keys = ("heldout_ppl", "unigram_ppl", "uniform_ppl", "extract_x_real_time")
        typer.echo(
            f"{mark} {v.id:<48} {kind:<5} K={v.config.k:<4} {_metrics(v.manifest.metrics, keys)}"
        )


@unitlm_app.command("train")
@user_errors
def train(
    project_path: ProjectArg,
    units: Annotated[str | None, typer.Option(help="Unit version (default: newest).")] = None,
    steps: Annotated[
        int | None, typer.Option(help="Training steps (default: ~15 passes over the data).")
    ] = None,
    context: Annotated[int, typer.Option(help="Context length in units.")] = 256,
    layers: Annotated[int, typer.Option(help="Transformer layers.")] = 4,
    d_model: Annotated[int, typer.Option(help="Model width.")] = 192,
    heads: Annotated[int, typer.Option(help="Attention heads.")] = 4,
    batch_size: Annotated[int, typer.Option(help="Sequences per step.")] = 16,
    lr: Annotated[float, typer.Option(help="Peak learning rate.")] = 2e-3,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda (PyTorch).")] = "auto",
    name: Annotated[str | None, typer.Option(help="Name of the new version.")] = None,
    quiet: Quiet = False,
) -> None:
    """Train the unit LM on the units of all project audio, export it to ONNX."""
    shape = LMShape(context=context, n_layer=layers, n_head=heads, d_model=d_model)
    options = TrainOptions(
        units_version=units,
        lm=shape,
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        device=device,
        name=name,
    )

    def show(step: int, values: dict[str, float]) -> None:
        if not quiet and "heldout_nll" in values:
            typer.echo(
                f"  step {step}: loss {values['loss']:.3f}, held-out NLL "
                f"{values['heldout_nll']:.3f}",
                err=True,
            )

    with open_project(project_path) as project:
        v = train_unit_lm(project, options, CliProgress("Unit LM", quiet).state(), on_metrics=show)
    m = v.manifest.metrics
    typer.echo(f"Trained unit LM {v.id} (now active)")
    typer.echo(
        f"  held-out NLL {m['heldout_nll']:.3f} nats/unit, perplexity {m['heldout_ppl']:.1f}; "
        f"unigram {m['unigram_ppl']:.1f}; uniform {m['uniform_ppl']:.0f}"
    )


@unitlm_app.command("score")
@user_errors
def score(
    project_path: ProjectArg,
    version: Annotated[str | None, typer.Option(help="Unit LM (default: the active one).")] = None,
    recording: Annotated[list[int] | None, typer.Option(help="Only these recording ids.")] = None,
    device: Annotated[str, typer.Option(help="cpu, cuda or auto (ONNX Runtime).")] = "cpu",
    top: Annotated[int, typer.Option(help="Show the first N of the review queue.")] = 10,
    quiet: Quiet = False,
) -> None:
    """Store every segment's unit-LM perplexity and show the review queue."""
    request = ScoreRequest(version_id=version, recording_ids=recording, device=device)
    with open_project(project_path) as project:
        result = score_project(project, request, CliProgress("Scoring", quiet).state())
        typer.echo(
            f"Scored {result.scored} segment(s) with {result.version_id} on "
            f"{result.device.upper()} ({result.too_short} too short)."
        )
        for item in review_queue(project)[: max(0, top)]:
            seg = item.segment
            ppl = f"{seg.unit_perplexity:.1f}" if seg.unit_perplexity else "-"
            flag = f"  [{FLAG_TEXT[item.flag]}]" if item.flag else ""
            typer.echo(
                f"  {item.priority:.2f}  rec {seg.recording_id} {fmt_time(seg.start_ms)}  "
                f"ppl {ppl}  {seg.text[:50]}{flag}"
            )
