"""Speaker-embedding models on disk, apart from the ASR versions.

    models/speakers/
      ge2e/
        speaker_model.json   id, name, source, licence, embedding size, sha256 of each file
        ge2e.onnx            mels (batch, frames, 40) -> embedding (batch, 256), L2-normed

The GE2E folder is built by the model-build subprocess from the weights in the
``resemblyzer`` wheel (``python -m desktop_app.modelbuild install-speaker-model``);
:func:`ensure_speaker_model` builds it on first use. Nothing is downloaded.
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
        "files": {file: sha256_file(folder / file)},
        "parity": parity,
    }
    (folder / MANIFEST).write_text(json.dumps(data, indent=2, ensure_ascii=False), "utf-8")


def read_speaker_model(folder: Path) -> SpeakerModel:
    try:
        data = json.loads((folder / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"The speaker model in {folder} has no readable {MANIFEST}.") from exc
    if data.get("format") != FORMAT:
        raise ModelError(f"{folder / MANIFEST} is not a Jazba speaker model ({FORMAT}).")
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
                f"The speaker model file {name} is damaged; install the speaker model again.",
                cli="Run 'jazba speakers install-model --force'.",
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
