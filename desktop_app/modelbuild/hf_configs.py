"""Config and tokenizer files of a Hugging Face Whisper checkpoint.

Derived from what a CTranslate2 Whisper folder holds: the tensor shapes
(:class:`WhisperDims`), ``tokenizer.json``
(special token ids, language tokens) and ctranslate2's ``config.json``
(``alignment_heads``, ``lang_ids``, ``suppress_ids``, ``suppress_ids_begin``).
The result matches the layout of OpenAI's checkpoints on the Hub:
``generation_config.json`` carries ``lang_to_id``, ``task_to_id``,
``alignment_heads`` and the suppressed tokens.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from desktop_app.core.errors import ModelError

_LANG_TOKEN = re.compile(r"^<\|[a-z]{2,3}(_[A-Za-z]+)?\|>$")
_SPECIAL_NAMES = {
    "eos": "<|endoftext|>",
    "sot": "<|startoftranscript|>",
    "translate": "<|translate|>",
    "transcribe": "<|transcribe|>",
    "sot_lm": "<|startoflm|>",
    "sot_prev": "<|startofprev|>",
    "no_timestamps": "<|notimestamps|>",
}


@dataclass(frozen=True)
class WhisperDims:
    """Architecture sizes read off the tensors."""

    num_mel_bins: int
    d_model: int
    vocab_size: int
    encoder_layers: int
    decoder_layers: int
    encoder_attention_heads: int
    decoder_attention_heads: int
    encoder_ffn_dim: int
    decoder_ffn_dim: int
    max_source_positions: int
    max_target_positions: int
    tie_word_embeddings: bool


@dataclass(frozen=True)
class WhisperTokens:
    """Special token ids found in ``tokenizer.json``."""

    ids: dict[str, int]
    contents: dict[int, str]
    special: list[str]

    def require(self, key: str) -> int:
        if key not in self.ids:
            raise ModelError(f"tokenizer.json has no '{_SPECIAL_NAMES[key]}' token.")
        return self.ids[key]


def read_tokens(tokenizer_json: Path) -> WhisperTokens:
    """Special tokens of a Whisper ``tokenizer.json``."""
    try:
        data = json.loads(tokenizer_json.read_text(encoding="utf-8"))
        added = [
            (int(t["id"]), str(t["content"]), bool(t.get("special"))) for t in data["added_tokens"]
        ]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"Cannot read '{tokenizer_json.name}': {exc}") from exc
    contents = {tid: content for tid, content, _ in added}
    by_content = {content: tid for tid, content, _ in added}
    ids = {key: by_content[tok] for key, tok in _SPECIAL_NAMES.items() if tok in by_content}
    special = [content for _, content, is_special in added if is_special]
    return WhisperTokens(ids=ids, contents=contents, special=special)


def _lang_ids(tokens: WhisperTokens, ct2_config: Mapping[str, Any]) -> list[int]:
    if ct2_config.get("lang_ids"):
        return [int(i) for i in ct2_config["lang_ids"]]
    return sorted(tid for tid, c in tokens.contents.items() if _LANG_TOKEN.match(c))


def build_configs(
    dims: WhisperDims, tokens: WhisperTokens, ct2_config: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``config.json`` and ``generation_config.json`` content for the HF model."""
    eos, sot = tokens.require("eos"), tokens.require("sot")
    no_ts = tokens.require("no_timestamps")
    suppress = [int(i) for i in ct2_config.get("suppress_ids") or []]
    begin_suppress = [int(i) for i in ct2_config.get("suppress_ids_begin") or [220, eos]]
    heads = ct2_config.get("alignment_heads") or [
        [layer, head]
        for layer in range(dims.decoder_layers // 2, dims.decoder_layers)
        for head in range(dims.decoder_attention_heads)
    ]
    config: dict[str, Any] = {
        "architectures": ["WhisperForConditionalGeneration"],
        "model_type": "whisper",
        **asdict(dims),
        "num_hidden_layers": dims.encoder_layers,
        "activation_function": "gelu",
        "scale_embedding": False,
        "bos_token_id": eos,
        "eos_token_id": eos,
        "pad_token_id": eos,
        "decoder_start_token_id": sot,
        "suppress_tokens": suppress,
        "begin_suppress_tokens": begin_suppress,
        "use_cache": True,
    }
    lang_ids = _lang_ids(tokens, ct2_config)
    generation: dict[str, Any] = {
        "alignment_heads": [[int(a), int(b)] for a, b in heads],
        "begin_suppress_tokens": begin_suppress,
        "bos_token_id": eos,
        "decoder_start_token_id": sot,
        "eos_token_id": eos,
        "pad_token_id": eos,
        "is_multilingual": bool(lang_ids),
        "max_initial_timestamp_index": 50,
        "max_length": dims.max_target_positions,
        "no_timestamps_token_id": no_ts,
        "return_timestamps": False,
        "suppress_tokens": suppress,
    }
    if "sot_prev" in tokens.ids:
        generation["prev_sot_token_id"] = tokens.ids["sot_prev"]
    if lang_ids:
        missing = [i for i in lang_ids if i not in tokens.contents]
        if missing:
            raise ModelError(f"tokenizer.json has no tokens for language ids {missing[:5]}.")
        generation["lang_to_id"] = {tokens.contents[i]: i for i in lang_ids}
        generation["task_to_id"] = {
            "transcribe": tokens.require("transcribe"),
            "translate": tokens.require("translate"),
        }
    return config, generation


def tokenizer_files(tokens: WhisperTokens, model_max_length: int = 1024) -> dict[str, Any]:
    """``tokenizer_config.json`` and ``special_tokens_map.json`` for ``AutoTokenizer``."""
    eos = tokens.contents[tokens.require("eos")]
    common = {"bos_token": eos, "eos_token": eos, "unk_token": eos, "pad_token": eos}
    extra = [c for c in tokens.special if c != eos]
    return {
        "tokenizer_config.json": {
            "tokenizer_class": "WhisperTokenizer",
            **common,
            "additional_special_tokens": extra,
            "add_prefix_space": False,
            "errors": "replace",
            "clean_up_tokenization_spaces": True,
            "model_max_length": model_max_length,
        },
        "special_tokens_map.json": {**common, "additional_special_tokens": extra},
    }


def preprocessor_config(num_mel_bins: int) -> dict[str, Any]:
    """``preprocessor_config.json`` of a 16 kHz, 30 s Whisper feature extractor."""
    return {
        "feature_extractor_type": "WhisperFeatureExtractor",
        "processor_class": "WhisperProcessor",
        "feature_size": num_mel_bins,
        "sampling_rate": 16000,
        "hop_length": 160,
        "chunk_length": 30,
        "n_fft": 400,
        "n_samples": 480000,
        "nb_max_frames": 3000,
        "padding_side": "right",
        "padding_value": 0.0,
        "return_attention_mask": False,
    }
