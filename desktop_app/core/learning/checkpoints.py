"""Training checkpoints as the app sees them: listed and checked without PyTorch.

A checkpoint folder (``checkpoints/step-000120/``, written by
``desktop_app.training.checkpoint``) has ``state.json`` with the trainer's
state and the SHA-256 of each tensor file. :func:`verify` checks them, so a
damaged checkpoint is refused before a training process is even started.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from desktop_app.core.errors import ModelError

BEST = "best"
#: A Whisper checkpoint's processor files: copied from the model a new checkpoint
#: came from (fine-tuning, merging an adapter), since saving weights omits them.
PROCESSOR_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.json",
    "merges.txt",
    "normalizer.json",
    "preprocessor_config.json",
    "generation_config.json",
)


class CheckpointError(ModelError):
    """A checkpoint is damaged or belongs to another run."""


@dataclass
class TrainerState:
    step: int = 0
    epoch: int = 0
    batch_in_epoch: int = 0
    best_dev_wer: float | None = None  # the dev WER and CER of the kept checkpoint
    best_dev_cer: float | None = None
    best_score: float | None = None  # what chose it (config.select_by)
    best_step: int | None = None
    evals_without_gain: int = 0
    history: list[dict[str, float]] = field(default_factory=list)  # one row per evaluation
    losses: list[list[float]] = field(default_factory=list)  # [step, loss] of every update
    config_hash: str = ""


def record_evaluation(
    state: TrainerState, dev: dict[str, float], select_by: str, patience: int
) -> tuple[bool, bool]:
    """Note one dev evaluation in ``state``: (is it the new best, should training stop).

    ``select_by`` ("wer" or "cer") names the score that decides; the kept
    checkpoint's WER and CER are both remembered for the model card.
    """
    score = dev[f"dev_{select_by}"]
    if state.best_score is None and select_by == "wer":
        state.best_score = state.best_dev_wer  # a checkpoint written before best_score
    if state.best_score is None or score < state.best_score - 1e-9:
        state.best_score, state.best_step, state.evals_without_gain = score, state.step, 0
        state.best_dev_wer, state.best_dev_cer = dev["dev_wer"], dev["dev_cer"]
        return True, False
    state.evals_without_gain += 1
    return False, state.evals_without_gain >= patience


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def step_checkpoints(folder: Path) -> list[Path]:
    """Complete ``step-*`` checkpoints, oldest first (half-written ones are hidden)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("step-*") if p.is_dir())


def verify(path: Path) -> tuple[TrainerState, dict[str, str]]:
    """Read ``state.json`` and check every file; raise :class:`CheckpointError` if damaged."""
    what = f"The checkpoint '{path.name}' ({path})"
    try:
        payload = json.loads((path / "state.json").read_text(encoding="utf-8"))
        state = TrainerState(**payload["trainer"])
        files = dict(payload["files"])
    except FileNotFoundError as exc:
        raise CheckpointError(f"{what} is incomplete: state.json is missing.") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"{what} is damaged: state.json is unreadable ({exc}).") from exc
    if "weights.pt" not in files:
        raise CheckpointError(f"{what} holds no weights.")
    for name, digest in files.items():
        file = path / name
        if not file.is_file():
            raise CheckpointError(f"{what} is incomplete: {name} is missing.")
        if sha256(file) != digest:
            raise CheckpointError(
                f"{what} is damaged: {name} does not match its checksum. Delete the checkpoint "
                "(or the whole run) and train again; the installed models were not changed."
            )
    return state, files


def verify_run(checkpoints: Path) -> TrainerState | None:
    """Check the latest checkpoint (and the best one) of a run; None when there is none."""
    found = step_checkpoints(checkpoints)
    if not found:
        return None
    state, _ = verify(found[-1])
    if (checkpoints / BEST).is_dir():
        verify(checkpoints / BEST)
    return state
