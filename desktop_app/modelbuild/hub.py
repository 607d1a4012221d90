"""Download a Whisper repository from the Hugging Face Hub (build subprocess only)."""

from __future__ import annotations

from pathlib import Path

from desktop_app.core.errors import ModelError

#: Enough for HF, CTranslate2 (faster-whisper) and ONNX (onnx-community) repositories,
#: without TensorFlow/Flax weights or the many quantised ONNX variants.
ALLOW_PATTERNS = [
    "*.json",
    "*.txt",
    "*.safetensors",
    "model.bin",
    "pytorch_model*.bin",
    "encoder_model.onnx*",
    "decoder_model_merged.onnx*",
    "onnx/encoder_model.onnx*",
    "onnx/decoder_model_merged.onnx*",
]


def download(repo_id: str, out_dir: str | Path, revision: str | None = None) -> Path:
    """Snapshot ``repo_id`` into ``out_dir``; raise ModelError with the reason on failure."""
    try:
        from huggingface_hub import snapshot_download
    except ImportError as exc:
        raise ModelError(
            "Downloading models needs huggingface_hub: pip install 'jazba[train]'."
        ) from exc
    try:
        path = snapshot_download(
            repo_id, revision=revision, local_dir=str(out_dir), allow_patterns=ALLOW_PATTERNS
        )
    except Exception as exc:  # hub errors are many (offline, 404, gated); show the reason.
        raise ModelError(f"Cannot download '{repo_id}' from the Hugging Face Hub: {exc}") from exc
    return Path(path)
