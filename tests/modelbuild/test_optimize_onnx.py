"""The int8 variant on a tiny random Whisper: fused attention is exact, int8 is close.

Tolerances: the fused encoder equals fp32 to 1e-4 (relative L2); the int8
encoder is within 10 % (on the real model, speech: 5 %, see
``tests/asr/test_int8.py``), and the int8 decoder keeps fp32's greedy tokens.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from desktop_app.asr.manifest import DECODER_INT8_FILE, ENCODER_FILE, ENCODER_INT8_FILE
from desktop_app.core.errors import ModelError
from desktop_app.modelbuild import optimize_onnx
from desktop_app.modelbuild.optimize_onnx import (
    build_int8,
    check_int8,
    fuse_attention,
    probe_features,
    quantize_matmuls_rowwise,
)


def _run(model_or_path, features: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    source = model_or_path if isinstance(model_or_path, str) else model_or_path.SerializeToString()
    session = ort.InferenceSession(source, providers=["CPUExecutionProvider"])
    return session.run(None, {"input_features": features[None]})[0]


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(a))


@pytest.fixture(scope="module")
def encoder(tiny_onnx: Path):
    import onnx

    return onnx.load(str(tiny_onnx / ENCODER_FILE))


def test_fused_attention_equals_fp32(tiny_onnx: Path, encoder) -> None:
    import json

    heads = json.loads((tiny_onnx / "config.json").read_text())["encoder_attention_heads"]
    layers = json.loads((tiny_onnx / "config.json").read_text())["encoder_layers"]
    fused = encoder.__class__()
    fused.CopyFrom(encoder)
    assert fuse_attention(fused, heads) == layers
    ops = {node.op_type for node in fused.graph.node}
    assert "MultiHeadAttention" in ops and "Softmax" not in ops
    features = probe_features(80)
    assert _rel(_run(str(tiny_onnx / ENCODER_FILE), features), _run(fused, features)) < 1e-4


def test_rowwise_int8_is_close_and_replaces_every_weight_matmul(tiny_onnx: Path, encoder) -> None:
    quantized = encoder.__class__()
    quantized.CopyFrom(encoder)
    weights = {init.name for init in encoder.graph.initializer}
    n_weight_matmuls = sum(
        1 for n in encoder.graph.node if n.op_type == "MatMul" and n.input[1] in weights
    )
    assert quantize_matmuls_rowwise(quantized) == n_weight_matmuls > 0
    features = probe_features(80)
    error = _rel(_run(str(tiny_onnx / ENCODER_FILE), features), _run(quantized, features))
    assert 0 < error < 0.1


def test_build_int8_writes_checked_files(tiny_onnx: Path, tmp_path: Path) -> None:
    import onnx

    folder = shutil.copytree(tiny_onnx, tmp_path / "onnx")
    written = build_int8(folder)
    assert sorted(p.name for p in written) == sorted([ENCODER_INT8_FILE, DECODER_INT8_FILE])
    check = check_int8(folder)
    assert check.ok and check.encoder_rel_error > 0
    assert check.tokens_int8 == check.tokens_fp32
    # Every weight MatMul of the decoder is quantised, the tied output projection included.
    decoder = onnx.load(str(folder / DECODER_INT8_FILE))
    inits = {init.name for init in decoder.graph.initializer}
    branches = [a.g for n in decoder.graph.node if n.op_type == "If" for a in n.attribute]
    fp32_weights = [
        n.name for g in branches for n in g.node if n.op_type == "MatMul" and n.input[1] in inits
    ]
    assert fp32_weights == []
    nbits = [n.name for g in branches for n in g.node if n.op_type == "MatMulNBits"]
    assert any("proj_out" in name for name in nbits)


def test_int8_variant_runs_in_the_engine(tiny_onnx: Path, tmp_path: Path) -> None:
    from desktop_app.asr import WhisperOnnx

    folder = shutil.copytree(tiny_onnx, tmp_path / "onnx")
    build_int8(folder)
    engine = WhisperOnnx(folder, device="cpu", quantized=True)
    assert engine.sessions.encoder_file == ENCODER_INT8_FILE
    assert engine.detect_language(np.zeros(16000, np.float32))


def test_build_int8_refuses_and_cleans_up_when_too_far_from_fp32(
    tiny_onnx: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = shutil.copytree(tiny_onnx, tmp_path / "onnx")
    monkeypatch.setattr(optimize_onnx, "MAX_ENCODER_ERROR", 0.0)
    with pytest.raises(ModelError, match="differs too much"):
        build_int8(folder)
    assert not (folder / ENCODER_INT8_FILE).exists()
    assert not (folder / DECODER_INT8_FILE).exists()


def test_build_int8_needs_an_encoder(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"encoder_attention_heads": 4}')
    with pytest.raises(ModelError, match=r"encoder_model\.onnx"):
        build_int8(tmp_path)
