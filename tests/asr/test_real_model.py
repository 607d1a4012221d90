"""The real default model (Whisper base, ONNX): fp32 parity with Transformers.

Slow: it needs the default model installed (``default_model`` fixture) and
rebuilds the same weights as a Transformers checkpoint for the reference.
"""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from desktop_app.asr import DecodeOptions, WhisperOnnx, preset
from tests.asr.test_decoding import hf_generate

pytestmark = pytest.mark.slow

CLIPS = {
    "en": "The quick brown fox jumps over the lazy dog. Speech recognition should be private.",
    "kk": "Қазақстан Республикасы Орталық Азияда орналасқан. Бүгін ауа райы жақсы.",
}


def _speak(lang: str, folder: Path) -> np.ndarray:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    path = folder / f"{lang}.wav"
    subprocess.run(["espeak-ng", "-v", lang, "-w", str(path), CLIPS[lang]], check=True)
    with wave.open(str(path)) as wav:
        rate = wav.getframerate()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
    import soxr

    return soxr.resample(pcm.astype(np.float32) / 32768.0, rate, 16_000).astype(np.float32)


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, np.ndarray]:
    folder = tmp_path_factory.mktemp("clips")
    return {lang: _speak(lang, folder) for lang in CLIPS}


@pytest.fixture(scope="module")
def real(default_model) -> WhisperOnnx:
    registry, manifest = default_model
    return WhisperOnnx(registry.path(manifest.id), device="cpu")


@pytest.fixture(scope="module")
def real_hf(real_hf_dir):
    """The same weights as a Transformers model, through the project's converter."""
    import torch
    from transformers import WhisperForConditionalGeneration

    torch.set_num_threads(1)  # OpenMP spin-waits crawl next to ORT's threads on 2 cores
    return WhisperForConditionalGeneration.from_pretrained(real_hf_dir).eval()


def hf_dir_of_default_model(tmp_path_factory) -> Path:
    """The default model's weights as a Transformers checkpoint folder."""
    from desktop_app.modelbuild.ct2_to_hf import convert_ct2_to_hf
    from desktop_app.modelbuild.default_model import package_data_dirs

    part1, part2 = package_data_dirs()
    ct2 = tmp_path_factory.mktemp("ct2")
    with open(ct2 / "model.bin", "wb") as out:
        for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
            out.write(part.read_bytes())
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copy(part1 / name, ct2 / name)
    hf_dir = tmp_path_factory.mktemp("hf") / "model"
    convert_ct2_to_hf(ct2, hf_dir, check_load=False)
    return hf_dir


@pytest.fixture(scope="module")
def real_hf_dir(tmp_path_factory) -> Path:
    return hf_dir_of_default_model(tmp_path_factory)


@pytest.mark.parametrize(("lang", "timestamps"), [("en", True), ("kk", False)])
def test_fp32_greedy_tokens_equal_transformers(real, real_hf, clips, lang, timestamps) -> None:
    audio = clips[lang]
    options = DecodeOptions(language=lang, temperatures=(0.0,), without_timestamps=not timestamps)
    ours = real.decoder.decode(real.encode(audio), options, language=lang, max_new_tokens=40)
    reference = hf_generate(real, real_hf, audio, timestamps, max_new=40, language=lang)
    assert list(ours.tokens) == reference


def test_english_text_and_language(real, clips) -> None:
    probs = real.detect_language(clips["en"])
    assert next(iter(probs)) == "en" and probs["en"] > 0.5
    segments, info = real.transcribe(clips["en"], preset("fast", language=None))
    text = "".join(s.text for s in segments).lower()
    assert info.language == "en" and "lazy dog" in text
    assert info.device == "cpu"


def test_kazakh_preset_with_vad(real, clips) -> None:
    audio = np.concatenate(
        [np.zeros(32_000, np.float32), clips["kk"], np.zeros(48_000, np.float32)]
    )
    segments, info = real.transcribe(audio, preset("kk-ru", vad_filter=True, temperatures=(0.0,)))
    segments = list(segments)
    assert info.vad_backend == "silero" and info.duration_after_vad < info.duration
    assert segments and all(1.5 <= s.start <= s.end <= info.duration for s in segments)
    assert all(s.language == "kk" and s.words for s in segments)
