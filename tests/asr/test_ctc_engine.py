"""CtcOnnx on tiny exported wav2vec2 models: PyTorch parity, segments, words, windows."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from desktop_app.asr.ctc import CtcOnnx
from desktop_app.asr.engines import has_int8, has_word_timings, load_engine
from desktop_app.asr.manifest import validate_onnx_dir
from desktop_app.asr.options import DecodeOptions
from desktop_app.asr.transcribe import WhisperOnnx
from desktop_app.core.errors import ModelError
from tests.asr.conftest import tone_speechlike
from tests.asr.ctc_model import build_tiny_ctc_hf, export_tiny_ctc

SR = 16_000


@pytest.fixture(scope="module")
def ctc_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    import torch

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("ctc_engine")
    random_hf = build_tiny_ctc_hf(root / "random_hf", stable_layer_norm=True)
    constant_hf = build_tiny_ctc_hf(root / "constant_hf", constant_label="а")
    return {
        "random_hf": random_hf,
        "random": export_tiny_ctc(random_hf, root / "random", int8=True),
        "constant": export_tiny_ctc(constant_hf, root / "constant"),
    }


@pytest.fixture(scope="module")
def engine(ctc_dirs: dict[str, Path]) -> CtcOnnx:
    return CtcOnnx(ctc_dirs["random"], device="cpu", threads=1)


def test_logprobs_match_pytorch_with_its_feature_extractor(
    engine: CtcOnnx, ctc_dirs: dict[str, Path]
) -> None:
    import torch
    from transformers import Wav2Vec2FeatureExtractor, Wav2Vec2ForCTC

    audio = tone_speechlike(3.0)
    hf = ctc_dirs["random_hf"]
    values = Wav2Vec2FeatureExtractor.from_pretrained(hf)(audio, sampling_rate=SR).input_values
    with torch.inference_mode():
        logits = Wav2Vec2ForCTC.from_pretrained(hf).eval()(torch.tensor(np.array(values))).logits
    want = torch.log_softmax(logits[0], -1).numpy()
    got = engine.logprobs(audio)
    assert got.shape == want.shape and np.abs(got - want).max() < 1e-3
    assert (got.argmax(-1) == want.argmax(-1)).all()


@pytest.mark.parametrize("beam_size", [1, 4])
def test_segments_have_aligned_words(engine: CtcOnnx, beam_size: int) -> None:
    audio = np.concatenate([tone_speechlike(3.0), np.zeros(SR, np.float32), tone_speechlike(2.0)])
    segments, info = engine.transcribe(audio, DecodeOptions(beam_size=beam_size))
    assert info.language == "kk" and info.duration == pytest.approx(6.0)
    assert info.device == "cpu" and info.device_warning is None
    segments = list(segments)
    assert segments and [s.id for s in segments] == list(range(len(segments)))
    previous_end = 0.0
    for seg in segments:
        assert seg.words and seg.language == "kk"
        assert seg.text == "".join(w.text for w in seg.words)
        assert seg.confidence == pytest.approx(np.mean([w.probability for w in seg.words]))
        assert len(seg.tokens) == len(seg.token_logprobs) == sum(len(w.text) - 1 for w in seg.words)
        assert seg.avg_logprob == pytest.approx(np.mean(seg.token_logprobs))
        assert (seg.start, seg.end) == (seg.words[0].start, seg.words[-1].end)
        for word in seg.words:
            assert not word.estimated and word.text.startswith(" ")
            assert previous_end <= word.start < word.end <= 6.0
            assert 0.0 < word.probability <= 1.0
            previous_end = word.end


def test_constant_output_gives_exact_times(ctc_dirs: dict[str, Path]) -> None:
    """Every frame says "а": one word per window, from its first frame to its last."""
    engine = CtcOnnx(ctc_dirs["constant"], device="cpu", threads=1)
    audio = tone_speechlike(3.0)
    (segment,) = list(engine.transcribe(audio, DecodeOptions())[0])
    # 48,000 samples -> 149 frames of 20 ms (the first one needs 400 samples).
    assert segment.text == " а" and segment.tokens == (engine.config.tokens.index("а"),)
    assert (segment.start, segment.end) == (0.0, 2.98)
    assert segment.words[0].probability == pytest.approx(segment.confidence)


def test_long_audio_is_cut_into_windows(ctc_dirs: dict[str, Path]) -> None:
    engine = CtcOnnx(ctc_dirs["constant"], device="cpu", threads=1, max_window_s=10.0)
    parts = [tone_speechlike(6.0, seed) for seed in range(4)]
    pause = np.zeros(SR // 2, np.float32)
    audio = np.concatenate([p for part in parts for p in (part, pause)])
    segments = list(engine.transcribe(audio, DecodeOptions())[0])
    assert len(segments) >= 3
    assert all(s.end - s.start <= 10.0 for s in segments)
    assert [s.start for s in segments] == sorted(s.start for s in segments)
    assert segments[-1].end <= len(audio) / SR


def test_quantized_runs_the_int8_graph(ctc_dirs: dict[str, Path], tmp_path: Path) -> None:
    int8 = CtcOnnx(ctc_dirs["random"], device="cpu", threads=1, quantized=True)
    assert int8.model_file == "model_int8.onnx"
    assert list(int8.transcribe(tone_speechlike(2.0))[0])
    assert has_int8(ctc_dirs["random"]) and not has_int8(ctc_dirs["constant"])
    with pytest.raises(ModelError, match="no int8 variant"):
        CtcOnnx(ctc_dirs["constant"], device="cpu", quantized=True)


def test_load_engine_picks_the_engine_by_folder(ctc_dirs: dict[str, Path]) -> None:
    engine = load_engine(ctc_dirs["random"], device="cpu", threads=1)
    assert isinstance(engine, CtcOnnx) and not isinstance(engine, WhisperOnnx)
    assert engine.detect_language(np.zeros(SR, np.float32)) == {"kk": 1.0}
    assert has_word_timings(ctc_dirs["random"])


def test_cuda_request_falls_back_with_a_warning(ctc_dirs: dict[str, Path]) -> None:
    import onnxruntime as ort

    engine = CtcOnnx(ctc_dirs["constant"], device="cuda", threads=1)
    if "CUDAExecutionProvider" in ort.get_available_providers():
        assert engine.device in ("cuda", "cpu")
    else:
        assert engine.device == "cpu" and "CUDA" in (engine.device_warning or "")


def test_silence_and_short_audio_give_nothing(engine: CtcOnnx) -> None:
    assert list(engine.transcribe(np.zeros(0, np.float32))[0]) == []
    assert list(engine.transcribe(np.zeros(400, np.float32))[0]) == []
    with pytest.raises(ValueError, match="mono"):
        engine.transcribe(np.zeros((2, 100), np.float32))


def test_damaged_folders_are_refused(ctc_dirs: dict[str, Path], tmp_path: Path) -> None:
    folder = shutil.copytree(ctc_dirs["constant"], tmp_path / "bad")
    (folder / "vocab.json").write_text('{"a": "x"}')
    with pytest.raises(ModelError, match="flat token"):
        validate_onnx_dir(folder)
    (folder / "vocab.json").unlink()
    with pytest.raises(ModelError, match=r"vocab\.json missing"):
        validate_onnx_dir(folder)
    folder = shutil.copytree(ctc_dirs["constant"], tmp_path / "bad2")
    (folder / "model.onnx").write_bytes(b"not onnx")
    with pytest.raises(ModelError, match="not a readable ONNX model"):
        validate_onnx_dir(folder)
