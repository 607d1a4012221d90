"""Reading CTranslate2 model.bin files written by ctranslate2's own converter."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from desktop_app.core.errors import ModelError
from desktop_app.modelbuild.ct2_reader import dequantize, parse_model_bin, read_model_bin
from desktop_app.modelbuild.ct2_to_hf import hf_state_dict


def _hf_weights(hf_dir: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return load_file(str(hf_dir / "model.safetensors"))


def test_reads_header_variables_and_aliases(tiny_ct2: Path) -> None:
    model = read_model_bin(tiny_ct2 / "model.bin")
    assert (model.binary_version, model.spec_name, model.spec_revision) == (6, "WhisperSpec", 3)
    assert model.aliases["decoder/projection/weight"] == "decoder/embeddings/weight"
    assert (
        model.variables["decoder/projection/weight"] is model.variables["decoder/embeddings/weight"]
    )
    assert model.variables["encoder/conv1/weight"].shape == (64, 80, 3)
    assert model.dtypes["encoder/conv1/weight"] == "float32"
    assert int(model.variables["decoder/num_heads"]) == 2


def test_float32_round_trip_is_exact(tiny_hf: Path, tiny_ct2: Path) -> None:
    """ct2's converter, then our inverse mapping, gives back every HF weight bit for bit."""
    ours, dims = hf_state_dict(read_model_bin(tiny_ct2 / "model.bin"))
    original = _hf_weights(tiny_hf)
    original.pop("proj_out.weight", None)  # tied to the embeddings
    assert dims.tie_word_embeddings
    assert sorted(ours) == sorted(original)
    for name, value in original.items():
        np.testing.assert_array_equal(ours[name], value, err_msg=name)


@pytest.mark.parametrize(
    ("quantization", "dtype", "rtol"),
    [("float16", "float16", 1e-3), ("bfloat16", "bfloat16", 1e-2), ("int8", "int8", None)],
)
def test_quantised_models_dequantise(
    tiny_hf: Path,
    tmp_path: Path,
    ct2_convert: Any,
    quantization: str,
    dtype: str,
    rtol: float | None,
) -> None:
    ct2_convert(tiny_hf, tmp_path / "q", quantization=quantization)
    model = read_model_bin(tmp_path / "q" / "model.bin")
    assert model.dtypes["decoder/layer_0/ffn/linear_0/weight"] == dtype
    ours, _ = hf_state_dict(model)
    original = _hf_weights(tiny_hf)
    for name in ("model.decoder.layers.0.fc1.weight", "model.encoder.conv2.weight"):
        got, want = ours[name], original[name]
        assert got.dtype == np.float32
        if rtol is not None:
            np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-6, err_msg=name)
        else:  # int8: one scale per output row, error at most half a step
            rows = want.reshape(want.shape[0], -1)
            step = np.abs(rows).max(axis=1, keepdims=True) / 127
            assert np.all(np.abs(got.reshape(rows.shape) - rows) <= step / 2 + 1e-7), name


def _write_bin(
    variables: dict[str, np.ndarray], version: int = 6, spec: str = "WhisperSpec"
) -> bytearray:
    def string(text: str) -> bytes:
        raw = text.encode() + b"\0"
        return struct.pack("<H", len(raw)) + raw

    out = bytearray(struct.pack("<I", version) + string(spec) + struct.pack("<I", 3))
    out += struct.pack("<I", len(variables))
    for name, value in variables.items():
        out += string(name) + struct.pack("<B", value.ndim)
        out += b"".join(struct.pack("<I", d) for d in value.shape)
        out += struct.pack("<BI", {"float32": 0, "int8": 1}[value.dtype.name], value.nbytes)
        out += value.tobytes()
    return out + struct.pack("<I", 0)


def test_minimal_file_parses() -> None:
    weight = np.arange(6, dtype=np.float32).reshape(2, 3)
    scaled = np.array([[10, -20], [30, 40]], dtype=np.int8)
    data = _write_bin(
        {"a/weight": weight, "q/weight": scaled, "q/weight_scale": np.array([10, 20], np.float32)}
    )
    model = parse_model_bin(data)
    np.testing.assert_array_equal(model.variables["a/weight"], weight)
    floats = dequantize(model)
    assert "q/weight_scale" not in floats
    np.testing.assert_allclose(floats["q/weight"], [[1, -2], [1.5, 2]])


def test_truncated_file_is_refused(tiny_ct2: Path, tmp_path: Path) -> None:
    data = (tiny_ct2 / "model.bin").read_bytes()
    (tmp_path / "model.bin").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match="truncated or corrupt"):
        read_model_bin(tmp_path / "model.bin")


def test_unknown_binary_version_is_refused() -> None:
    with pytest.raises(ModelError, match="binary version 99"):
        parse_model_bin(_write_bin({}, version=99))


def test_trailing_garbage_and_bad_type_are_refused() -> None:
    with pytest.raises(ModelError, match="trailing bytes"):
        parse_model_bin(_write_bin({"x": np.zeros(2, np.float32)}) + b"junk")
    data = _write_bin({"x": np.zeros(2, np.float32)})
    type_offset = data.index(b"x\0") + 2 + 1 + 4
    data[type_offset] = 42
    with pytest.raises(ModelError, match="type id 42"):
        parse_model_bin(data)


def test_missing_file_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="Cannot read"):
        read_model_bin(tmp_path / "nope.bin")


def test_non_whisper_spec_is_refused() -> None:
    model = parse_model_bin(_write_bin({"x": np.zeros(2, np.float32)}, spec="TransformerSpec"))
    with pytest.raises(ModelError, match="not a Whisper model"):
        hf_state_dict(model)
