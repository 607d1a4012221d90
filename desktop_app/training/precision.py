"""Which mixed precision a fine-tune runs in, from the settings and the hardware."""

from __future__ import annotations

import torch

from desktop_app.core.learning.config import FinetuneConfig


def cpu_has_bf16() -> bool:
    """Whether the CPU does bf16 arithmetic natively (AVX512-BF16 or AMX).

    There bf16 autocast makes the decoder's matrix products several times
    faster; elsewhere it would be emulated and slower than fp32.
    """
    for probe in ("_is_amx_tile_supported", "_is_avx512_bf16_supported"):
        check = getattr(torch.cpu, probe, None)
        try:
            if check is not None and check():
                return True
        except RuntimeError:  # pragma: no cover - a probe the build lacks
            continue
    return False


def mixed_precision(config: FinetuneConfig, cuda: bool) -> str:
    """Accelerate's ``mixed_precision``: auto is bf16 where the hardware has it, else fp16/fp32."""
    if config.precision != "auto":
        return "no" if config.precision == "fp32" else config.precision
    if not cuda:
        return "bf16" if cpu_has_bf16() else "no"
    return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
