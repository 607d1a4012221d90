"""Install a model from the Hugging Face Hub: a catalog entry or any repository id.

The download runs in the build subprocess (``download-hub``) into
``<models>/.downloads/<name>/``, a folder that outlives a cancel, a cut
connection or a killed Jazba: installing the same model again continues the
download instead of starting over. Once every file is checked, the folder is
converted and installed like a local one (ONNX export, int8 variant, checked
against PyTorch) and then deleted. The version's manifest records the catalog
entry, the commit and each downloaded file's checksum; a Markdown model card
goes beside it.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_app.asr.catalog import CatalogEntry, get_entry
from desktop_app.asr.manifest import ModelSource, check_hf_config, detect_kind
from desktop_app.core.jobs import Progress, SubState
from desktop_app.modelbuild.launcher import run_modelbuild

if TYPE_CHECKING:
    from desktop_app.asr.manifest import Manifest
    from desktop_app.asr.registry import ModelRegistry
    from desktop_app.speakers.models import SpeakerModel
    from desktop_app.tts.installed import VoiceManifest

DOWNLOADS = ".downloads"
#: The build subcommand for a Hugging Face checkpoint of each architecture.
EXPORT_COMMAND = {"whisper": "export-onnx", "ctc": "export-ctc"}
CARD_NAME = "model_card.md"
CTC_PATTERNS = ("*.json", "*.txt", "*.safetensors", "pytorch_model*.bin")
ADAPTER_PATTERNS = ("*.json", "*.txt", "adapter_model.safetensors", "adapter_model.bin")
DOWNLOAD_SHARE = 0.6  # of the job's progress bar; converting takes the rest


@dataclass(frozen=True)
class HubRequest:
    """What to download and how to name the result."""

    repo_id: str
    revision: str | None
    name: str
    patterns: tuple[str, ...] = ()  # empty: the download's default (a Whisper's files)
    entry: CatalogEntry | None = None

    @property
    def ref(self) -> str:
        return f"{self.repo_id}@{self.revision}" if self.revision else self.repo_id


def download_dir(registry: ModelRegistry, key: str) -> Path:
    """The resumable download folder for a catalog id or Hub id."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "--", key).strip("-.") or "model"
    return registry.root / DOWNLOADS / slug


def partial_bytes(registry: ModelRegistry, key: str) -> int:
    """Bytes already downloaded for ``key`` (a resumed install does not fetch them again)."""
    folders = (download_dir(registry, key), download_dir(registry, f"{key}--base"))
    return sum(
        p.stat().st_size
        for folder in folders
        if folder.is_dir()
        for p in folder.rglob("*")
        if p.is_file()
    )


def discard_download(registry: ModelRegistry, key: str) -> None:
    """Forget a partial download."""
    for folder in (download_dir(registry, key), download_dir(registry, f"{key}--base")):
        shutil.rmtree(folder, ignore_errors=True)


def catalog_request(entry: CatalogEntry) -> HubRequest:
    default: tuple[str, ...] = ()
    if entry.base_repo:
        default = ADAPTER_PATTERNS
    elif entry.architecture == "ctc":
        default = CTC_PATTERNS
    patterns = entry.allow_patterns or default
    return HubRequest(entry.repo_id, entry.revision, entry.name, tuple(patterns), entry)


def install_from_hub(
    registry: ModelRegistry,
    request: HubRequest,
    state: Progress,
    token: str | None = None,
) -> Manifest:
    """Download (resuming if a partial download exists), convert and install."""
    key = request.entry.id if request.entry is not None else request.repo_id
    folder = download_dir(registry, key)
    folder.parent.mkdir(parents=True, exist_ok=True)
    args = ["download-hub", request.repo_id, str(folder)]
    args += ["--revision", request.revision] if request.revision else []
    for pattern in request.patterns:
        args += ["--pattern", pattern]
    resumed = partial_bytes(registry, key)
    state.set_progress(
        0.0,
        f"Resuming the download of {request.name}" if resumed else f"Downloading {request.name}",
    )
    env = {"HF_TOKEN": token} if token else None
    base_folder = None
    share = 0.0
    entry = request.entry
    if entry is not None and entry.base_repo:
        # An adapter: its base model first (the bigger part), then the adapter itself.
        share = DOWNLOAD_SHARE * 0.9
        base_folder = download_dir(registry, f"{key}--base")
        base_args = ["download-hub", entry.base_repo, str(base_folder)]
        base_args += ["--revision", entry.base_revision] if entry.base_revision else []
        run_modelbuild(
            base_args,
            SubState(state, 0.0, share),
            python=registry.python,
            cwd=folder.parent,
            env=env,
        )
    result = run_modelbuild(
        args,
        SubState(state, share, DOWNLOAD_SHARE),
        python=registry.python,
        cwd=folder.parent,
        env=env,
    )
    fields: dict[str, Any] = {
        "source_files": [f for f in result.get("files", []) if isinstance(f, dict)],
        "catalog_id": request.entry.id if request.entry is not None else None,
    }
    commit = str(result.get("commit") or "")
    ref = f"{request.repo_id}@{commit}" if commit else request.ref
    card = render_card(request, commit, fields["source_files"])
    manifest = install_snapshot(
        registry,
        folder,
        SubState(state, DOWNLOAD_SHARE, 1.0),
        name=request.name,
        ref=ref,
        fields=fields,
        card=card,
        adapter=entry.adapter if entry is not None else None,
        lora_base=base_folder,
        language=entry.languages[0] if entry is not None and entry.languages else None,
    )
    shutil.rmtree(folder, ignore_errors=True)
    if base_folder is not None:
        shutil.rmtree(base_folder, ignore_errors=True)
    return manifest


def install_catalog_entry(
    registry: ModelRegistry, entry_id: str, state: Progress, token: str | None = None
) -> Manifest | SpeakerModel | VoiceManifest:
    """A speech model becomes a version; a speaker or segmentation entry a speaker
    model; a voice (``tts``) goes to the voice folders."""
    entry = get_entry(entry_id)
    if entry.architecture == "tts":
        from desktop_app.tts.install import install_voice

        return install_voice(registry, entry, state, token)
    if entry.architecture == "speaker":
        from desktop_app.speakers.hub_install import install_speaker_entry

        return install_speaker_entry(registry, entry, state, token)
    if entry.architecture == "segmentation":
        from desktop_app.speakers.hub_install import speakers_dir
        from desktop_app.speakers.segmentation_model import install_segmentation_entry

        return install_segmentation_entry(entry, state, root=speakers_dir(registry), token=token)
    return install_from_hub(registry, catalog_request(entry), state, token)


def render_card(request: HubRequest, commit: str, files: list[dict[str, Any]]) -> str:
    """A Markdown card: what the model is, where it came from, what its authors report."""
    entry = request.entry
    lines = [f"# {request.name}", ""]
    lines += [f"- Source: https://huggingface.co/{request.repo_id} at commit `{commit or '?'}`"]
    if entry is not None:
        lines += [
            f"- Architecture: {entry.architecture}, {entry.params_m:g} M parameters",
            f"- Licence: {entry.license}",
            f"- Languages: {', '.join(entry.languages)}",
            f"- Recommended for: {entry.recommended_for}",
        ]
        if entry.adapter:
            lines.append(f"- Language adapter: {entry.adapter}")
        lines += ["", "## Reported by its authors", ""]
        if entry.reported:
            lines += ["| metric | value | test set | checked | source |", "|---|---|---|---|---|"]
            lines += [
                f"| {r.metric.upper()} | {r.value:g} % | {r.test_set} | "
                f"{'yes' if r.verified else 'not confirmed'} | {r.source} |"
                for r in entry.reported
            ]
        else:
            lines.append("No error rates are reported for Kazakh.")
        if entry.verification:
            lines += ["", entry.verification]
    return "\n".join(lines + downloaded_files_lines(files)) + "\n"


def downloaded_files_lines(files: list[dict[str, Any]]) -> list[str]:
    """A card's "Downloaded files" table: name, bytes, sha256 and what checked it."""
    lines = ["", "## Downloaded files", "", "| file | bytes | sha256 | checked against |"]
    lines += ["|---|---|---|---|"]
    return lines + [
        f"| {f.get('name')} | {f.get('size')} | `{str(f.get('sha256', ''))[:16]}…` | "
        f"{f.get('checked_against')} |"
        for f in files
    ]


#: What a Hugging Face checkpoint folder needs to be loaded again (weights, configs, vocabulary).
CHECKPOINT_SUFFIXES = (".json", ".txt", ".safetensors", ".bin", ".model")


def copy_checkpoint(src: Path, dst: Path) -> None:
    """Copy the checkpoint files of ``src`` (top level) to ``dst``: hard links when the
    disk allows (a download folder is deleted afterwards), copies otherwise."""
    dst.mkdir(parents=True, exist_ok=True)
    for path in sorted(src.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        if path.suffix not in CHECKPOINT_SUFFIXES or path.name == "model.bin":
            continue  # model.bin is a CTranslate2 file, not part of an HF checkpoint
        try:
            os.link(path, dst / path.name)
        except OSError:
            shutil.copyfile(path, dst / path.name)


def install_snapshot(
    registry: ModelRegistry,
    folder: Path,
    state: Progress,
    name: str,
    ref: str,
    fields: dict[str, Any] | None = None,
    card: str | None = None,
    adapter: str | None = None,
    lora_base: Path | None = None,
    language: str | None = None,
) -> Manifest:
    """Install a downloaded Hub snapshot, whichever format it is in (ONNX graphs
    kept in ``onnx/`` are moved up first). ``fields`` go into the manifest,
    ``card`` beside it. With
    ``lora_base``, ``folder`` is a LoRA adapter merged into that checkpoint.
    ``adapter`` (an MMS language adapter) and ``language`` apply to CTC models."""
    extra = {"model_card.md": card} if card is not None else None
    if lora_base is None:
        if any((folder / "onnx" / g).is_file() for g in ("encoder_model.onnx", "model.onnx")):
            folder = registry._flatten_onnx_layout(folder)
        if detect_kind(folder) == ModelSource.ONNX_DIR:
            manifest = registry.import_onnx_dir(
                folder,
                name=name,
                source=ModelSource.HF_HUB,
                source_ref=ref,
                fields=fields,
                extra_text=extra,
            )
            state.set_progress(1.0, f"Installed {name}")
            return manifest
    command, keep_hf = snapshot_command(folder, name, adapter, language, lora_base)
    return registry._build(
        command,
        state,
        name=name,
        source=ModelSource.HF_HUB,
        source_ref=ref,
        fields=fields,
        extra_text=extra,
        keep_hf=keep_hf,
    )


def snapshot_command(
    folder: Path,
    name: str,
    adapter: str | None,
    language: str | None,
    lora_base: Path | None,
) -> tuple[list[str], Path | None]:
    """The build subcommand for a downloaded checkpoint, and the Hugging Face
    checkpoint to keep beside the version (none when the build keeps its own)."""
    if lora_base is not None:  # the merged checkpoint is kept by the build itself
        return ["lora-to-onnx", str(lora_base), str(folder), "--int8", "--keep-hf"], None
    if detect_kind(folder) != ModelSource.HF_DIR:
        return ["ct2-to-onnx", str(folder)], None
    arch = check_hf_config(folder, f"'{name}'")[0]
    command = [EXPORT_COMMAND[arch], str(folder)]
    if arch == "whisper":
        command.append("--int8")
    else:
        command += ["--target-lang", adapter] if adapter else []
        command += ["--language", language] if language else []
    return command, folder


def installed_catalog_entries(registry: ModelRegistry) -> dict[str, str]:
    """Catalog entry id -> what was installed from it: the newest model version, or
    the voice, segmentation or speaker model (those live beside the versions)."""
    from desktop_app.speakers.hub_install import installed_speaker_entries, speakers_dir
    from desktop_app.speakers.segmentation_model import installed_segmentation_models
    from desktop_app.tts.installed import installed_voices

    found = {v.catalog_id: v.id for v in installed_voices(registry.root) if v.catalog_id}
    found.update({m.catalog_id: m.id for m in registry.versions() if m.catalog_id})
    segmenters = installed_segmentation_models(speakers_dir(registry))
    found.update({m.catalog_id: m.id for m in segmenters if m.catalog_id})
    return {**found, **installed_speaker_entries(registry)}
