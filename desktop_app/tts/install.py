"""Download a neural voice of the model catalog and install it as a voice folder.

The download is the one every catalog model uses (the build subprocess's
``download-hub``: progress, resume after a cancel or a cut, each file checked
against the Hub's checksums) into the same resumable download folder; the
checked files are then checked once more for what a VITS voice needs
(safetensors weights, a tokenizer that reads Cyrillic without uroman, the
sampling rate) and moved to ``<models>/tts/<entry id>/`` with a manifest and
a model card (:mod:`.installed`). Nothing is converted and no torch runs here.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_app.asr.catalog import CatalogEntry
from desktop_app.core.errors import ModelError
from desktop_app.core.jobs import Progress, SubState
from desktop_app.modelbuild.launcher import run_modelbuild
from desktop_app.tts.base import SAMPLE_RATE
from desktop_app.tts.installed import (
    CARD,
    REQUIRED,
    VITS_FILES,
    VoiceManifest,
    hash_files,
    now_iso,
    tts_root,
    write_manifest,
)

if TYPE_CHECKING:
    from desktop_app.asr.registry import ModelRegistry

NC_NOTE = (
    "Licence {lic}: non-commercial use only. Speech synthesised with this voice, and any "
    "speech model trained on that audio, may be used for non-commercial purposes only."
)


def check_checkpoint(folder: Path, name: str) -> dict[str, Any]:
    """The voice's ``config.json``, once the folder is a VITS voice Jazba can run."""
    missing = [f for f in REQUIRED if not (folder / f).is_file()]
    if missing:
        raise ModelError(f"'{name}' is not a VITS voice: {', '.join(missing)} missing.")
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        tok_path = folder / "tokenizer_config.json"
        tok = json.loads(tok_path.read_text(encoding="utf-8")) if tok_path.is_file() else {}
    except (OSError, ValueError) as exc:
        raise ModelError(f"'{name}' has an unreadable configuration: {exc}") from exc
    if config.get("model_type") != "vits":
        raise ModelError(f"'{name}' is not a VITS voice (model type {config.get('model_type')}).")
    if tok.get("is_uroman"):
        raise ModelError(
            f"'{name}' reads romanised text only (uroman), which Jazba does not provide."
        )
    rate = int(config.get("sampling_rate", 0))
    if rate != SAMPLE_RATE:
        raise ModelError(f"'{name}' speaks at {rate} Hz; Jazba's voices speak at 16 kHz.")
    return config


def render_voice_card(entry: CatalogEntry, ref: str, files: list[dict[str, Any]]) -> str:
    lines = [
        f"# {entry.name}",
        "",
        f"- Source: https://huggingface.co/{entry.repo_id} (`{ref}`)",
        f"- Kind: speech synthesis (VITS), {entry.params_m:g} M parameters, 16 kHz",
        f"- Licence: {entry.license_text()}",
        f"- Languages: {', '.join(entry.languages)}",
        f"- Used for: {entry.recommended_for}",
    ]
    if entry.non_commercial:
        lines += ["", "**" + NC_NOTE.format(lic=entry.license) + "**"]
    if entry.notes:
        lines += ["", entry.notes]
    if entry.verification:
        lines += ["", entry.verification]
    from desktop_app.asr.hub_install import downloaded_files_lines

    return "\n".join(lines + downloaded_files_lines(files)) + "\n"


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def install_voice_folder(
    folder: Path,
    entry: CatalogEntry,
    ref: str,
    source_files: list[dict[str, Any]],
    models_root: Path,
) -> VoiceManifest:
    """Move a checked download into ``<models>/tts/<entry.id>/`` (replacing an older copy)."""
    config = check_checkpoint(folder, entry.name)
    root = tts_root(models_root)
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{entry.id}-", dir=root))
    try:
        build = staging / entry.id
        build.mkdir()
        names = [n for n in VITS_FILES if (folder / n).is_file()]
        for n in names:
            _link_or_copy(folder / n, build / n)
        manifest = VoiceManifest(
            id=entry.id, name=entry.name, kind="vits", license=entry.license,
            languages=list(entry.languages), sampling_rate=int(config["sampling_rate"]),
            source_ref=ref, catalog_id=entry.id, files=hash_files(build, names),
            source_files=[f for f in source_files if f.get("name") in names],
            created_at=now_iso(),
        )  # fmt: skip
        (build / CARD).write_text(render_voice_card(entry, ref, source_files), encoding="utf-8")
        write_manifest(build, manifest)
        target = root / entry.id
        if target.exists():
            target.replace(staging / "old")
        build.replace(target)
        return manifest
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def install_voice(
    registry: ModelRegistry, entry: CatalogEntry, state: Progress, token: str | None = None
) -> VoiceManifest:
    """Download (resuming a partial download), check and install the voice ``entry``."""
    from desktop_app.asr.hub_install import download_dir, partial_bytes

    folder = download_dir(registry, entry.id)
    resumed = partial_bytes(registry, entry.id)
    folder.parent.mkdir(parents=True, exist_ok=True)
    args = ["download-hub", entry.repo_id, str(folder)]
    args += ["--revision", entry.revision] if entry.revision else []
    for pattern in entry.allow_patterns or VITS_FILES:
        args += ["--pattern", pattern]
    state.set_progress(
        0.0, f"Resuming the download of {entry.name}" if resumed else f"Downloading {entry.name}"
    )
    result = run_modelbuild(
        args,
        SubState(state, 0.0, 0.95),
        python=registry.python,
        cwd=folder.parent,
        env={"HF_TOKEN": token} if token else None,
    )
    commit = str(result.get("commit") or "")
    ref = f"{entry.repo_id}@{commit}" if commit else entry.ref()
    files = [f for f in result.get("files", []) if isinstance(f, dict)]
    state.set_progress(0.95, "Checking the voice")
    manifest = install_voice_folder(folder, entry, ref, files, registry.root)
    shutil.rmtree(folder, ignore_errors=True)
    state.set_progress(1.0, f"Installed {entry.name}")
    return manifest
