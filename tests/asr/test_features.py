"""The numpy log-mel front end against Hugging Face's WhisperFeatureExtractor."""

from __future__ import annotations

import json

import numpy as np
import pytest

from desktop_app.asr.features import FeatureConfig, LogMelSpectrogram, mel_filter_bank


def _signal(seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * 16_000)) / 16_000
    chirp = np.sin(2 * np.pi * (200 + 300 * t) * t)
    return (0.3 * chirp + 0.05 * rng.standard_normal(t.size)).astype(np.float32)


@pytest.mark.parametrize("n_mels", [80, 128])
@pytest.mark.parametrize("seconds", [0.7, 12.3, 30.0, 41.0])
def test_matches_transformers(n_mels: int, seconds: float) -> None:
    from transformers import WhisperFeatureExtractor

    fe = WhisperFeatureExtractor(feature_size=n_mels)
    audio = _signal(seconds, seed=int(seconds * 10))
    ours = LogMelSpectrogram(FeatureConfig(n_mels=n_mels))(audio)
    reference = fe(audio, sampling_rate=16_000, return_tensors="np").input_features[0]
    assert ours.shape == reference.shape == (n_mels, 3000)
    assert ours.dtype == np.float32
    assert np.abs(ours - reference).max() < 1e-4
    # Hugging Face's pure-numpy path (no torch) agrees to float32 rounding.
    padded = np.zeros(480_000, dtype=np.float32)
    padded[: min(audio.size, 480_000)] = audio[:480_000]
    numpy_ref = fe._np_extract_fbank_features(padded[None], "cpu")[0]
    assert np.abs(ours - numpy_ref).max() < 1e-5


@pytest.mark.parametrize("n_mels", [80, 128])
def test_filter_bank_matches(n_mels: int) -> None:
    from transformers import WhisperFeatureExtractor

    fe = WhisperFeatureExtractor(feature_size=n_mels)
    np.testing.assert_allclose(mel_filter_bank(n_mels, 400), fe.mel_filters.T, atol=1e-12)


def test_silence_is_finite() -> None:
    mel = LogMelSpectrogram()(np.zeros(16_000, dtype=np.float32))
    assert np.isfinite(mel).all()
    assert mel.max() == pytest.approx(mel.min())


def test_config_from_preprocessor_json(tmp_path) -> None:
    path = tmp_path / "preprocessor_config.json"
    path.write_text(json.dumps({"feature_size": 128, "n_fft": 400, "hop_length": 160}))
    config = FeatureConfig.from_preprocessor_config(path)
    assert config.n_mels == 128
    assert (config.n_samples, config.n_frames) == (480_000, 3000)
