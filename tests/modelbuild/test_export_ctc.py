"""Exporting Hugging Face CTC checkpoints (wav2vec2, XLS-R layout, MMS adapters) to ONNX."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from desktop_app.asr.manifest import (
    CTC_FORMAT,
    format_of,
    languages_of,
    runtime_files,
    validate_onnx_dir,
)
from desktop_app.core.errors import ModelError
from desktop_app.modelbuild.__main__ import main
from desktop_app.modelbuild.ctc_check import normalize, onnx_logits, probe_audio
from desktop_app.modelbuild.export_ctc import build_ctc_int8, export_ctc
from tests.asr.ctc_model import build_tiny_ctc_hf, build_tiny_mms_hf, kazakh_vocab


@pytest.fixture(scope="module")
def tiny_hf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch

    torch.set_num_threads(1)
    return build_tiny_ctc_hf(tmp_path_factory.mktemp("ctc") / "hf")


@pytest.fixture(scope="module")
def tiny_mms(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_mms_hf(tmp_path_factory.mktemp("mms") / "hf")


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def test_export_writes_a_runtime_folder_and_keeps_the_source(tiny_hf: Path, tmp_path: Path) -> None:
    before = _digests(tiny_hf)
    out = tmp_path / "onnx"
    files = export_ctc(tiny_hf, out, language="kk")
    assert {p.name for p in files} == {
        "model.onnx",
        "config.json",
        "preprocessor_config.json",
        "vocab.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
        "ctc_config.json",
    }
    assert _digests(tiny_hf) == before  # the checkpoint stays usable for fine-tuning
    assert json.loads((out / "vocab.json").read_text("utf-8")) == kazakh_vocab()
    ours = json.loads((out / "ctc_config.json").read_text("utf-8"))
    assert ours["language"] == "kk" and ours["blank_id"] == 0 and ours["frame_stride"] == 320
    validate_onnx_dir(out)
    assert format_of(out) == CTC_FORMAT and languages_of(out) == ["kk"]
    assert set(runtime_files(out)) == {p.name for p in files}


def test_onnx_matches_pytorch_on_any_length(tiny_hf: Path, tmp_path: Path) -> None:
    import torch
    from transformers import Wav2Vec2ForCTC

    out = export_ctc(tiny_hf, tmp_path / "onnx", validate=False)[0].parent
    model = Wav2Vec2ForCTC.from_pretrained(tiny_hf).eval()
    for seconds in (1.3, 7.0):
        values = normalize(probe_audio(seconds, seed=3))[None]
        got = onnx_logits(out / "model.onnx", values)
        with torch.inference_mode():
            want = model(torch.from_numpy(values)).logits.numpy()
        assert got.shape == want.shape and got.shape[1] == int(seconds * 50) - 1
        assert np.abs(got - want).max() < 1e-4


def test_mms_exports_the_chosen_language_adapter(tiny_mms: Path, tmp_path: Path) -> None:
    import torch
    from transformers import Wav2Vec2ForCTC

    out = tmp_path / "onnx"
    export_ctc(tiny_mms, out)  # a per-language vocabulary: Kazakh unless told otherwise
    vocab = json.loads((out / "vocab.json").read_text("utf-8"))
    assert vocab == kazakh_vocab()
    ours = json.loads((out / "ctc_config.json").read_text("utf-8"))
    assert (ours["target_lang"], ours["language"]) == ("kaz", "kk")
    assert "target_lang" not in json.loads((out / "tokenizer_config.json").read_text("utf-8"))
    values = normalize(probe_audio(2.0))[None]
    got = onnx_logits(out / "model.onnx", values)
    kaz = Wav2Vec2ForCTC.from_pretrained(tiny_mms, target_lang="kaz", ignore_mismatched_sizes=True)
    with torch.inference_mode():
        want = kaz.eval()(torch.from_numpy(values)).logits.numpy()
    assert got.shape[-1] == len(vocab) and np.abs(got - want).max() < 1e-4
    with pytest.raises(ModelError, match="no vocabulary for 'xyz'"):
        export_ctc(tiny_mms, tmp_path / "other", target_lang="xyz")


def test_refusals(tiny_hf: Path, tmp_path: Path) -> None:
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x").write_text("x")
    with pytest.raises(ModelError, match="not empty"):
        export_ctc(tiny_hf, busy)
    no_vocab = shutil.copytree(tiny_hf, tmp_path / "no_vocab")
    (no_vocab / "vocab.json").unlink()
    with pytest.raises(ModelError, match=r"no vocab\.json"):
        export_ctc(no_vocab, tmp_path / "a")
    bert = shutil.copytree(tiny_hf, tmp_path / "bert")
    config = json.loads((bert / "config.json").read_text())
    config.update(model_type="bert", architectures=["BertModel"])
    (bert / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match="model type is 'bert'"):
        export_ctc(bert, tmp_path / "b")


def test_int8_keeps_the_greedy_output_close(tiny_hf: Path, tmp_path: Path) -> None:
    out = export_ctc(tiny_hf, tmp_path / "onnx", validate=False)[0].parent
    path, agreement = build_ctc_int8(out)
    assert (
        path.name == "model_int8.onnx" and path.stat().st_size < (out / "model.onnx").stat().st_size
    )
    validate_onnx_dir(out)
    assert "model_int8.onnx" in runtime_files(out)
    # Measured on this tiny random model: ~1 % of frames flip, CER ~1 % against fp32.
    assert agreement["frames_differ"] < 0.1 and agreement["cer_vs_fp32"] < 0.1


def test_export_ctc_subcommand_speaks_the_protocol(tiny_hf: Path, tmp_path: Path) -> None:
    stream = io.StringIO()
    code = main(
        ["export-ctc", str(tiny_hf), str(tmp_path / "out"), "--int8", "--language", "kk"], stream
    )
    messages = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert code == 0, messages[-1]
    done = messages[-1]
    assert done["type"] == "done"
    assert "model_int8.onnx" in done["result"]["files"]
    assert set(done["result"]["int8"]) == {"max_logit_diff", "frames_differ", "cer_vs_fp32"}
    stream = io.StringIO()
    assert main(["export-ctc", str(tmp_path / "nowhere"), str(tmp_path / "x")], stream) == 1
