"""CTranslate2 folder -> Hugging Face checkpoint, checked against the original model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from desktop_app.core.errors import ModelError
from desktop_app.modelbuild.ct2_to_hf import convert_ct2_to_hf


@pytest.fixture(scope="session")
def converted(tiny_ct2: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("converted") / "hf"
    convert_ct2_to_hf(tiny_ct2, out)
    return out


def test_weights_and_logits_match_the_original(tiny_hf: Path, converted: Path) -> None:
    import torch
    from transformers import WhisperForConditionalGeneration

    original = WhisperForConditionalGeneration.from_pretrained(tiny_hf).eval()
    ours = WhisperForConditionalGeneration.from_pretrained(converted).eval()
    theirs = original.state_dict()
    for name, value in ours.state_dict().items():
        assert torch.equal(value, theirs[name]), name
    assert ours.proj_out.weight.data_ptr() == ours.model.decoder.embed_tokens.weight.data_ptr()

    features = torch.randn(1, 80, 3000, generator=torch.Generator().manual_seed(1))
    ids = torch.tensor([[257, 260, 262, 266, 40, 41]])
    with torch.inference_mode():
        want = original(input_features=features, decoder_input_ids=ids).logits
        got = ours(input_features=features, decoder_input_ids=ids).logits
    torch.testing.assert_close(got, want, rtol=0, atol=0)


def test_configs_are_derived_from_ct2_config_and_tokenizer(tiny_hf: Path, converted: Path) -> None:
    config = json.loads((converted / "config.json").read_text())
    want = json.loads((tiny_hf / "config.json").read_text())
    for key in ("vocab_size", "d_model", "encoder_layers", "decoder_layers", "num_mel_bins",
                "encoder_attention_heads", "decoder_attention_heads", "encoder_ffn_dim",
                "max_source_positions", "max_target_positions", "decoder_start_token_id",
                "eos_token_id", "pad_token_id"):  # fmt: skip
        assert config[key] == want[key], key

    gen = json.loads((converted / "generation_config.json").read_text())
    want_gen = json.loads((tiny_hf / "generation_config.json").read_text())
    for key in ("lang_to_id", "task_to_id", "alignment_heads", "suppress_tokens",
                "begin_suppress_tokens", "no_timestamps_token_id", "prev_sot_token_id",
                "decoder_start_token_id", "is_multilingual"):  # fmt: skip
        assert gen[key] == want_gen[key], key
    pre = json.loads((converted / "preprocessor_config.json").read_text())
    assert (pre["feature_size"], pre["sampling_rate"], pre["n_fft"]) == (80, 16000, 400)


def test_tokenizer_is_copied_and_autotokenizer_loads(tiny_ct2: Path, converted: Path) -> None:
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    assert (converted / "tokenizer.json").read_bytes() == (tiny_ct2 / "tokenizer.json").read_bytes()
    text = "сәлем, hello"
    hf = AutoTokenizer.from_pretrained(converted)
    raw = Tokenizer.from_file(str(converted / "tokenizer.json"))
    assert hf(text).input_ids == raw.encode(text).ids
    assert hf.eos_token == "<|endoftext|>"
    assert "<|kk|>" in hf.additional_special_tokens


def test_ctranslate2_can_reconvert_our_checkpoint(
    converted: Path, tiny_ct2: Path, tmp_path: Path, ct2_convert
) -> None:
    """Our HF folder is a valid input to ctranslate2's converter: same model.bin variables."""
    from desktop_app.modelbuild.ct2_reader import read_model_bin

    ct2_convert(converted, tmp_path / "again")
    a = read_model_bin(tiny_ct2 / "model.bin")
    b = read_model_bin(tmp_path / "again" / "model.bin")
    assert a.variables.keys() == b.variables.keys()
    for name, value in a.variables.items():
        np.testing.assert_array_equal(b.variables[name], value, err_msg=name)
    assert json.loads((tmp_path / "again" / "config.json").read_text()) == json.loads(
        (tiny_ct2 / "config.json").read_text()
    )


def test_missing_files_are_named(tiny_ct2: Path, tmp_path: Path) -> None:
    src = tmp_path / "ct2"
    shutil.copytree(tiny_ct2, src)
    (src / "tokenizer.json").unlink()
    with pytest.raises(ModelError, match=r"not a CTranslate2 model folder: no tokenizer\.json"):
        convert_ct2_to_hf(src, tmp_path / "out")


def test_non_empty_output_is_refused(tiny_ct2: Path, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x").write_text("keep me")
    with pytest.raises(ModelError, match="not empty"):
        convert_ct2_to_hf(tiny_ct2, tmp_path / "out")
    assert (tmp_path / "out" / "x").read_text() == "keep me"


def test_tokenizer_without_whisper_tokens_is_refused(tiny_ct2: Path, tmp_path: Path) -> None:
    src = tmp_path / "ct2"
    shutil.copytree(tiny_ct2, src)
    data = json.loads((src / "tokenizer.json").read_text())
    data["added_tokens"] = [t for t in data["added_tokens"] if t["content"] != "<|notimestamps|>"]
    (src / "tokenizer.json").write_text(json.dumps(data))
    with pytest.raises(ModelError, match="notimestamps"):
        convert_ct2_to_hf(src, tmp_path / "out", check_load=False)
