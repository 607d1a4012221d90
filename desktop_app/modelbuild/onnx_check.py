"""Reference checks of an exported ONNX folder (build-time only).

A minimal greedy decoder over ``encoder_model.onnx`` + ``decoder_model_merged.onnx``
used to validate exports against PyTorch and CTranslate2. The application's
decoder lives in :mod:`desktop_app.asr`; this one exists so the build can test
its own output without depending on it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop_app.modelbuild.export_onnx import DECODER, ENCODER


@dataclass(frozen=True)
class TorchComparison:
    """How far ONNX is from PyTorch on a fixed input."""

    max_encoder_diff: float
    max_logit_diff: float
    tokens_hf: list[int]
    tokens_onnx: list[int]


class OnnxGreedy:
    """Greedy decoding with the merged decoder and its key/value cache."""

    def __init__(self, onnx_dir: str | Path, decoder: str = DECODER) -> None:
        import onnxruntime as ort

        folder = Path(onnx_dir)
        options = ort.SessionOptions()
        options.log_severity_level = 3
        providers = ["CPUExecutionProvider"]
        self.encoder = ort.InferenceSession(folder / ENCODER, options, providers=providers)
        self.decoder = ort.InferenceSession(folder / decoder, options, providers=providers)
        config = json.loads((folder / "config.json").read_text("utf-8"))
        self.eos = int(config["eos_token_id"])
        self.past_names = [i.name for i in self.decoder.get_inputs() if i.name.startswith("past")]
        self.heads = int(config["decoder_attention_heads"])
        self.head_dim = int(config["d_model"]) // self.heads

    def encode(self, features: np.ndarray) -> np.ndarray:
        return self.encoder.run(None, {"input_features": features})[0]

    def steps(
        self, encoded: np.ndarray, prompt: list[int], max_new_tokens: int, stop_at_eos: bool = True
    ) -> Iterator[tuple[np.ndarray, int]]:
        """Yield ``(logits of the last position, next token)`` per step."""
        batch = encoded.shape[0]
        empty = np.zeros((batch, self.heads, 0, self.head_dim), dtype=np.float32)
        past = dict.fromkeys(self.past_names, empty)
        ids = np.array([prompt] * batch, dtype=np.int64)
        use_cache = False
        for _ in range(max_new_tokens):
            outputs = self.decoder.run(
                None,
                {
                    "input_ids": ids,
                    "encoder_hidden_states": encoded,
                    "use_cache_branch": np.array([use_cache]),
                    **past,
                },
            )
            names = [o.name for o in self.decoder.get_outputs()]
            logits = outputs[0][:, -1]
            for name, value in zip(names[1:], outputs[1:], strict=True):
                key = name.replace("present", "past_key_values")
                # On cached steps the merged decoder passes encoder keys through unchanged.
                if not (use_cache and ".encoder." in key):
                    past[key] = value
            next_id = int(logits[0].argmax())
            yield logits, next_id
            if stop_at_eos and next_id == self.eos:
                return
            ids = np.array([[next_id]] * batch, dtype=np.int64)
            use_cache = True

    def greedy(
        self, features: np.ndarray, prompt: list[int], max_new_tokens: int = 200
    ) -> list[int]:
        tokens = [tok for _, tok in self.steps(self.encode(features), prompt, max_new_tokens)]
        return tokens[:-1] if tokens and tokens[-1] == self.eos else tokens


def fixed_features(num_mel_bins: int, seed: int = 0) -> np.ndarray:
    """Deterministic speech-like log-mel input ``(1, n_mels, 3000)`` in Whisper's range."""
    rng = np.random.default_rng(seed)
    base = rng.normal(-0.2, 0.35, size=(1, num_mel_bins, 3000)).astype(np.float32)
    return np.clip(base, -1.0, 1.5)


def compare_with_torch(hf_dir: str | Path, onnx_dir: str | Path, steps: int = 6) -> TorchComparison:
    """Run both models greedily for ``steps`` tokens on :func:`fixed_features`.

    Decoding goes on past EOS so the cached branch of the merged decoder is
    exercised whatever the input.
    """
    import torch
    from transformers import WhisperForConditionalGeneration

    model = WhisperForConditionalGeneration.from_pretrained(hf_dir).eval()
    features = fixed_features(model.config.num_mel_bins)
    prompt = [int(model.config.decoder_start_token_id)]
    onnx = OnnxGreedy(onnx_dir)
    encoded_onnx = onnx.encode(features)
    onnx_steps = list(onnx.steps(encoded_onnx, prompt, steps, stop_at_eos=False))
    tokens_onnx = [tok for _, tok in onnx_steps]

    with torch.inference_mode():
        encoded = model.model.encoder(torch.from_numpy(features)).last_hidden_state
        ids = torch.tensor([prompt])
        max_logit, tokens_hf = 0.0, []
        for logits_onnx, tok_onnx in onnx_steps:
            logits = model(encoder_outputs=(encoded,), decoder_input_ids=ids).logits[0, -1]
            max_logit = max(
                max_logit, float((logits - torch.from_numpy(logits_onnx[0])).abs().max())
            )
            tokens_hf.append(int(logits.argmax()))
            # Follow the ONNX path so one early flip does not hide later differences.
            ids = torch.cat([ids, torch.tensor([[tok_onnx]])], dim=1)
    max_encoder = float(np.abs(encoded.numpy() - encoded_onnx).max())
    return TorchComparison(max_encoder, max_logit, tokens_hf, tokens_onnx)
