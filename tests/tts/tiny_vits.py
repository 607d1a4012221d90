"""A tiny randomly initialised VITS voice (HF format, safetensors) with a Kazakh alphabet.

Hidden sizes of 8-16 and one or two layers: it loads and speaks (noise) in
well under a second, which is all the tests need of it.
"""

from __future__ import annotations

import json
from pathlib import Path

KAZAKH_LETTERS = "абвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя"


def make_tiny_vits(folder: Path, seed: int = 0) -> Path:
    import torch
    from transformers import VitsConfig, VitsModel

    folder.mkdir(parents=True, exist_ok=True)
    symbols = ["_", " ", *KAZAKH_LETTERS, "-", "'"]
    vocab = {s: i for i, s in enumerate(symbols)}
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    tok = {
        "add_blank": True, "is_uroman": False, "language": "kaz", "normalize": True,
        "pad_token": "_", "phonemize": False, "tokenizer_class": "VitsTokenizer",
        "unk_token": "<unk>",
    }  # fmt: skip
    (folder / "tokenizer_config.json").write_text(json.dumps(tok), encoding="utf-8")
    (folder / "special_tokens_map.json").write_text(
        json.dumps({"pad_token": "_", "unk_token": "<unk>"}), encoding="utf-8"
    )
    config = VitsConfig(
        vocab_size=len(vocab) + 1, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        ffn_dim=16, flow_size=8, spectrogram_bins=17, upsample_initial_channel=16,
        upsample_rates=[8, 8, 4], upsample_kernel_sizes=[16, 16, 8],
        resblock_kernel_sizes=[3], resblock_dilation_sizes=[[1, 3]],
        duration_predictor_filter_channels=8, duration_predictor_num_flows=1,
        depth_separable_num_layers=1, prior_encoder_num_flows=1,
        prior_encoder_num_wavenet_layers=1, posterior_encoder_num_wavenet_layers=1,
        sampling_rate=16_000,
    )  # fmt: skip
    torch.manual_seed(seed)
    model = VitsModel(config).eval()
    model.save_pretrained(folder, safe_serialization=True)
    return folder
