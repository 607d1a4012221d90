"""Devices, session options and clear errors for broken model folders."""

from __future__ import annotations

from pathlib import Path

import onnxruntime as ort
import pytest

from desktop_app.asr import WhisperOnnx, choose_device, preset
from desktop_app.asr.ort_session import make_session_options, physical_cores
from desktop_app.asr.presets import PRESETS
from desktop_app.core.errors import ModelError

CUDA, CPU = "CUDAExecutionProvider", "CPUExecutionProvider"


def test_choose_device() -> None:
    assert choose_device("cpu").device == "cpu"
    auto = choose_device("auto", available=[CUDA, CPU])
    assert auto.device == "cuda" and auto.providers == (CUDA, CPU)
    fallback = choose_device("cuda", available=[CPU])
    assert fallback.device == "cpu" and "CUDA" in (fallback.warning or "")
    assert choose_device("auto", available=[CPU]).warning is None
    with pytest.raises(ValueError, match="tpu"):
        choose_device("tpu")


@pytest.mark.skipif(CUDA in ort.get_available_providers(), reason="a GPU is present")
def test_cuda_request_falls_back_to_cpu(tiny_model) -> None:
    model = WhisperOnnx(tiny_model.onnx_dir, device="cuda", threads=1)
    assert model.device == "cpu"
    assert "CPU" in (model.device_warning or "")


def test_session_options() -> None:
    opts = make_session_options(threads=3)
    assert opts.intra_op_num_threads == 3 and opts.inter_op_num_threads == 1
    assert opts.log_severity_level == 3 and opts.enable_cpu_mem_arena
    assert make_session_options().intra_op_num_threads == physical_cores()
    assert physical_cores() >= 0


def _copy_model(src: Path, dst: Path, skip: str = "") -> Path:
    dst.mkdir()
    for path in src.iterdir():
        if path.name != skip:
            (dst / path.name).symlink_to(path)
    return dst


@pytest.mark.parametrize(
    "missing",
    ["encoder_model.onnx", "config.json", "tokenizer.json"],
)
def test_missing_file_is_named(tiny_model, tmp_path, missing) -> None:
    broken = _copy_model(tiny_model.onnx_dir, tmp_path / "m", skip=missing)
    with pytest.raises(ModelError, match=missing):
        WhisperOnnx(broken, device="cpu")


def test_missing_decoder_is_named(tiny_model, tmp_path) -> None:
    broken = _copy_model(tiny_model.onnx_dir, tmp_path / "m", skip="decoder_model_merged.onnx")
    (broken / "decoder_with_past_model.onnx").unlink()
    with pytest.raises(ModelError, match=r"decoder_model_merged\.onnx"):
        WhisperOnnx(broken, device="cpu")


@pytest.mark.parametrize("name", ["decoder_model_merged.onnx", "encoder_model.onnx"])
def test_corrupt_file_is_named(tiny_model, tmp_path, name) -> None:
    broken = _copy_model(tiny_model.onnx_dir, tmp_path / "m", skip=name)
    (broken / name).write_bytes(b"\x08\x07 definitely not a protobuf" * 10)
    with pytest.raises(ModelError, match=name):
        WhisperOnnx(broken, device="cpu")


def test_corrupt_config_and_missing_folder(tiny_model, tmp_path) -> None:
    broken = _copy_model(tiny_model.onnx_dir, tmp_path / "m", skip="config.json")
    (broken / "config.json").write_text("{oops")
    with pytest.raises(ModelError, match=r"config\.json"):
        WhisperOnnx(broken, device="cpu")
    with pytest.raises(ModelError, match="does not exist"):
        WhisperOnnx(tmp_path / "nowhere")


def test_presets() -> None:
    assert PRESETS["fast"].beam_size == 1 and PRESETS["accurate"].beam_size == 5
    kk = preset("kk-ru")
    assert (kk.beam_size, kk.no_repeat_ngram_size, kk.repetition_penalty) == (3, 4, 1.12)
    budgets = [kk.token_budget(s, 224) for s in (2.0, 5.0, 7.5, 12.0, 19.9, 24.0, 29.0)]
    assert budgets == [40, 40, 64, 80, 96, 112, 128]
    assert PRESETS["fast"].token_budget(29.0, 224) == 224
    assert preset("fast", max_new_tokens=10).token_budget(29.0, 224) == 10
    changed = preset("fast", language=None)
    assert changed.language is None and PRESETS["fast"].language == "kk"
    with pytest.raises(ValueError, match="nope"):
        preset("nope")


def test_options_validate_and_freeze_lists() -> None:
    from desktop_app.asr import DecodeOptions

    opts = DecodeOptions(temperatures=[0.0, 0.5])  # type: ignore[arg-type]
    assert opts.temperatures == (0.0, 0.5)
    hash(opts.temperatures)
    with pytest.raises(ValueError):
        DecodeOptions(beam_size=0)
