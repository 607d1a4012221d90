"""Install a speaker-embedding model of the catalog from the Hugging Face Hub.

The download is the ASR models' (:mod:`desktop_app.asr.hub_install`): it runs in
the build subprocess into ``<models>/.downloads/<id>/`` (resumed after a
cancel or a cut; every file checked against the Hub's sha256), so the *Get
models* page shows it, cancels it and resumes it the same way. The ONNX graph
is then checked on ONNX Runtime (its input takes ``(batch, frames, 80)``
features, its output is one embedding per item) and installed to
``<models>/speakers/<id>/`` with a ``speaker_model.json`` recording where it came
from, its licence, front end and each file's sha256. No PyTorch at run time.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from desktop_app.asr.catalog import CatalogEntry
from desktop_app.asr.hub_install import DOWNLOAD_SHARE, download_dir
from desktop_app.asr.manifest import sha256_file
from desktop_app.core.errors import ModelError
from desktop_app.core.jobs import Progress, SubState
from desktop_app.modelbuild.launcher import run_modelbuild
from desktop_app.speakers.models import (
    FRONTENDS,
    KALDI_FRONTEND,
    SUBDIR,
    SpeakerModel,
    list_speaker_models,
    read_speaker_model,
    verify_speaker_model,
    write_speaker_manifest,
)

if TYPE_CHECKING:
    from desktop_app.asr.registry import ModelRegistry

SPEAKER_ARCHITECTURE = "speaker"
FEATURE_DIMS = {KALDI_FRONTEND: 80}


def speakers_dir(registry: ModelRegistry) -> Path:
    return registry.root / SUBDIR


def installed_speaker_entries(registry: ModelRegistry) -> dict[str, str]:
    """Catalog entry id -> installed speaker model id."""
    return {m.catalog_id: m.id for m in list_speaker_models(speakers_dir(registry)) if m.catalog_id}


def probe_graph(path: Path, frontend: str) -> tuple[str, str, int]:
    """``(input, output, embedding size)`` of an embedding graph, after running it once on
    a second of silence-like features; :class:`ModelError` when it is not one."""
    from desktop_app.asr.ort_session import choose_device, load_session, make_session_options

    try:
        session, _ = load_session(path, make_session_options(1), choose_device("cpu"))
        inputs, outputs = session.get_inputs(), session.get_outputs()
        if len(inputs) != 1 or not outputs:
            raise ModelError(f"'{path.name}' does not take one feature input.")
        dims = FEATURE_DIMS[frontend]
        feats = np.random.default_rng(0).standard_normal((2, 100, dims)).astype(np.float32)
        out = np.asarray(session.run([outputs[0].name], {inputs[0].name: feats})[0])
    except ModelError:
        raise
    except Exception as exc:  # ONNX Runtime's errors are many; the model is unusable
        raise ModelError(
            f"'{path.name}' is not a speaker-embedding model Jazba can run: {exc}"
        ) from exc
    if out.ndim != 2 or out.shape[0] != 2 or not np.all(np.isfinite(out)):
        raise ModelError(
            f"'{path.name}' gives {out.shape} for two inputs, not one embedding per input."
        )
    return inputs[0].name, outputs[0].name, int(out.shape[1])


def install_speaker_entry(
    registry: ModelRegistry, entry: CatalogEntry, state: Progress, token: str | None = None
) -> SpeakerModel:
    """Download (resuming), check and install a speaker entry of the catalog."""
    frontend = entry.frontend or KALDI_FRONTEND
    if frontend not in FRONTENDS or frontend not in FEATURE_DIMS:
        raise ModelError(f"'{entry.name}' needs a front end Jazba does not have ({frontend}).")
    if not entry.allow_patterns:
        raise ModelError(f"The catalog entry '{entry.id}' does not say which file to fetch.")
    folder = download_dir(registry, entry.id)
    folder.parent.mkdir(parents=True, exist_ok=True)
    args = ["download-hub", entry.repo_id, str(folder)]
    args += ["--revision", entry.revision] if entry.revision else []
    for pattern in entry.allow_patterns:
        args += ["--pattern", pattern]
    resumed = any(folder.glob("*.part")) if folder.is_dir() else False
    state.set_progress(
        0.0, f"Resuming the download of {entry.name}" if resumed else f"Downloading {entry.name}"
    )
    env = {"HF_TOKEN": token} if token else None
    result = run_modelbuild(
        args,
        SubState(state, 0.0, DOWNLOAD_SHARE),
        python=registry.python,
        cwd=folder.parent,
        env=env,
    )
    files = [f for f in result.get("files", []) if isinstance(f, dict)]
    graphs = [f for f in files if str(f.get("name", "")).endswith(".onnx")]
    if len(graphs) != 1:
        raise ModelError(f"'{entry.repo_id}' should give one ONNX graph; it gave {len(graphs)}.")
    state.check()
    state.set_progress(DOWNLOAD_SHARE, f"Checking {entry.name}")
    model = _install_graph(registry, entry, folder, graphs[0], result, frontend)
    shutil.rmtree(folder, ignore_errors=True)
    state.set_progress(1.0, f"Installed {entry.name}")
    return model


def _install_graph(
    registry: ModelRegistry,
    entry: CatalogEntry,
    folder: Path,
    graph: dict[str, Any],
    result: dict[str, Any],
    frontend: str,
) -> SpeakerModel:
    name = Path(str(graph["name"])).name
    src = folder / str(graph["name"])
    if sha256_file(src) != graph.get("sha256"):  # changed on disk since it was checked
        src.unlink(missing_ok=True)
        raise ModelError(f"'{name}' changed after it was downloaded; download it again.")
    root = speakers_dir(registry)
    staging = root / f".staging-{entry.id}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        try:
            os.link(src, staging / name)
        except OSError:
            shutil.copyfile(src, staging / name)
        input_name, output_name, dim = probe_graph(staging / name, frontend)
        commit = str(result.get("commit") or "")
        write_speaker_manifest(
            staging,
            model_id=entry.id,
            name=entry.name,
            source=f"https://huggingface.co/{entry.repo_id}"
            + (f" at commit {commit}" if commit else ""),
            license=entry.license,
            parity={"checked_against": graph.get("checked_against"), "hub_sha256": graph["sha256"]},
            file=name,
            embedding_dim=dim,
            frontend=frontend,
            input=input_name,
            output=output_name,
            catalog_id=entry.id,
        )
        model = read_speaker_model(staging)
        if model.files[name] != graph["sha256"]:
            raise ModelError(f"'{name}' does not match the checksum the Hub gave.")
        target = root / entry.id
        old = root / f".old-{entry.id}"
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            target.rename(old)
        staging.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    installed = read_speaker_model(target)
    verify_speaker_model(installed)
    return installed
