"""Installed neural voices: one folder each under ``<models>/tts/<id>/``.

A folder holds a Hugging Face VITS checkpoint (``config.json``,
``model.safetensors``, the tokenizer's ``vocab.json`` and configs; never a
pickle), a ``manifest.json`` with every file's size and SHA-256, where it
came from, its licence and sampling rate, and a ``model_card.md``. Reading a
voice checks its files against the manifest, so a damaged one is refused
before any synthesis starts. No torch here.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from desktop_app.core.errors import ModelError
from desktop_app.core.paths import models_dir

log = logging.getLogger(__name__)

TTS_DIR = "tts"
MANIFEST = "manifest.json"
CARD = "model_card.md"
#: The files a VITS voice is made of (safetensors weights only: nothing is unpickled).
VITS_FILES = (
    "config.json",
    "model.safetensors",
    "vocab.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
)
REQUIRED = ("config.json", "model.safetensors", "vocab.json")
_CHUNK = 1 << 20


@dataclass
class VoiceManifest:
    """What ``manifest.json`` says about an installed voice."""

    id: str
    name: str
    kind: str  # "vits"
    license: str
    languages: list[str]
    sampling_rate: int
    source_ref: str  # repo@commit
    catalog_id: str | None = None
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> size, sha256
    source_files: list[dict[str, Any]] = field(default_factory=list)  # as downloaded, checked
    created_at: str = ""

    @property
    def non_commercial(self) -> bool:
        return "-nc" in self.license.lower()

    @property
    def weights_sha256(self) -> str:
        return str(self.files.get("model.safetensors", {}).get("sha256", ""))


def tts_root(models_root: Path | None = None) -> Path:
    return (models_root if models_root is not None else models_dir()) / TTS_DIR


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def hash_files(folder: Path, names: list[str]) -> dict[str, dict[str, Any]]:
    return {
        n: {"size": (folder / n).stat().st_size, "sha256": sha256_of(folder / n)} for n in names
    }


def write_manifest(folder: Path, manifest: VoiceManifest) -> None:
    tmp = folder / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(asdict(manifest), ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(folder / MANIFEST)


def read_manifest(folder: Path) -> VoiceManifest:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        return VoiceManifest(**data)
    except (OSError, ValueError, TypeError) as exc:
        raise ModelError(f"The voice in '{folder.name}' has no readable manifest.") from exc


def verify(folder: Path) -> VoiceManifest:
    """The manifest, once every file matches its size and SHA-256; :class:`ModelError`
    naming the first that does not."""
    manifest = read_manifest(folder)
    for name in REQUIRED:
        if name not in manifest.files:
            raise ModelError(f"The voice '{manifest.name}' lacks {name}; install it again.")
    for name, info in manifest.files.items():
        path = folder / name
        if not path.is_file():
            raise ModelError(f"The voice '{manifest.name}' lacks {name}; install it again.")
        if path.stat().st_size != info.get("size") or sha256_of(path) != info.get("sha256"):
            raise ModelError(
                f"The voice '{manifest.name}' is damaged: {name} does not match its checksum. "
                "Install it again."
            )
    return manifest


def installed_voices(models_root: Path | None = None) -> list[VoiceManifest]:
    """Installed voices by id (unreadable folders are logged and skipped; not verified)."""
    root = tts_root(models_root)
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(root.iterdir()):
        if folder.name.startswith(".") or not (folder / MANIFEST).is_file():
            continue
        try:
            found.append(read_manifest(folder))
        except ModelError as exc:
            log.warning("Skipping voice folder %s: %s", folder, exc)
    return found


def voice_folder(voice_id: str, models_root: Path | None = None) -> Path:
    """The folder of an installed voice; :class:`ModelError` naming those installed."""
    if not voice_id or "/" in voice_id or "\\" in voice_id or voice_id.startswith("."):
        raise ModelError(f"'{voice_id}' is not a valid voice id.")
    folder = tts_root(models_root) / voice_id
    if not (folder / MANIFEST).is_file():
        known = ", ".join(v.id for v in installed_voices(models_root)) or "none"
        raise ModelError(f"No voice '{voice_id}' is installed (installed: {known}).")
    return folder


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
