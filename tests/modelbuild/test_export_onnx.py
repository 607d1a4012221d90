"""HF checkpoint -> ONNX runtime folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from desktop_app.asr.manifest import ALIGN_FILE, REQUIRED_FILES, runtime_files
from desktop_app.core.errors import ModelError
from desktop_app.modelbuild.export_onnx import DECODER_INT8, export_onnx, quantize_decoder_int8
from desktop_app.modelbuild.onnx_check import OnnxGreedy, compare_with_torch, fixed_features


def test_folder_holds_only_the_runtime_files(tiny_onnx: Path) -> None:
    names = {p.name for p in tiny_onnx.iterdir()}
    assert names == {
        *REQUIRED_FILES,
        "tokenizer_config.json",
        "special_tokens_map.json",
        ALIGN_FILE,
    }
    assert set(runtime_files(tiny_onnx)) == names  # so the manifest lists and checks them all


def test_word_aligner_can_be_left_out(tiny_hf: Path, tmp_path: Path) -> None:
    files = export_onnx(tiny_hf, tmp_path / "out", validate=False, word_aligner=False)
    assert ALIGN_FILE not in {p.name for p in files}


def test_alignment_graph_matches_the_decoders_cross_attention(tiny_hf: Path, tiny_onnx) -> None:
    """Heads from generation_config ([[1, 0], [1, 1]]); compared with PyTorch on real tokens."""
    import numpy as np
    import onnxruntime as ort
    import torch
    from transformers import WhisperForConditionalGeneration

    model = WhisperForConditionalGeneration.from_pretrained(tiny_hf, attn_implementation="eager")
    hidden = torch.randn(1, 1500, 64, generator=torch.Generator().manual_seed(1))
    ids = torch.tensor([[257, 258, 262, 266, 40, 41, 42, 256]])
    with torch.inference_mode():
        out = model.model.decoder(
            input_ids=ids, encoder_hidden_states=hidden, output_attentions=True
        )
    expected = np.stack([out.cross_attentions[1][0, h].numpy() for h in (0, 1)])
    session = ort.InferenceSession(str(tiny_onnx / ALIGN_FILE), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"input_ids": ids.numpy(), "encoder_hidden_states": hidden.numpy()})
    assert got.shape == (2, 8, 1500)
    np.testing.assert_allclose(got, expected, atol=2e-3)


def test_alignment_heads_default_and_bad(tiny_hf: Path, tmp_path: Path, json_edit) -> None:
    from desktop_app.modelbuild.align_export import alignment_heads, export_alignment_graph

    src = shutil.copytree(tiny_hf, tmp_path / "hf")
    json_edit(src / "generation_config.json", alignment_heads=None)
    assert alignment_heads(src, 4, 2) == [[2, 0], [2, 1], [3, 0], [3, 1]]  # upper half
    json_edit(src / "generation_config.json", alignment_heads=[[5, 0]])
    with pytest.raises(ModelError, match="do not exist"):
        export_alignment_graph(src, tmp_path / "out")


def test_tokenizer_files_are_ours_not_optimums(tiny_hf: Path, tiny_onnx: Path) -> None:
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        assert (tiny_onnx / name).read_bytes() == (tiny_hf / name).read_bytes(), name


def test_onnx_matches_pytorch(tiny_hf: Path, tiny_onnx: Path) -> None:
    diff = compare_with_torch(tiny_hf, tiny_onnx, steps=8)
    assert diff.max_encoder_diff < 1e-3
    assert diff.max_logit_diff < 1e-3
    assert diff.tokens_onnx == diff.tokens_hf


def test_merged_decoder_cache_gives_the_same_tokens_as_no_cache(tiny_onnx: Path) -> None:
    """Greedy with the KV cache equals greedy that re-runs the whole prefix each step."""
    import numpy as np

    greedy = OnnxGreedy(tiny_onnx)
    features = fixed_features(80, seed=3)
    encoded = greedy.encode(features)
    prompt = [257, 260, 262, 266]
    cached = [tok for _, tok in greedy.steps(encoded, prompt, 10, stop_at_eos=False)]
    ids = list(prompt)
    for _ in range(10):
        (logits,) = (logits for logits, _ in greedy.steps(encoded, ids, 1, stop_at_eos=False))
        ids.append(int(np.argmax(logits[0])))
    assert cached == ids[len(prompt) :]


def test_int8_decoder_variant(tiny_onnx: Path, tmp_path: Path) -> None:
    folder = tmp_path / "onnx"
    shutil.copytree(tiny_onnx, folder)
    target = quantize_decoder_int8(folder)
    assert target.name == DECODER_INT8
    greedy = OnnxGreedy(folder, decoder=DECODER_INT8)
    assert len(greedy.greedy(fixed_features(80), [257], max_new_tokens=5)) <= 5


def test_not_a_hf_folder(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "config.json").write_text('{"model_type": "whisper"}')
    with pytest.raises(ModelError, match="no model weights"):
        export_onnx(tmp_path / "src", tmp_path / "out")


def test_corrupt_weights_give_a_model_error(tiny_hf: Path, tmp_path: Path) -> None:
    src = tmp_path / "hf"
    shutil.copytree(tiny_hf, src)
    (src / "model.safetensors").write_bytes(b"\0" * 100)
    with pytest.raises(ModelError, match="ONNX export of 'hf' failed"):
        export_onnx(src, tmp_path / "out", validate=False)


def test_non_whisper_checkpoint_is_refused(tiny_hf: Path, tmp_path: Path, json_edit) -> None:
    src = shutil.copytree(tiny_hf, tmp_path / "hf")
    json_edit(src / "config.json", model_type="bert")
    with pytest.raises(ModelError, match="model type is 'bert'"):
        export_onnx(src, tmp_path / "out")
