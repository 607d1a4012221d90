"""Speaker-embedding models on disk, apart from the ASR versions.

    models/speakers/
      ge2e/
        speaker_model.json   id, name, source, licence, embedding size, front end,
                             input/output names, sha256 of each file
        ge2e.onnx            mels (batch, frames, 40) -> embedding (batch, 256), L2-normed
      wespeaker-resnet34-lm/ (from the model catalog, when online)
        speaker_model.json
        voxceleb_resnet34_LM.onnx   feats (batch, frames, 80) -> embs (batch, 256)

The GE2E folder is built by the model-build subprocess from the weights in the
``resemblyzer`` wheel (``python -m desktop_app.modelbuild install-speaker-model``);
:func:`ensure_speaker_model` builds it on first use. Nothing is downloaded for it.
Stronger models come from the catalog (:mod:`desktop_app.speakers.hub_install`).
Each model names its ``frontend``: ``"ge2e-mel40"`` (:mod:`.mel`) or
``"kaldi-fbank80"`` (:mod:`.fbank`, mean-normalised per window).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop_app.asr.manifest import now_iso, sha256_file
from desktop_app.core.errors import ModelError
from desktop_app.core.jobs import Progress
from desktop_app.core.paths import models_dir

SUBDIR = "speakers"
MANIFEST = "speaker_model.json"
FORMAT = "jazba-speaker/1"
GE2E_ID = "ge2e"
GE2E_FILE = "ge2e.onnx"
INPUT = "mels"
OUTPUT = "embedding"
EMBEDDING_DIM = 256
WINDOW_FRAMES = 160  # the 1.6 s partial utterances GE2E was trained on
GE2E_FRONTEND = "ge2e-mel40"
KALDI_FRONTEND = "kaldi-fbank80"
FRONTENDS = (GE2E_FRONTEND, KALDI_FRONTEND)


@dataclass(frozen=True)
class SpeakerModel:
    id: str
    name: str
    folder: Path
    file: str
    embedding_dim: int
    source: str = ""
    license: str = ""
    files: dict[str, str] = field(default_factory=dict)  # name -> sha256
    parity: dict[str, Any] = field(default_factory=dict)
    frontend: str = GE2E_FRONTEND
    input: str = INPUT
    output: str = OUTPUT
    catalog_id: str | None = None
    frontend_options: dict[str, Any] = field(default_factory=dict)  # e.g. {"window": "povey"}

    @property
    def path(self) -> Path:
        return self.folder / self.file


def speakers_root() -> Path:
    return models_dir() / SUBDIR


def write_speaker_manifest(
    folder: Path,
    *,
    model_id: str,
    name: str,
    source: str,
    license: str,
    parity: dict[str, Any],
    file: str = GE2E_FILE,
    embedding_dim: int = EMBEDDING_DIM,
    frontend: str = GE2E_FRONTEND,
    input: str = INPUT,
    output: str = OUTPUT,
    catalog_id: str | None = None,
    frontend_options: dict[str, Any] | None = None,
    extra_files: tuple[str, ...] = (),
) -> None:
    data = {
        "format": FORMAT,
        "id": model_id,
        "name": name,
        "file": file,
        "embedding_dim": embedding_dim,
        "source": source,
        "license": license,
        "created": now_iso(),
        "frontend": frontend,
        "frontend_options": dict(frontend_options or {}),
        "input": input,
        "output": output,
        "catalog_id": catalog_id,
        "files": {name: sha256_file(folder / name) for name in (file, *extra_files)},
        "parity": parity,
    }
    (folder / MANIFEST).write_text(json.dumps(data, indent=2, ensure_ascii=False), "utf-8")


def read_manifest(folder: Path, kind: str = "speaker") -> dict[str, Any]:
    """The manifest of a model under ``models/speakers/``, refused unless it is a Jazba
    manifest of ``kind`` (speaker models and segmentation models share the folder and
    the file name; a manifest without a kind is a speaker model's)."""
    try:
        data = json.loads((folder / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"The {kind} model in {folder} has no readable {MANIFEST}.") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ModelError(f"{folder / MANIFEST} is not a Jazba {kind} model ({FORMAT}).")
    found = data.get("kind", "speaker")
    if found != kind:
        raise ModelError(f"{folder / MANIFEST} is a {found} model, not a {kind} model.")
    return data


def read_speaker_model(folder: Path) -> SpeakerModel:
    data = read_manifest(folder)
    if data.get("frontend", GE2E_FRONTEND) not in FRONTENDS:
        raise ModelError(
            f"The speaker model in {folder} needs the front end '{data.get('frontend')}', "
            "which this Jazba does not have; update Jazba."
        )
    return SpeakerModel(
        id=str(data["id"]),
        name=str(data.get("name", data["id"])),
        folder=folder,
        file=str(data["file"]),
        embedding_dim=int(data["embedding_dim"]),
        source=str(data.get("source", "")),
        license=str(data.get("license", "")),
        files=dict(data.get("files", {})),
        parity=dict(data.get("parity", {})),
        frontend=str(data.get("frontend", GE2E_FRONTEND)),
        input=str(data.get("input", INPUT)),
        output=str(data.get("output", OUTPUT)),
        catalog_id=data.get("catalog_id") or None,
        frontend_options=dict(data.get("frontend_options") or {}),
    )


def find_speaker_model(model_id: str = GE2E_ID, root: Path | None = None) -> SpeakerModel | None:
    folder = (root or speakers_root()) / model_id
    if not (folder / MANIFEST).is_file():
        return None
    return read_speaker_model(folder)


def verify_speaker_model(model: SpeakerModel) -> None:
    """Raise :class:`ModelError` when a file is missing or its sha256 differs."""
    for name, digest in model.files.items():
        path = model.folder / name
        if not path.is_file():
            raise ModelError(f"The speaker model file {name} is missing in {model.folder}.")
        if sha256_file(path) != digest:
            raise ModelError(
                f"The speaker model file {name} is damaged; install the speaker model "
                f"'{model.id}' again.",
                cli=f"Run 'jazba speakers install-model {model.id} --force'.",
            )


def install_speaker_model(
    state: Progress, root: Path | None = None, python: str | None = None
) -> SpeakerModel:
    """Build the GE2E encoder in the model-build subprocess (PyTorch) and install it."""
    from desktop_app.modelbuild.launcher import run_modelbuild

    folder = (root or speakers_root()) / GE2E_ID
    run_modelbuild(["install-speaker-model", str(folder)], state, python=python)
    model = read_speaker_model(folder)
    verify_speaker_model(model)
    return model


def ensure_speaker_model(state: Progress, root: Path | None = None) -> SpeakerModel:
    """The installed GE2E encoder, built first when it is not there yet."""
    found = find_speaker_model(GE2E_ID, root)
    return found if found is not None else install_speaker_model(state, root)


def list_speaker_models(root: Path | None = None) -> list[SpeakerModel]:
    """The installed speaker models (unreadable folders are skipped), GE2E first."""
    base = root or speakers_root()
    if not base.is_dir():
        return []
    found = []
    for folder in sorted(base.iterdir()):
        if folder.name.startswith(".") or not (folder / MANIFEST).is_file():
            continue
        try:
            found.append(read_speaker_model(folder))
        except ModelError:
            continue
    return sorted(found, key=lambda m: (m.id != GE2E_ID, m.id))


def best_speaker_model(root: Path | None = None) -> SpeakerModel | None:
    """The model to use when none is named: one from the catalog (stronger than the
    offline GE2E encoder) when installed, the catalog's order deciding between them;
    else GE2E; None when nothing is installed."""
    models = list_speaker_models(root)
    stronger = [m for m in models if m.id != GE2E_ID]
    if stronger:
        from desktop_app.asr.catalog import load_catalog

        order = {e.id: i for i, e in enumerate(load_catalog())}
        return min(stronger, key=lambda m: (order.get(m.catalog_id or m.id, len(order)), m.id))
    return models[0] if models else None


def choose_speaker_model(
    model_id: str | None, state: Progress, root: Path | None = None
) -> SpeakerModel:
    """The speaker model ``model_id`` (installed, checked), or with None the best one
    installed (GE2E is built when nothing is installed)."""
    if model_id is None:
        model = best_speaker_model(root)
        if model is None:
            return ensure_speaker_model(state, root)
        verify_speaker_model(model)
        return model
    if model_id == GE2E_ID:
        return ensure_speaker_model(state, root)
    model = find_speaker_model(model_id, root)
    if model is None:
        known = ", ".join(m.id for m in list_speaker_models(root)) or "none"
        raise ModelError(
            f"The speaker model '{model_id}' is not installed (installed: {known}). "
            "Install it from the model catalog first.",
            cli=f"Run 'jazba speakers install-model {model_id}'.",
        )
    verify_speaker_model(model)
    return model
