"""Pieces the learning-loop benchmarks share: the parent model, the settings, progress lines.

Used by ``learning_loop.py`` (speech only) and ``text_bootstrap.py`` (speech,
text, both); each keeps its own protocol.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def install_parent(work: Path) -> tuple[Any, Any] | None:
    """A throwaway registry under ``work`` holding the installed default Whisper base.

    Runs and base weights go under ``work/data``. None when the default model
    is not installed (in the user's registry or ``JAZBA_PREBUILT_MODELS``).
    """
    from desktop_app.core.paths import models_dir

    installed_root = Path(os.environ.get("JAZBA_PREBUILT_MODELS") or models_dir())
    os.environ["JAZBA_DATA_DIR"] = str(work / "data")
    from desktop_app.asr.manifest import ModelSource
    from desktop_app.asr.registry import ModelRegistry

    installed = ModelRegistry(installed_root)
    defaults = [m for m in installed.versions() if m.source == ModelSource.PYPI_DEFAULT]
    if not defaults:
        print("The default model is not installed: run 'jazba models install-default'.")
        return None
    registry = ModelRegistry(work / "models")
    parent = registry.import_onnx_dir(
        installed.path(defaults[-1].id), name="Whisper base", source=ModelSource.PYPI_DEFAULT,
    )  # fmt: skip
    return registry, parent


def benchmark_config(args: Any, **changes: Any) -> Any:
    """The decoder-only, cached-encoder fine-tune both benchmarks run on a CPU."""
    from desktop_app.core.learning.config import FinetuneConfig

    base = dict(
        method=args.method, freeze_encoder=True, spec_augment=False, epochs=args.epochs,
        batch_size=16, learning_rate=args.lr, warmup_ratio=0.1, patience=3,
        select_by=args.select_by, threads=args.threads, device="cpu",
    )  # fmt: skip
    return FinetuneConfig(**{**base, **changes})


def printers(t0: float) -> tuple[Callable[[Any], None], Callable[[float, str], None]]:
    """``(on_message, on_progress)`` printing dev WER, a loss now and then, and phases."""
    from desktop_app.modelbuild.protocol import MetricsMsg

    last = [0.0]

    def show(msg: Any) -> None:
        if isinstance(msg, MetricsMsg) and "dev_wer" in msg.values:
            print(f"  step {msg.step}: dev WER {100 * msg.values['dev_wer']:.1f} %", flush=True)
        elif isinstance(msg, MetricsMsg) and time.monotonic() - last[0] > 30:
            last[0] = time.monotonic()
            print(f"  step {msg.step}: loss {msg.values.get('loss', 0):.3f}", flush=True)

    def progress(fraction: float, text: str) -> None:
        if text and not text.startswith(("Step", "Synthesising")):
            print(f"[{(time.monotonic() - t0) / 60:5.1f} min] {100 * fraction:3.0f} % {text}",
                  flush=True)  # fmt: skip

    return show, progress


def scores(before: Any, after: Any) -> dict[str, Any]:
    """Before/after WER, CER and hallucination-like counts of one case, and the reductions."""
    from desktop_app.core.learning.metrics import relative_reduction

    return {
        "before": {"wer": before.wer, "cer": before.cer, "hallucinations": before.hallucinations},
        "after": {"wer": after.wer, "cer": after.cer, "hallucinations": after.hallucinations},
        "relative_wer_reduction": relative_reduction(before.wer, after.wer),
        "relative_cer_reduction": relative_reduction(before.cer, after.cer),
        "clips": after.n,
    }
