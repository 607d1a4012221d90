"""Model bundles from the GUI: *Save as bundle…* and *Install from file…*.

A bundle (``.jazba-model``) is one file holding an installed model version, for
a computer with no network: :meth:`ModelRegistry.pack` writes it,
:meth:`ModelRegistry.install_bundle` installs it (a damaged file installs
nothing). Both run as jobs in the window's runner, so they show in the Jobs
panel with progress and Cancel; the file choices are module functions the
tests replace.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QWidget

from desktop_app.gui.workers import Job, JobRunner

if TYPE_CHECKING:
    from desktop_app.asr.manifest import Manifest
    from desktop_app.asr.registry import ModelRegistry

BUNDLE_SUFFIX = ".jazba-model"
BUNDLE_FILTER = f"Jazba model bundles (*{BUNDLE_SUFFIX});;All files (*)"


def ask_bundle_to_install(parent: QWidget | None) -> Path | None:
    path, _ = QFileDialog.getOpenFileName(
        parent, "Install a model from a bundle file", str(Path.home()), BUNDLE_FILTER
    )
    return Path(path) if path else None


def ask_bundle_destination(parent: QWidget | None, suggested: Path) -> Path | None:
    path, _ = QFileDialog.getSaveFileName(
        parent, "Save the model as one bundle file", str(suggested), BUNDLE_FILTER
    )
    if not path:
        return None
    out = Path(path)
    return out if out.name.endswith(BUNDLE_SUFFIX) else out.with_name(out.name + BUNDLE_SUFFIX)


def bundle_name(model_id: str) -> str:
    return f"{model_id}{BUNDLE_SUFFIX}"


def start_install_bundle(runner: JobRunner, registry: ModelRegistry, file: Path) -> Job:
    """Install ``file`` as a job; its result is the new version's manifest."""

    def summary(manifest: Manifest) -> str:
        return f"Installed '{manifest.name}' as version '{manifest.id}'"

    return runner.start(
        f"Install {file.name}", lambda state: registry.install_bundle(file, state), summary
    )


def start_pack(
    runner: JobRunner, registry: ModelRegistry, model_id: str, name: str, file: Path
) -> Job:
    """Write version ``model_id`` to ``file`` as a job; its result is the file written."""
    return runner.start(
        f"Save {name} as a bundle",
        lambda state: registry.pack(model_id, file, state),
        lambda path: f"Saved {Path(path).name}",
    )


def install_from_file(
    parent: QWidget | None, runner: JobRunner, registry: ModelRegistry
) -> Job | None:
    """Ask for a bundle and install it (None when the person chose nothing)."""
    file = ask_bundle_to_install(parent)
    return None if file is None else start_install_bundle(runner, registry, file)


def save_as_bundle(
    parent: QWidget | None,
    runner: JobRunner,
    registry: ModelRegistry,
    model_id: str,
    name: str,
) -> Job | None:
    """Ask where to write version ``model_id`` and write it (None when cancelled)."""
    file = ask_bundle_destination(parent, Path.home() / bundle_name(model_id))
    return None if file is None else start_pack(runner, registry, model_id, name, file)
