"""Segmentation models (speech and overlapped speech) on disk, beside the speaker encoders.

    models/speakers/
      pyannote-segmentation-3.0/
        speaker_model.json   kind "segmentation": input/output names, window, frame
                             geometry, powerset size, licence, catalog entry, sha256s
        model.onnx           waveform [batch, 1, samples] -> [batch, frames, 7]

A model is installed from a catalog entry of architecture ``segmentation``:
the Hub download runs in the build subprocess (resumable, every file checked,
see :mod:`desktop_app.modelbuild.hub_download`) into
``models/speakers/.downloads/<id>/``; the graph is opened once with ONNX
Runtime to read its names and frame count, and only then is the folder
installed.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from desktop_app.asr.catalog import CatalogEntry, get_entry
from desktop_app.asr.manifest import now_iso, sha256_file
from desktop_app.core.errors import ModelError
from desktop_app.core.jobs import Progress, SubState
from desktop_app.speakers.models import FORMAT, MANIFEST, read_manifest, speakers_root

KIND = "segmentation"
FILE = "model.onnx"
DOWNLOADS = ".downloads"
DEFAULT_ID = "pyannote-segmentation-3.0"
WINDOW_SAMPLES = 160_000  # 10 s at 16 kHz
#: pyannote segmentation-3.0's frames (SincNet front end): a 991-sample receptive
#: field every 270 samples (16.875 ms); 589 frames per 10 s window.
FRAME_STEP = 270
FRAME_SIZE = 991


@dataclass(frozen=True)
class SegmentationModel:
    id: str
    name: str
    folder: Path
    file: str = FILE
    input: str = "input_values"
    output: str = "logits"
    window_samples: int = WINDOW_SAMPLES
    frame_step: int = FRAME_STEP
    frame_size: int = FRAME_SIZE
    local_speakers: int = 3
    max_active: int = 2
    source: str = ""
    license: str = ""
    catalog_id: str | None = None
    files: dict[str, str] = field(default_factory=dict)  # name -> sha256
    source_files: list[dict[str, Any]] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return self.folder / self.file


def write_segmentation_manifest(model: SegmentationModel) -> None:
    data = {
        "format": FORMAT,
        "kind": KIND,
        "id": model.id,
        "name": model.name,
        "file": model.file,
        "input": model.input,
        "output": model.output,
        "window_samples": model.window_samples,
        "frame_step": model.frame_step,
        "frame_size": model.frame_size,
        "local_speakers": model.local_speakers,
        "max_active": model.max_active,
        "source": model.source,
        "license": model.license,
        "catalog_id": model.catalog_id,
        "created": now_iso(),
        "files": {model.file: sha256_file(model.path)},
        "source_files": model.source_files,
    }
    text = json.dumps(data, indent=2, ensure_ascii=False)
    (model.folder / MANIFEST).write_text(text, "utf-8")


def read_segmentation_model(folder: Path) -> SegmentationModel:
    data = read_manifest(folder, KIND)
    try:
        return SegmentationModel(
            id=str(data["id"]),
            name=str(data.get("name", data["id"])),
            folder=folder,
            file=str(data["file"]),
            input=str(data["input"]),
            output=str(data["output"]),
            window_samples=int(data["window_samples"]),
            frame_step=int(data["frame_step"]),
            frame_size=int(data["frame_size"]),
            local_speakers=int(data.get("local_speakers", 3)),
            max_active=int(data.get("max_active", 2)),
            source=str(data.get("source", "")),
            license=str(data.get("license", "")),
            catalog_id=data.get("catalog_id") or None,
            files=dict(data.get("files", {})),
            source_files=list(data.get("source_files", [])),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{folder / MANIFEST} is invalid: {exc!r}.") from exc


def installed_segmentation_models(root: Path | None = None) -> list[SegmentationModel]:
    """Every installed segmentation model, the catalog's default first."""
    base = root or speakers_root()
    found = []
    for folder in sorted(base.iterdir()) if base.is_dir() else []:
        if folder.name.startswith(".") or not (folder / MANIFEST).is_file():
            continue
        try:  # a speaker model beside it is refused by its kind
            found.append(read_segmentation_model(folder))
        except ModelError:
            continue
    return sorted(found, key=lambda m: (m.id != DEFAULT_ID, m.id))


def find_segmentation_model(model_id: str, root: Path | None = None) -> SegmentationModel:
    """The installed model ``model_id`` (checked), or a :class:`ModelError` saying how
    to install it."""
    folder = (root or speakers_root()) / model_id
    if not (folder / MANIFEST).is_file():
        raise ModelError(
            f"The segmentation model '{model_id}' is not installed.",
            cli=f"Run 'jazba speakers install-segmentation {model_id}' (downloads it once).",
        )
    model = read_segmentation_model(folder)
    verify_segmentation_model(model)
    return model


def best_segmentation_model(root: Path | None = None) -> SegmentationModel | None:
    """The installed segmentation model to use when none is chosen (None: none installed)."""
    models = installed_segmentation_models(root)
    return models[0] if models else None


def verify_segmentation_model(model: SegmentationModel) -> None:
    for name, digest in model.files.items():
        path = model.folder / name
        if not path.is_file() or sha256_file(path) != digest:
            raise ModelError(
                f"The segmentation model file {name} in {model.folder} is missing or damaged; "
                "install the model again.",
                cli=f"Run 'jazba speakers install-segmentation {model.id} --force'.",
            )


def probe_graph(path: Path, window: int = WINDOW_SAMPLES) -> dict[str, Any]:
    """Open the graph with ONNX Runtime, run one silent window and describe it: input and
    output names and the frame geometry (the powerset must have 7 classes)."""
    import onnxruntime as ort

    try:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types
        raise ModelError(f"'{path.name}' is not an ONNX model ONNX Runtime can open.") from exc
    name_in, name_out = session.get_inputs()[0].name, session.get_outputs()[0].name
    out = session.run([name_out], {name_in: np.zeros((1, 1, window), np.float32)})[0]
    if out.ndim != 3 or out.shape[-1] != 7:
        raise ModelError(
            f"'{path.name}' gives {tuple(out.shape)}, not [batch, frames, 7] powerset scores "
            "of three speakers (at most two at once)."
        )
    meta = session.get_modelmeta().custom_metadata_map
    step = int(meta.get("receptive_field_shift", FRAME_STEP))
    size = int(meta.get("receptive_field_size", FRAME_SIZE))
    frames = int(out.shape[1])
    if 1 + (window - size) // step != frames:  # not pyannote's geometry: spread evenly
        step, size = window // frames, window // frames
    return {"input": name_in, "output": name_out, "frame_step": step, "frame_size": size}


def install_segmentation_entry(
    entry: CatalogEntry | str,
    state: Progress,
    root: Path | None = None,
    python: str | None = None,
    token: str | None = None,
) -> SegmentationModel:
    """Download a catalog entry of architecture ``segmentation`` and install it under
    ``models/speakers/<id>/`` (resumable: a stopped download continues)."""
    from desktop_app.modelbuild.launcher import run_modelbuild

    entry = get_entry(entry) if isinstance(entry, str) else entry
    if entry.architecture != KIND:
        raise ModelError(f"'{entry.id}' is not a segmentation model.")
    base = root or speakers_root()
    download = base / DOWNLOADS / entry.id
    download.mkdir(parents=True, exist_ok=True)
    args = ["download-hub", entry.repo_id, str(download)]
    args += ["--revision", entry.revision] if entry.revision else []
    for pattern in entry.allow_patterns or ("*.onnx",):
        args += ["--pattern", pattern]
    state.set_progress(0.0, f"Downloading {entry.name}")
    env = {"HF_TOKEN": token} if token else None
    result = run_modelbuild(args, SubState(state, 0.0, 0.9), python=python, env=env)
    files = [f for f in result.get("files", []) if isinstance(f, dict)]
    graphs = [f["name"] for f in files if str(f.get("name", "")).endswith(".onnx")]
    if len(graphs) != 1:
        raise ModelError(f"'{entry.repo_id}' should give one ONNX graph, not {len(graphs)}.")
    state.set_progress(0.9, "Checking the model")
    info = probe_graph(download / graphs[0])
    folder = base / entry.id
    staging = base / f".{entry.id}.new"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    shutil.copyfile(download / graphs[0], staging / FILE)
    commit = str(result.get("commit") or "")
    model = SegmentationModel(
        id=entry.id,
        name=entry.name,
        folder=staging,
        source=f"{entry.repo_id}@{commit}" if commit else entry.ref(),
        license=entry.license,
        catalog_id=entry.id,
        source_files=files,
        **info,
    )
    write_segmentation_manifest(model)
    shutil.rmtree(folder, ignore_errors=True)
    staging.replace(folder)
    shutil.rmtree(download, ignore_errors=True)
    state.set_progress(1.0, f"Installed {entry.name}")
    return find_segmentation_model(entry.id, base)
