"""Tiny randomly initialised Whisper models in every format, built once per session.

The tokenizer is a byte-level BPE with no merges (256 byte tokens) plus
Whisper's special tokens for three languages; the network is two layers of
width 64. A tiny HF checkpoint is converted with ctranslate2's own converter
(the reference for our reader) and exported with optimum (seconds).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

LANGS = ("en", "ru", "kk")
SPECIALS = (
    "<|endoftext|>",
    "<|startoftranscript|>",
    *(f"<|{lang}|>" for lang in LANGS),
    "<|translate|>",
    "<|transcribe|>",
    "<|startoflm|>",
    "<|startofprev|>",
    "<|nocaptions|>",
    "<|notimestamps|>",
)
N_TIMESTAMPS = 21
VOCAB_SIZE = 256 + len(SPECIALS) + N_TIMESTAMPS


def token_id(content: str) -> int:
    return 256 + SPECIALS.index(content)


def write_tokenizer(folder: Path) -> Path:
    """A Whisper-shaped ``tokenizer.json`` (byte-level, special tokens from id 256)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from tokenizers.processors import TemplateProcessing

    alphabet = pre_tokenizers.ByteLevel.alphabet()
    vocab = {ch: i for i, ch in enumerate(sorted(alphabet))}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens(list(SPECIALS))
    sot, nots, eot = "<|startoftranscript|>", "<|notimestamps|>", "<|endoftext|>"
    tok.post_processor = TemplateProcessing(
        single=f"{sot} {nots} $A {eot}",
        special_tokens=[(t, token_id(t)) for t in (sot, nots, eot)],
    )
    path = folder / "tokenizer.json"
    tok.save(str(path))
    return path


def generation_config() -> dict[str, Any]:
    eot = token_id("<|endoftext|>")
    return {
        "decoder_start_token_id": token_id("<|startoftranscript|>"),
        "eos_token_id": eot,
        "pad_token_id": eot,
        "bos_token_id": eot,
        "no_timestamps_token_id": token_id("<|notimestamps|>"),
        "prev_sot_token_id": token_id("<|startofprev|>"),
        "is_multilingual": True,
        "lang_to_id": {f"<|{lang}|>": token_id(f"<|{lang}|>") for lang in LANGS},
        "task_to_id": {
            "transcribe": token_id("<|transcribe|>"),
            "translate": token_id("<|translate|>"),
        },
        "suppress_tokens": [1, 2, 7],
        "begin_suppress_tokens": [220, eot],
        "alignment_heads": [[1, 0], [1, 1]],
        "max_length": 64,
    }


def make_tiny_hf(folder: Path, seed: int = 0) -> Path:
    """Save a random tiny ``WhisperForConditionalGeneration`` with tokenizer and configs."""
    import torch
    from transformers import (
        GenerationConfig,
        WhisperConfig,
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
        WhisperTokenizerFast,
    )

    torch.manual_seed(seed)
    eot = token_id("<|endoftext|>")
    config = WhisperConfig(
        vocab_size=VOCAB_SIZE,
        num_mel_bins=80,
        d_model=64,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=128,
        decoder_ffn_dim=128,
        max_source_positions=1500,
        max_target_positions=64,
        pad_token_id=eot,
        bos_token_id=eot,
        eos_token_id=eot,
        decoder_start_token_id=token_id("<|startoftranscript|>"),
    )
    model = WhisperForConditionalGeneration(config).eval()
    with torch.no_grad():  # no two tensors alike, so any mix-up in the mapping would show
        for name, param in model.named_parameters():
            if name.endswith("bias"):
                param.normal_(0.0, 0.05)
            elif "layer_norm" in name:
                param.normal_(1.0, 0.1)
    model.generation_config = GenerationConfig(**generation_config())
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tmp = folder / "_tok"
    tmp.mkdir()
    tokenizer = WhisperTokenizerFast(
        tokenizer_file=str(write_tokenizer(tmp)),
        additional_special_tokens=list(SPECIALS[1:]),
        pad_token="<|endoftext|>",
    )
    tokenizer.save_pretrained(folder)
    shutil.rmtree(tmp)
    WhisperFeatureExtractor(feature_size=80).save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_hf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_hf(tmp_path_factory.mktemp("tiny") / "hf")


def convert_with_ctranslate2(hf_dir: Path, out: Path, quantization: str | None = None) -> Path:
    """The reference converter: ctranslate2's own TransformersConverter."""
    import ctranslate2

    converter = ctranslate2.converters.TransformersConverter(
        str(hf_dir), copy_files=["tokenizer.json", "preprocessor_config.json"]
    )
    converter.convert(str(out), quantization=quantization, force=True)
    return out


@pytest.fixture(scope="session")
def tiny_ct2(tiny_hf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return convert_with_ctranslate2(tiny_hf, tmp_path_factory.mktemp("tiny") / "ct2")


@pytest.fixture(scope="session")
def tiny_onnx(tiny_hf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from desktop_app.modelbuild.export_onnx import export_onnx

    out = tmp_path_factory.mktemp("tiny") / "onnx"
    export_onnx(tiny_hf, out)
    return out


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def edit_json(path: Path, **changes: Any) -> None:
    data = json.loads(path.read_text("utf-8"))
    data.update(changes)
    path.write_text(json.dumps(data), "utf-8")


@pytest.fixture(scope="session")
def ct2_convert() -> Any:
    """``ct2_convert(hf_dir, out, quantization=None)``: ctranslate2's own converter."""
    return convert_with_ctranslate2


@pytest.fixture(scope="session")
def json_edit() -> Any:
    """``json_edit(path, **changes)``: update keys of a JSON file in place."""
    return edit_json
