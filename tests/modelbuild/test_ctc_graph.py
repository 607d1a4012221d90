"""CTC graph speed-ups: conv-as-MatMul, checked attention fusion, and their fallbacks."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from desktop_app.modelbuild import optimize_onnx
from desktop_app.modelbuild.ctc_check import (
    collapse,
    compare_with_torch,
    normalize,
    onnx_logits,
    probe_audio,
)
from desktop_app.modelbuild.ctc_graph import convs_to_matmuls
from desktop_app.modelbuild.export_ctc import build_ctc_int8, export_ctc, load_ctc_model
from tests.asr.ctc_model import build_tiny_ctc_hf


@pytest.fixture(scope="module")
def tiny_hf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch

    torch.set_num_threads(1)
    return build_tiny_ctc_hf(tmp_path_factory.mktemp("ctc") / "hf")


@pytest.fixture(scope="module")
def exported(tiny_hf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_ctc(tiny_hf, tmp_path_factory.mktemp("onnx") / "out")[0].parent


def _ops(path: Path) -> list[str]:
    return [n.op_type for n in onnx.load(str(path)).graph.node]


def _run(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})[0]


def _conv_model(kernel: int, stride: int, channels: int, bias: bool) -> onnx.ModelProto:
    rng = np.random.default_rng(kernel)
    w = rng.standard_normal((24, channels, kernel)).astype(np.float32)
    inits = [numpy_helper.from_array(w, "w")]
    inputs = ["x", "w"]
    if bias:
        inits.append(numpy_helper.from_array(rng.standard_normal(24).astype(np.float32), "b"))
        inputs.append("b")
    node = helper.make_node("Conv", inputs, ["y"], kernel_shape=[kernel], strides=[stride])
    graph = helper.make_graph(
        [node],
        "conv",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, channels, "t"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 24, "f"])],
        inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


@pytest.mark.parametrize(("kernel", "stride", "bias"), [(3, 2, False), (2, 2, True), (10, 5, True)])
def test_conv_as_matmul_is_the_same_convolution(kernel: int, stride: int, bias: bool) -> None:
    model = _conv_model(kernel, stride, 16, bias)
    rewritten = _conv_model(kernel, stride, 16, bias)
    assert convs_to_matmuls(rewritten) == 1
    assert "Conv" not in [n.op_type for n in rewritten.graph.node]
    onnx.checker.check_model(rewritten)
    rng = np.random.default_rng(1)
    for frames in (kernel, kernel + 1, 101, 1000):  # every remainder of the stride
        x = rng.standard_normal((1, 16, frames)).astype(np.float32)
        want, got = _run(model, x), _run(rewritten, x)
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_conv_as_matmul_leaves_other_convolutions_alone() -> None:
    thin = _conv_model(10, 5, 1, False)  # the first layer reads one channel
    assert convs_to_matmuls(thin) == 0
    grouped = _conv_model(3, 2, 16, False)
    grouped.graph.node[0].attribute.append(helper.make_attribute("group", 2))
    grouped.graph.initializer[0].CopyFrom(
        numpy_helper.from_array(np.ones((24, 8, 3), np.float32), "w")
    )
    assert convs_to_matmuls(grouped) == 0


def test_rewritten_feature_encoder_keeps_the_greedy_output(exported: Path, tmp_path: Path) -> None:
    model = onnx.load(str(exported / "model.onnx"))
    assert convs_to_matmuls(model) == 6  # tiny model: 7 conv layers, the first reads 1 channel
    onnx.save(model, str(tmp_path / "m.onnx"))
    for seconds in (1.37, 4.0):
        x = normalize(probe_audio(seconds))[None]
        want = onnx_logits(exported / "model.onnx", x)[0]
        got = onnx_logits(tmp_path / "m.onnx", x)[0]
        assert got.shape == want.shape
        assert np.abs(got - want).max() < 1e-4
        assert collapse(got.argmax(-1), 0) == collapse(want.argmax(-1), 0)


def test_fused_export_matches_pytorch(tiny_hf: Path, exported: Path) -> None:
    assert "MultiHeadAttention" in _ops(exported / "model.onnx")
    model, _vocab, blank = load_ctc_model(tiny_hf, None)
    check = compare_with_torch(model, exported / "model.onnx", blank)
    assert check.same_labels and check.max_logit_diff < 1e-3


def test_int8_quantises_the_feature_encoder(
    exported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from desktop_app.modelbuild import export_ctc as module

    plain = tmp_path / "plain"
    shutil.copytree(exported, plain)
    (plain / "model_int8.onnx").unlink(missing_ok=True)
    build_ctc_int8(plain, quantize_convs=False)
    before = _ops(plain / "model_int8.onnx").count("MatMulIntegerToFloat")
    build_ctc_int8(plain)  # off by default
    assert _ops(plain / "model_int8.onnx").count("MatMulIntegerToFloat") == before
    build_ctc_int8(plain, quantize_convs=True)  # the tiny model's 32 channels: under threshold
    assert _ops(plain / "model_int8.onnx").count("MatMulIntegerToFloat") == before
    monkeypatch.setattr(module, "INT8_CONV_MIN_CHANNELS", 16)
    _path, agreement = build_ctc_int8(exported, quantize_convs=True)
    ops = _ops(exported / "model_int8.onnx")
    assert ops.count("MatMulIntegerToFloat") == before + 6
    assert ops.count("Conv") == 2  # the 1-channel first layer and the positional conv
    assert agreement["frames_differ"] < 0.1 and agreement["cer_vs_fp32"] < 0.1


def test_failed_fusion_installs_the_plain_graph(
    tiny_hf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(model: object, num_heads: int) -> int:
        raise RuntimeError("no pattern today")

    monkeypatch.setattr(optimize_onnx, "fuse_attention", broken)
    with caplog.at_level(logging.WARNING):
        out = export_ctc(tiny_hf, tmp_path / "out")[0].parent
    assert "attention fusion failed (no pattern today)" in caplog.text
    assert "MultiHeadAttention" not in _ops(out / "model.onnx")


def test_fusion_that_changes_the_output_is_refused(
    tiny_hf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real = optimize_onnx.fuse_attention

    def wrong_bias(model: onnx.ModelProto, num_heads: int) -> int:
        fused = real(model, num_heads)
        for init in model.graph.initializer:
            if init.name.endswith("_mha_bias"):  # the fused Q/K/V bias, off by 3
                init.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init) + 3, init.name))
        return fused

    monkeypatch.setattr(optimize_onnx, "fuse_attention", wrong_bias)
    with caplog.at_level(logging.WARNING):
        out = export_ctc(tiny_hf, tmp_path / "out")[0].parent
    assert "the fused graph changes the output" in caplog.text
    assert "MultiHeadAttention" not in _ops(out / "model.onnx")


def test_failed_conv_rewrite_still_builds_int8(
    exported: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from desktop_app.modelbuild import ctc_graph

    def broken(model: object, min_channels: int = 0) -> int:
        raise ValueError("odd graph")

    monkeypatch.setattr(ctc_graph, "convs_to_matmuls", broken)
    with caplog.at_level(logging.WARNING):
        path, agreement = build_ctc_int8(exported, quantize_convs=True)
    assert "their rewrite failed (odd graph)" in caplog.text
    assert path.is_file() and _ops(path).count("Conv") == 8
    assert agreement["cer_vs_fp32"] < 0.1


def test_upgrade_adds_the_current_graphs_to_an_older_version(
    tiny_hf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from desktop_app.modelbuild import export_ctc as module
    from desktop_app.modelbuild.ctc_upgrade import add_ctc_variants, int8_is_current, is_fused

    # An older version: unfused attention, int8 of the transformer alone.
    with monkeypatch.context() as patch:
        patch.setattr(optimize_onnx, "fuse_attention", lambda model, num_heads: 0)
        old = export_ctc(tiny_hf, tmp_path / "old")[0].parent
    build_ctc_int8(old, quantize_convs=False)
    monkeypatch.setattr(module, "INT8_CONV_MIN_CHANNELS", 16)
    monkeypatch.setattr(module, "INT8_QUANTIZE_CONVS", True)
    assert not is_fused(old / "model.onnx") and not int8_is_current(old / "model_int8.onnx")
    before = {p.name: p.read_bytes() for p in old.iterdir() if p.is_file()}

    new = tmp_path / "new"
    written = add_ctc_variants(old, new, int8=True)
    assert sorted(p.name for p in written) == ["model.onnx", "model_int8.onnx"]
    assert {p.name: p.read_bytes() for p in old.iterdir() if p.is_file()} == before  # only read
    assert is_fused(new / "model.onnx") and int8_is_current(new / "model_int8.onnx")
    x = normalize(probe_audio(3.0))[None]
    plain, fused = onnx_logits(old / "model.onnx", x)[0], onnx_logits(new / "model.onnx", x)[0]
    assert collapse(plain.argmax(-1), 0) == collapse(fused.argmax(-1), 0)

    for path in written:
        shutil.move(str(path), old / path.name)
    assert add_ctc_variants(old, tmp_path / "again", int8=True) == []  # nothing left to do


def test_upgrade_replaces_an_int8_of_the_first_builds(exported: Path, tmp_path: Path) -> None:
    import shutil

    from desktop_app.modelbuild.ctc_upgrade import add_ctc_variants, int8_is_current

    old = tmp_path / "old"
    shutil.copytree(exported, old)
    build_ctc_int8(old)
    assert int8_is_current(old / "model_int8.onnx")
    assert add_ctc_variants(old, tmp_path / "none", int8=True) == []
    # The first builds' int8 had no per-frame scales (here: any graph without them).
    shutil.copyfile(old / "model.onnx", old / "model_int8.onnx")
    assert not int8_is_current(old / "model_int8.onnx")
    written = add_ctc_variants(old, tmp_path / "new", int8=True)
    assert [p.name for p in written] == ["model_int8.onnx"]
    assert int8_is_current(written[0])
