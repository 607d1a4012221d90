"""Tiny randomly initialised wav2vec2 CTC models for the tests (built in seconds).

The vocabulary is the Kazakh Cyrillic alphabet with ``<pad>`` (the CTC
blank, id 0), ``<s>``, ``</s>``, ``<unk>`` and the word delimiter ``|``;
the network has the real wav2vec2 convolution strides (320 samples, 20 ms
per frame) but only 32 channels and two transformer layers of width 32.
"""

from __future__ import annotations

import json
from pathlib import Path

LETTERS = "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя"
SPECIALS = ("<pad>", "<s>", "</s>", "<unk>", "|")


def kazakh_vocab() -> dict[str, int]:
    vocab = {token: i for i, token in enumerate(SPECIALS)}
    for letter in LETTERS:
        vocab[letter] = len(vocab)
    return vocab


def build_tiny_ctc_hf(
    root: Path,
    seed: int = 0,
    *,
    constant_label: str | None = None,
    stable_layer_norm: bool = False,
) -> Path:
    """Save a tiny ``Wav2Vec2ForCTC`` with its processor files under ``root``; returns it.

    ``constant_label`` zeroes the output layer and biases it towards that
    token, so every frame says it whatever the audio (exact, known outputs).
    ``stable_layer_norm`` gives the XLS-R / MMS layout (layer-norm feature
    encoder, pre-norm transformer).
    """
    import torch
    from transformers import (
        Wav2Vec2Config,
        Wav2Vec2CTCTokenizer,
        Wav2Vec2FeatureExtractor,
        Wav2Vec2ForCTC,
        Wav2Vec2Processor,
    )

    root.mkdir(parents=True, exist_ok=True)
    vocab = kazakh_vocab()
    (root / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    tokenizer = Wav2Vec2CTCTokenizer(
        str(root / "vocab.json"), unk_token="<unk>", pad_token="<pad>", word_delimiter_token="|"
    )
    extractor = Wav2Vec2FeatureExtractor(
        feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=True
    )
    Wav2Vec2Processor(feature_extractor=extractor, tokenizer=tokenizer).save_pretrained(root)
    torch.manual_seed(seed)
    config = Wav2Vec2Config(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        conv_dim=(32,) * 7,
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2,
        pad_token_id=vocab["<pad>"],
        feat_extract_norm="layer" if stable_layer_norm else "group",
        do_stable_layer_norm=stable_layer_norm,
    )
    model = Wav2Vec2ForCTC(config).eval()
    if constant_label is not None:
        with torch.no_grad():
            model.lm_head.weight.zero_()
            model.lm_head.bias.zero_()
            model.lm_head.bias[vocab[constant_label]] = 5.0
    model.save_pretrained(root)
    return root


def export_tiny_ctc(hf_dir: Path, out_dir: Path, language: str = "kk", int8: bool = False) -> Path:
    """Export in this process (as the ``export-ctc`` subcommand does, without the spawn)."""
    from desktop_app.modelbuild.export_ctc import build_ctc_int8, export_ctc

    export_ctc(hf_dir, out_dir, language=language)
    if int8:
        build_ctc_int8(out_dir)
    return out_dir


def build_tiny_mms_hf(root: Path, seed: int = 0) -> Path:
    """A tiny MMS-style checkpoint: language adapters and one vocabulary per language.

    The base model's own output layer is English's; ``adapter.kaz.safetensors``
    and ``adapter.eng.safetensors`` hold each language's adapter weights and
    output layer, as ``facebook/mms-1b-all`` does.
    """
    import torch
    from safetensors.torch import save_file
    from transformers import (
        Wav2Vec2Config,
        Wav2Vec2CTCTokenizer,
        Wav2Vec2FeatureExtractor,
        Wav2Vec2ForCTC,
    )

    root.mkdir(parents=True, exist_ok=True)
    kaz = kazakh_vocab()
    eng = {token: i for i, token in enumerate(SPECIALS)}
    for letter in "abcdefghijklmnopqrstuvwxyz":
        eng[letter] = len(eng)
    vocabs = {"eng": eng, "kaz": kaz}
    (root / "vocab.json").write_text(json.dumps(vocabs, ensure_ascii=False), encoding="utf-8")
    Wav2Vec2CTCTokenizer(
        str(root / "vocab.json"),
        target_lang="eng",
        unk_token="<unk>",
        pad_token="<pad>",
        word_delimiter_token="|",
    ).save_pretrained(root)
    Wav2Vec2FeatureExtractor(return_attention_mask=True, do_normalize=True).save_pretrained(root)
    torch.manual_seed(seed)
    config = Wav2Vec2Config(
        vocab_size=len(eng),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        conv_dim=(32,) * 7,
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2,
        pad_token_id=0,
        feat_extract_norm="layer",
        do_stable_layer_norm=True,
        adapter_attn_dim=16,
    )
    model = Wav2Vec2ForCTC(config).eval()
    model.save_pretrained(root)
    for lang, vocab in vocabs.items():
        adapter = {}
        for name, param in model._get_adapters().items():
            shape = (len(vocab), *param.shape[1:]) if name.startswith("lm_head") else param.shape
            adapter[name] = torch.randn(shape) * 0.3
        save_file(adapter, str(root / f"adapter.{lang}.safetensors"))
    return root
