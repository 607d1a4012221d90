"""Fine-tuning parameters: one dataclass, written as JSON for the training process.

Defaults suit a few hundred approved segments on a laptop: a low learning
rate with warm-up, a handful of epochs, SpecAugment on the input features,
early stopping when the dev WER stops improving, and the best checkpoint (not
the last) kept.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Literal

from desktop_app.core.errors import JazbaError

Method = Literal["full", "lora"]
Precision = Literal["auto", "fp32", "bf16", "fp16"]
SelectBy = Literal["auto", "wer", "cer"]


@dataclass(frozen=True)
class FinetuneConfig:
    method: Method = "full"  # or "lora" (peft; merged into the weights afterwards)
    freeze_encoder: bool = False
    # With a frozen encoder and no SpecAugment, encoder outputs are computed
    # once per clip and reused every epoch (far faster on a CPU).
    cache_encoder: bool = True
    epochs: float = 5.0
    max_steps: int | None = None  # overrides epochs
    batch_size: int = 8
    grad_accum: int = 1
    learning_rate: float | None = None  # None: 1e-5 full, 1e-3 LoRA, 3e-5 frozen encoder
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    spec_augment: bool = True
    mask_time_prob: float = 0.05
    mask_feature_prob: float = 0.05
    eval_every: int | None = None  # steps; None: once per epoch
    patience: int = 3  # evaluations without dev improvement before stopping
    # The dev score that picks the kept checkpoint and stops early. CER moves in
    # finer steps: better on a dev set of a few dozen words, or while the WER is
    # still above 100 % (one split word then outweighs every letter put right).
    # "auto" (see resolve_select_by): CER when teaching from text, else WER.
    select_by: SelectBy = "auto"
    checkpoint_every: int | None = None  # steps; None: at every evaluation
    keep_checkpoints: int = 2
    language: str = "kk"
    device: str = "auto"  # auto, cpu, cuda
    # auto: bf16 on GPUs and CPUs that have it (AVX512-BF16/AMX), fp16 on other GPUs, else fp32
    precision: Precision = "auto"
    threads: int | None = None
    seed: int = 13
    max_label_tokens: int = 200
    # Share of clips trained with <|0.00|> … <|end|> timestamps (keeps segmentation working).
    timestamp_fraction: float = 0.5
    # Text bootstrap: most of each epoch that synthetic clips may make when real
    # (approved) clips exist; a fresh subset of them each epoch, while every real clip
    # is in every epoch (so each real clip still weighs more than each synthetic one).
    # At 0.5 the words of the text were heard too rarely to be learnt next to 44 real
    # clips (benchmarks/text_bootstrap.py, "both": no WER gain; 0.7: -33 %).
    synthetic_share: float = 0.7

    def __post_init__(self) -> None:
        if self.method not in ("full", "lora"):
            raise JazbaError(f"Unknown fine-tuning method '{self.method}' (full or lora).")
        if self.batch_size < 1 or self.grad_accum < 1:
            raise JazbaError("Batch size and gradient accumulation must be at least 1.")
        if self.epochs <= 0 and not self.max_steps:
            raise JazbaError("Train for at least one step (epochs or max steps).")
        if self.precision not in ("auto", "fp32", "bf16", "fp16"):
            raise JazbaError(f"Unknown precision '{self.precision}'.")
        if not 0 < self.synthetic_share <= 1:
            raise JazbaError("The synthetic share of an epoch must be above 0 and at most 1.")
        if self.select_by not in ("auto", "wer", "cer"):
            raise JazbaError(
                f"Choose checkpoints by dev 'wer', 'cer' or 'auto', not '{self.select_by}'."
            )

    @property
    def lr(self) -> float:
        if self.learning_rate is not None:
            return self.learning_rate
        if self.method == "lora":
            return 1e-3
        return 3e-5 if self.freeze_encoder else 1e-5

    @property
    def uses_encoder_cache(self) -> bool:
        return self.freeze_encoder and self.cache_encoder and not self.spec_augment

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FinetuneConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise JazbaError(f"Unknown fine-tuning settings: {', '.join(unknown)}.")
        return cls(**data)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> FinetuneConfig:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def resolve_select_by(select_by: str, has_synthetic: bool) -> str:
    """The dev score that really chooses checkpoints: ``select_by`` unless "auto".

    "auto" is CER when the training data holds clips synthesised from text: the
    dev set is real speech that cannot hold the text's new words, and while the
    model still gets most words wrong (WER near or above 100 %) the WER ranks
    checkpoints by noise and stops training before the new words are heard often
    enough; the CER still moves. Without synthetic clips it is WER, as always.
    """
    if select_by != "auto":
        return select_by
    return "cer" if has_synthetic else "wer"
