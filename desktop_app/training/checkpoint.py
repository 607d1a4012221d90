"""Training checkpoints: written atomically, checked before resuming.

``checkpoints/step-000120/`` holds ``weights.pt`` (the trainable tensors
only), ``optimizer.pt``, ``scheduler.pt`` and ``state.json`` (step, epoch,
history, best dev WER, the config's fingerprint and the SHA-256 of each
file). A checkpoint is built under a hidden name and renamed when complete;
one whose files do not match their checksums is refused with a clear error,
never loaded.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from desktop_app.core.learning.checkpoints import (
    BEST,
    CheckpointError,
    TrainerState,
    step_checkpoints,
    verify,
)
from desktop_app.core.learning.checkpoints import sha256 as _sha256

__all__ = [
    "BEST",
    "CheckpointError",
    "TrainerState",
    "config_fingerprint",
    "load_tensors",
    "prune",
    "save",
    "step_checkpoints",
    "verify",
]

FILES = ("weights.pt", "optimizer.pt", "scheduler.pt")


def config_fingerprint(config: Mapping[str, Any], data_manifest: Path, base: Path) -> str:
    # What only steers device, speed or which checkpoint is kept may change on resume.
    free = ("device", "threads", "patience", "select_by")
    relevant = {k: v for k, v in config.items() if k not in free}
    text = json.dumps(
        {"config": relevant, "data": _sha256(data_manifest), "base": str(base.resolve())},
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def save(
    folder: Path,
    name: str,
    weights: Mapping[str, torch.Tensor],
    state: TrainerState,
    optimizer: Any = None,
    scheduler: Any = None,
) -> Path:
    """Write ``folder/name`` atomically (replacing an older one of that name)."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    torch.save({k: v.detach().cpu() for k, v in weights.items()}, tmp / "weights.pt")
    if optimizer is not None:
        torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
    if scheduler is not None:
        torch.save(scheduler.state_dict(), tmp / "scheduler.pt")
    files = {f: _sha256(tmp / f) for f in FILES if (tmp / f).is_file()}
    payload = {"trainer": state.__dict__, "files": files}
    (tmp / "state.json").write_text(json.dumps(payload, indent=1), encoding="utf-8")
    target = folder / name
    old = folder / f".{name}.old"
    if target.exists():
        target.replace(old)
    tmp.replace(target)
    shutil.rmtree(old, ignore_errors=True)
    return target


def load_tensors(path: Path, name: str) -> Any:
    try:
        return torch.load(path / name, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds for bad pickles/zips
        raise CheckpointError(f"The checkpoint '{path.name}' cannot be read ({exc}).") from exc


def prune(folder: Path, keep: int) -> None:
    for old in step_checkpoints(folder)[:-keep] if keep > 0 else []:
        shutil.rmtree(old, ignore_errors=True)
