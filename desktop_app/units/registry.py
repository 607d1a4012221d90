"""Unit-model versions on disk: a codebook, optionally a unit LM, and a manifest.

They live next to the ASR versions, in a ``unitlm/`` subfolder of the models
folder (which the ASR registry skips: it has no manifest)::

    models/unitlm/
      active.json                    the unit LM the app scores with
      kk-k100-20260101-120000-1a2b/
        manifest.json                desktop_app.asr.manifest.Manifest, kind "units"/"unit-lm"
        units.json                   UnitConfig: features, K, collapse, LM shape
        codebook.npy                 (K, dim) float32 k-means centroids
        features.onnx                the cut Whisper encoder (offline default only)
        unit_lm.onnx                 the exported LM (after training)

``jazba units fit`` makes a version with a codebook only; ``jazba unitlm
train`` makes a child version (same codebook, hard-linked) with the LM.
Versions are built in ``.staging`` and renamed into place, and are never
changed afterwards, apart from their manifest's metrics and notes.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from desktop_app.asr.manifest import (
    MANIFEST_NAME,
    ActiveState,
    Manifest,
    hash_files,
    now_iso,
    read_active,
    read_manifest,
    sha256_file,
    verify_files,
    write_active,
    write_manifest,
)
from desktop_app.core.errors import Fix, ModelError
from desktop_app.core.paths import models_dir
from desktop_app.units.codebook import CODEBOOK_FILE, load_codebook
from desktop_app.units.features import FEATURES_FILE, WHISPER_KIND, FeatureSpec
from desktop_app.units.scorer import LM_FILE, UnitLMScorer

log = logging.getLogger(__name__)

CONFIG_FILE = "units.json"
FORMAT = "jazba-unitlm/1"
SUBDIR = "unitlm"
STAGING = ".staging"
KIND_UNITS = "units"
KIND_LM = "unit-lm"


@dataclass
class LMShape:
    """Hyper-parameters of the GPT-style unit LM (needed to rebuild it in PyTorch)."""

    context: int = 256
    n_layer: int = 4
    n_head: int = 4
    d_model: int = 192
    dropout: float = 0.1


@dataclass
class UnitConfig:
    """``units.json``: how a version's units are made and what its LM looks like."""

    features: FeatureSpec
    k: int
    collapse: bool = True
    codebook_sha256: str = ""
    lm: LMShape | None = None

    @property
    def cache_key(self) -> str:
        """Names the per-recording unit cache: same codebook, same units."""
        return self.codebook_sha256[:16]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["features"] = self.features.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UnitConfig:
        try:
            lm = data.get("lm")
            return cls(
                features=FeatureSpec.from_dict(data["features"]),
                k=int(data["k"]),
                collapse=bool(data.get("collapse", True)),
                codebook_sha256=str(data.get("codebook_sha256", "")),
                lm=LMShape(**lm) if isinstance(lm, dict) else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"The unit model's {CONFIG_FILE} is invalid ({exc!r}).") from exc


@dataclass
class UnitVersion:
    """An installed unit-model version."""

    folder: Path
    manifest: Manifest
    config: UnitConfig
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.manifest.id

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def has_lm(self) -> bool:
        return self.config.lm is not None and (self.folder / LM_FILE).is_file()

    def codebook(self) -> Any:
        return load_codebook(self.folder / CODEBOOK_FILE)

    def scorer(self, device: str = "cpu", threads: int | None = None) -> UnitLMScorer:
        if not self.has_lm or self.config.lm is None:
            raise ModelError(
                f"'{self.name}' has units but no trained unit LM.",
                fix=Fix.LEARN_UNIT_LM,
                cli="Run 'jazba unitlm train'.",
            )
        return UnitLMScorer(
            self.folder / LM_FILE, self.config.k, self.config.lm.context, device, threads
        )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "units"


def read_config(folder: Path) -> UnitConfig:
    try:
        data = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelError(f"'{folder.name}' has no {CONFIG_FILE}; it is not a unit model.") from exc
    except (OSError, ValueError) as exc:
        raise ModelError(f"Cannot read {folder / CONFIG_FILE}: {exc}") from exc
    return UnitConfig.from_dict(data)


def write_config(folder: Path, config: UnitConfig) -> None:
    text = json.dumps(config.to_dict(), indent=2, ensure_ascii=False) + "\n"
    (folder / CONFIG_FILE).write_text(text, encoding="utf-8")


def link_or_copy(src: Path, dst: Path) -> None:
    """Hard-link (versions never change their files) or copy across file systems."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


class UnitRegistry:
    """Unit-model versions under ``root`` (default: ``<models>/unitlm``)."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else models_dir() / SUBDIR

    def versions(self) -> list[UnitVersion]:
        if not self.root.is_dir():
            return []
        found = []
        for folder in sorted(self.root.iterdir()):
            if folder.name.startswith(".") or not (folder / MANIFEST_NAME).is_file():
                continue
            try:
                found.append(self._load(folder))
            except ModelError as exc:
                log.warning("Skipping unit model folder %s: %s", folder, exc)
        return sorted(found, key=lambda v: (v.manifest.created_at, v.id))

    def path(self, version_id: str) -> Path:
        if not version_id or any(c in version_id for c in "/\\") or version_id.startswith("."):
            raise ModelError(f"'{version_id}' is not a valid unit model id.")
        folder = self.root / version_id
        if not (folder / MANIFEST_NAME).is_file():
            raise ModelError(
                f"No unit model has the id '{version_id}'.", cli="(See 'jazba units list'.)"
            )
        return folder

    def get(self, version_id: str) -> UnitVersion:
        return self._load(self.path(version_id))

    def _load(self, folder: Path) -> UnitVersion:
        manifest = read_manifest(folder)
        if manifest.format != FORMAT:
            raise ModelError(f"'{folder.name}' is not a Jazba unit model ({manifest.format}).")
        return UnitVersion(folder, manifest, read_config(folder))

    def active(self) -> UnitVersion | None:
        """The unit LM to score with: the one set active, else the newest trained one."""
        state = read_active(self.root)
        if state.active and (self.root / state.active / MANIFEST_NAME).is_file():
            return self.get(state.active)
        trained = [v for v in self.versions() if v.has_lm]
        return trained[-1] if trained else None

    def resolve(self, version_id: str | None, need_lm: bool = True) -> UnitVersion:
        if version_id:
            version = self.get(version_id)
        else:
            version = self.active() if need_lm else (self.versions() or [None])[-1]
            if version is None:
                raise ModelError(
                    "No unit LM is installed.",
                    fix=Fix.LEARN_UNIT_LM,
                    cli="Run 'jazba units fit' and 'jazba unitlm train' first.",
                )
        if need_lm and not version.has_lm:
            version.scorer()  # raises the explanatory error
        return version

    def set_active(self, version_id: str) -> None:
        if not self.get(version_id).has_lm:
            raise ModelError("Only a version with a trained unit LM can be made active.")
        state = read_active(self.root)
        history = [h for h in [*state.history, state.active] if h and h != version_id]
        write_active(self.root, ActiveState(version_id, history[-20:]))

    def verify(self, version_id: str) -> UnitVersion:
        version = self.get(version_id)
        verify_files(version.folder, version.manifest)
        return version

    def remove(self, version_id: str) -> None:
        folder = self.path(version_id)
        trash = self.staging_dir(f"remove-{version_id}")
        folder.replace(trash / version_id)
        shutil.rmtree(trash, ignore_errors=True)
        state = read_active(self.root)
        if version_id in (state.active, *state.history):
            active = None if state.active == version_id else state.active
            write_active(
                self.root, ActiveState(active, [h for h in state.history if h != version_id])
            )

    def staging_dir(self, label: str) -> Path:
        base = self.root / STAGING
        base.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f"{_slug(label)}-", dir=base))

    def finish(
        self,
        build: Path,
        name: str,
        config: UnitConfig,
        *,
        source_ref: str = "",
        parent_id: str | None = None,
        metrics: dict[str, float] | None = None,
        notes: str = "",
    ) -> UnitVersion:
        """Write ``units.json`` and the manifest, then move ``build`` into place."""
        if not (build / CODEBOOK_FILE).is_file():
            raise ModelError("The unit model has no codebook.")
        if config.features.kind == WHISPER_KIND and not (build / FEATURES_FILE).is_file():
            raise ModelError("The unit model has no feature graph.")
        config.codebook_sha256 = sha256_file(build / CODEBOOK_FILE)
        write_config(build, config)
        names = [
            n for n in (CONFIG_FILE, CODEBOOK_FILE, FEATURES_FILE, LM_FILE) if (build / n).is_file()
        ]
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        version_id = f"{_slug(name)}-{stamp}-{uuid.uuid4().hex[:4]}"
        manifest = Manifest(
            id=version_id,
            name=name,
            source=config.features.kind,
            source_ref=source_ref,
            parent_id=parent_id,
            kind=KIND_LM if (build / LM_FILE).is_file() else KIND_UNITS,
            files=hash_files(build, names),
            created_at=now_iso(),
            metrics={k: float(v) for k, v in (metrics or {}).items()},
            notes=notes,
            format=FORMAT,
        )
        write_manifest(build, manifest)
        self.root.mkdir(parents=True, exist_ok=True)
        build.replace(self.root / version_id)
        version = self.get(version_id)
        if version.has_lm:
            self.set_active(version_id)
        log.info("Installed unit model %s (%s)", version_id, name)
        return version
