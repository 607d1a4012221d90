"""A model registry with the catalog and bundle methods, for GUI tests and screenshots.

:class:`CatalogRegistry` is the real :class:`ModelRegistry` (versions are real
folders with manifests under the test's models folder) with
``installed_catalog``, ``install_catalog``, ``pack`` and ``install_bundle``
standing in for the downloading ones: ``install_catalog`` reports
"Downloading model.safetensors: … MB of … MB" progress in steps, honours
cancel, resumes from where a cancelled run stopped, and refuses a gated
entry without a token as the real one does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from desktop_app.asr.catalog import CatalogEntry, load_catalog
from desktop_app.asr.manifest import REQUIRED_FILES, Manifest, ModelSource, write_manifest
from desktop_app.asr.registry import ModelRegistry
from desktop_app.core.errors import ModelError
from desktop_app.core.jobs import Progress

GATED_ID = "gated-kk"


def entries_with_gated() -> tuple[CatalogEntry, ...]:
    """The shipped catalog plus one gated entry."""
    base = load_catalog()[0]
    gated = replace(
        base, id=GATED_ID, name="Gated Kazakh model", repo_id="someone/gated-kk", gated=True
    )
    return (*load_catalog(), gated)


def add_version(
    registry: ModelRegistry, model_id: str, name: str, source: str = ModelSource.HF_HUB
) -> Manifest:
    folder = registry.root / model_id
    folder.mkdir(parents=True, exist_ok=True)
    for file in REQUIRED_FILES:
        (folder / file).write_bytes(b"")
    manifest = Manifest(id=model_id, name=name, source=source, created_at="2026-12-01T00:00:00Z")
    write_manifest(folder, manifest)
    return manifest


@dataclass
class Calls:
    install: list[tuple[str, str | None]] = field(default_factory=list)  # (entry id, token)
    started_at: list[int] = field(default_factory=list)  # the step each run started from
    pack: list[tuple[str, Path]] = field(default_factory=list)
    bundles: list[Path] = field(default_factory=list)


class CatalogRegistry(ModelRegistry):
    """``steps`` progress reports ``delay`` seconds apart; ``fail`` is raised once."""

    def __init__(
        self,
        root: str | Path | None = None,
        entries: tuple[CatalogEntry, ...] | None = None,
        steps: int = 10,
        delay: float = 0.0,
    ) -> None:
        super().__init__(root)
        self.entries = {e.id: e for e in (entries or entries_with_gated())}
        self.steps, self.delay = steps, delay
        self.fail: str | None = None
        self.bundle_fail: str | None = None
        self.partial: dict[str, int] = {}  # entry id -> steps already downloaded
        self.catalog_ids: dict[str, str] = {}  # version id -> entry id
        self.calls = Calls()

    def installed_catalog(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for m in self.versions():  # oldest first: the newest wins
            if m.id in self.catalog_ids:
                out[self.catalog_ids[m.id]] = m.id
        return out

    def partial_download(self, key: str) -> int:
        entry = self.entries.get(key)
        if entry is None or key not in self.partial:
            return 0
        return int(entry.download_mb * 1e6 * self.partial[key] / self.steps)

    def install_catalog(self, entry_id: str, state: Progress, token: str | None = None) -> Manifest:
        entry = self.entries[entry_id]
        self.calls.install.append((entry_id, token))
        if entry.gated and not token:
            raise ModelError(
                f"'{entry.name}' needs a Hugging Face token: accept its terms on "
                f"huggingface.co/{entry.repo_id} and paste a token with read access."
            )
        if self.fail:
            message, self.fail = self.fail, None
            raise ModelError(message)
        start = self.partial.get(entry_id, 0)
        self.calls.started_at.append(start)
        total = entry.download_mb
        for i in range(start, self.steps):
            state.check()
            self.partial[entry_id] = i
            got = total * i / self.steps
            state.set_progress(
                0.8 * i / self.steps,
                f"Downloading model.safetensors: {got:.0f} MB of {total:.0f} MB, 1 min left",
            )
            time.sleep(self.delay)
        state.set_progress(0.9, "Converting to ONNX")
        self.partial.pop(entry_id, None)
        version_id = f"{entry_id}-{len(self.catalog_ids) + 1}"
        self.catalog_ids[version_id] = entry_id
        return add_version(self, version_id, entry.name)

    def pack(self, model_id: str, file: Path, state: Progress) -> Path:
        self.path(model_id)
        self.calls.pack.append((model_id, file))
        state.set_progress(0.5, f"Writing {file.name}")
        file.write_bytes(b"bundle of " + model_id.encode())
        return file

    def install_bundle(self, file: Path, state: Progress) -> Manifest:
        self.calls.bundles.append(file)
        if self.bundle_fail:
            raise ModelError(self.bundle_fail)
        state.set_progress(0.5, f"Installing {file.name}")
        return add_version(self, "from-bundle-1", "Whisper base, Kazakh (from a bundle)")
