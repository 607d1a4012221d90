"""Turn a CTranslate2 Whisper model directory into a Hugging Face checkpoint.

The weight mapping is the inverse of ctranslate2's ``WhisperLoader``:

* self-attention ``linear_0`` holds q, k and v stacked on the output rows; k
  has no bias in Whisper (ctranslate2 stores zeros there). Dropping a k bias
  is exact anyway: ``q·(k + b)`` shifts every score of a query by the same
  ``q·b``, which softmax ignores;
* cross-attention ``linear_0`` is q and ``linear_1`` holds k and v;
* the output projection is tied to the token embeddings (a ``model.bin``
  alias); an untied projection sets ``tie_word_embeddings`` to false.

The HF directory gets ``config.json``, ``generation_config.json``,
``model.safetensors`` (float32), ``preprocessor_config.json``, the source
``tokenizer.json`` unchanged, and ``tokenizer_config.json`` +
``special_tokens_map.json`` so ``AutoTokenizer`` loads it. Only the final
load check imports torch/transformers.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from desktop_app.core.errors import ModelError
from desktop_app.modelbuild.ct2_reader import Ct2Model, dequantize, read_model_bin
from desktop_app.modelbuild.hf_configs import (
    WhisperDims,
    build_configs,
    preprocessor_config,
    read_tokens,
    tokenizer_files,
)

ProgressFn = Callable[[float, str], None]

CT2_REQUIRED_FILES = ("model.bin", "config.json", "tokenizer.json")
_GELU = 3  # common_spec.Activation.GELU


class _Taker:
    """Hands out ct2 variables by name and remembers which were used."""

    def __init__(self, variables: Mapping[str, np.ndarray]) -> None:
        self.variables = variables
        self.used: set[str] = set()

    def __call__(self, name: str) -> np.ndarray:
        if name not in self.variables:
            raise ModelError(f"The CTranslate2 model has no '{name}': not a Whisper model?")
        self.used.add(name)
        return self.variables[name]

    def has(self, name: str) -> bool:
        return name in self.variables

    def scalar(self, name: str) -> int:
        return int(np.asarray(self(name)).reshape(()))


def _count_layers(variables: Mapping[str, np.ndarray], stack: str) -> int:
    pattern = re.compile(rf"^{stack}/layer_(\d+)/")
    indices = {int(m.group(1)) for name in variables if (m := pattern.match(name))}
    if indices != set(range(len(indices))):
        raise ModelError(f"The {stack} layers of the CTranslate2 model are not numbered 0..n-1.")
    return len(indices)


def _linear(take: _Taker, ct2: str, hf: str, sd: dict[str, np.ndarray]) -> None:
    sd[f"{hf}.weight"] = take(f"{ct2}/weight")
    sd[f"{hf}.bias"] = take(f"{ct2}/bias")


def _norm(take: _Taker, ct2: str, hf: str, sd: dict[str, np.ndarray]) -> None:
    sd[f"{hf}.weight"] = take(f"{ct2}/gamma")
    sd[f"{hf}.bias"] = take(f"{ct2}/beta")


def _split_projections(
    take: _Taker, ct2: str, hf: str, names: tuple[str, ...], sd: dict[str, np.ndarray]
) -> None:
    weight, bias = take(f"{ct2}/weight"), take(f"{ct2}/bias")
    if weight.shape[0] % len(names):
        raise ModelError(
            f"'{ct2}/weight' has {weight.shape[0]} rows, not {len(names)} equal parts."
        )
    for name, w, b in zip(
        names, np.split(weight, len(names)), np.split(bias, len(names)), strict=True
    ):
        sd[f"{hf}.{name}_proj.weight"] = w
        if name != "k":  # Whisper's key projections have no bias (see module doc).
            sd[f"{hf}.{name}_proj.bias"] = b


def _layer(take: _Taker, ct2: str, hf: str, cross: bool, sd: dict[str, np.ndarray]) -> None:
    _split_projections(take, f"{ct2}/self_attention/linear_0", f"{hf}.self_attn", "qkv", sd)
    _linear(take, f"{ct2}/self_attention/linear_1", f"{hf}.self_attn.out_proj", sd)
    _norm(take, f"{ct2}/self_attention/layer_norm", f"{hf}.self_attn_layer_norm", sd)
    if cross:
        _linear(take, f"{ct2}/attention/linear_0", f"{hf}.encoder_attn.q_proj", sd)
        _split_projections(take, f"{ct2}/attention/linear_1", f"{hf}.encoder_attn", "kv", sd)
        _linear(take, f"{ct2}/attention/linear_2", f"{hf}.encoder_attn.out_proj", sd)
        _norm(take, f"{ct2}/attention/layer_norm", f"{hf}.encoder_attn_layer_norm", sd)
    _linear(take, f"{ct2}/ffn/linear_0", f"{hf}.fc1", sd)
    _linear(take, f"{ct2}/ffn/linear_1", f"{hf}.fc2", sd)
    _norm(take, f"{ct2}/ffn/layer_norm", f"{hf}.final_layer_norm", sd)


def _check_flags(take: _Taker) -> None:
    expected = {
        "decoder/activation": _GELU,
        "decoder/pre_norm": 1,
        "decoder/scale_embeddings": 0,
        "decoder/start_from_zero_embedding": 0,
        "decoder/alibi": 0,
    }
    for name, value in expected.items():
        if take.has(name) and take.scalar(name) != value:
            raise ModelError(
                f"The CTranslate2 model sets '{name}' = {take.scalar(name)}; a Whisper "
                f"model has {value}. This model variant is not supported."
            )


def hf_state_dict(model: Ct2Model) -> tuple[dict[str, np.ndarray], WhisperDims]:
    """Map a parsed ``WhisperSpec`` model onto HF ``WhisperForConditionalGeneration`` names.

    Arrays are float32. The tied ``proj_out.weight`` is left out (HF re-ties
    it on load) unless the projection differs from the embeddings.
    """
    if model.spec_name != "WhisperSpec":
        raise ModelError(
            f"The CTranslate2 model is a '{model.spec_name}', not a Whisper model (WhisperSpec)."
        )
    if model.spec_revision != 3:
        raise ModelError(
            f"WhisperSpec revision {model.spec_revision} is not supported (expected 3); "
            "re-convert the model with a recent ctranslate2."
        )
    take = _Taker(dequantize(model))
    _check_flags(take)
    sd: dict[str, np.ndarray] = {}
    for conv in ("conv1", "conv2"):
        _linear(take, f"encoder/{conv}", f"model.encoder.{conv}", sd)
    for stack in ("encoder", "decoder"):
        sd[f"model.{stack}.embed_positions.weight"] = take(f"{stack}/position_encodings/encodings")
        _norm(take, f"{stack}/layer_norm", f"model.{stack}.layer_norm", sd)
    n_enc = _count_layers(take.variables, "encoder")
    n_dec = _count_layers(take.variables, "decoder")
    for i in range(n_enc):
        _layer(take, f"encoder/layer_{i}", f"model.encoder.layers.{i}", False, sd)
    for i in range(n_dec):
        _layer(take, f"decoder/layer_{i}", f"model.decoder.layers.{i}", True, sd)
    embeddings = take("decoder/embeddings/weight")
    sd["model.decoder.embed_tokens.weight"] = embeddings
    projection = take("decoder/projection/weight")
    tied = model.aliases.get("decoder/projection/weight") == "decoder/embeddings/weight" or (
        np.array_equal(projection, embeddings)
    )
    if not tied:
        sd["proj_out.weight"] = projection
    if take.has("decoder/projection/bias") and np.any(take("decoder/projection/bias")):
        raise ModelError("The output projection has a bias; Whisper's has none. Not supported.")

    leftovers = [
        name for name, value in take.variables.items() if name not in take.used and value.ndim > 0
    ]
    if leftovers:
        raise ModelError(
            "The CTranslate2 model has weights a Whisper model does not: "
            + ", ".join(sorted(leftovers)[:5])
        )
    conv1 = sd["model.encoder.conv1.weight"]
    dims = WhisperDims(
        num_mel_bins=conv1.shape[1],
        d_model=conv1.shape[0],
        vocab_size=embeddings.shape[0],
        encoder_layers=n_enc,
        decoder_layers=n_dec,
        encoder_attention_heads=take.scalar("encoder/num_heads"),
        decoder_attention_heads=take.scalar("decoder/num_heads"),
        encoder_ffn_dim=sd["model.encoder.layers.0.fc1.weight"].shape[0] if n_enc else 0,
        decoder_ffn_dim=sd["model.decoder.layers.0.fc1.weight"].shape[0] if n_dec else 0,
        max_source_positions=sd["model.encoder.embed_positions.weight"].shape[0],
        max_target_positions=sd["model.decoder.embed_positions.weight"].shape[0],
        tie_word_embeddings=tied,
    )
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in sd.items()}, dims


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def convert_ct2_to_hf(
    src_dir: str | Path,
    out_dir: str | Path,
    progress: ProgressFn | None = None,
    check_load: bool = True,
) -> WhisperDims:
    """Write an HF Whisper checkpoint for the CTranslate2 model in ``src_dir``.

    ``out_dir`` must not exist or be empty. With ``check_load`` the result is
    loaded back with transformers and must have no missing or unexpected keys.
    """
    src, out = Path(src_dir), Path(out_dir)
    report = progress or (lambda _f, _t: None)
    missing = [name for name in CT2_REQUIRED_FILES if not (src / name).is_file()]
    if missing:
        raise ModelError(f"'{src}' is not a CTranslate2 model folder: no {', '.join(missing)}.")
    if out.exists() and any(out.iterdir()):
        raise ModelError(f"Output folder '{out}' is not empty.")
    try:
        ct2_config = json.loads((src / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"Cannot read '{src / 'config.json'}': {exc}") from exc

    report(0.05, "Reading model.bin")
    state_dict, dims = hf_state_dict(read_model_bin(src / "model.bin"))
    tokens = read_tokens(src / "tokenizer.json")
    config, generation = build_configs(dims, tokens, ct2_config)

    report(0.4, "Writing the Hugging Face checkpoint")
    from safetensors.numpy import save_file

    out.mkdir(parents=True, exist_ok=True)
    save_file(state_dict, str(out / "model.safetensors"), metadata={"format": "pt"})
    _write_json(out / "config.json", config)
    _write_json(out / "generation_config.json", generation)
    _write_json(out / "preprocessor_config.json", preprocessor_config(dims.num_mel_bins))
    shutil.copyfile(src / "tokenizer.json", out / "tokenizer.json")
    for name, data in tokenizer_files(tokens, dims.max_target_positions).items():
        _write_json(out / name, data)
    if check_load:
        report(0.7, "Checking that transformers loads the checkpoint")
        check_hf_dir(out)
    report(1.0, "Converted")
    return dims


def check_hf_dir(path: Path) -> None:
    """Load ``path`` with transformers; raise ModelError on missing/unexpected weights."""
    from transformers import WhisperForConditionalGeneration

    _, info = WhisperForConditionalGeneration.from_pretrained(path, output_loading_info=True)
    bad = {key: value for key, value in info.items() if value}
    if bad:
        raise ModelError(f"The converted checkpoint does not load cleanly: {bad}")
