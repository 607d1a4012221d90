"""Merge a PEFT LoRA adapter into its base Whisper checkpoint (build subprocess only).

Some Kazakh models are published as adapters (``adapter_config.json`` +
``adapter_model.safetensors``) on top of a full fine-tune. ONNX export needs
one plain checkpoint, so the adapter's low-rank updates are folded into the
base weights (``merge_and_unload``) and saved with the base's tokenizer and
feature extractor (an adapter repository usually has none).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from desktop_app.core.errors import ModelError
from desktop_app.core.learning.checkpoints import PROCESSOR_FILES


def merge_lora(base: str | Path, adapter: str | Path, out: str | Path) -> Path:
    """Write the merged checkpoint to ``out``; :class:`ModelError` when it cannot be done."""
    base, adapter, out = Path(base), Path(adapter), Path(out)
    config = adapter / "adapter_config.json"
    if not config.is_file():
        raise ModelError(f"'{adapter.name}' has no adapter_config.json: it is not a LoRA adapter.")
    try:
        peft_type = json.loads(config.read_text("utf-8")).get("peft_type", "LORA")
    except ValueError as exc:
        raise ModelError(f"Cannot read the adapter's configuration ({exc}).") from exc
    if str(peft_type).upper() != "LORA":
        raise ModelError(f"The adapter is of type {peft_type}; only LoRA adapters can be merged.")
    import torch
    from peft import PeftModel
    from transformers import WhisperForConditionalGeneration

    model = WhisperForConditionalGeneration.from_pretrained(base, torch_dtype=torch.float32)
    merged = PeftModel.from_pretrained(model, adapter).merge_and_unload()
    out.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(out)
    for name in PROCESSOR_FILES:  # from the adapter's folder when it has them
        src = adapter / name if (adapter / name).is_file() else base / name
        if src.is_file():
            shutil.copyfile(src, out / name)
    return out
