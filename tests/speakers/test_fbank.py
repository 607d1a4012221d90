"""The numpy Kaldi fbank against torchaudio's when it is installed, and always against a
slow reference written from Kaldi's definition (``feature-window.cc``, ``mel-computations.cc``)."""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest

from desktop_app.speakers.fbank import FbankOptions, fbank, fbank_cmn, n_frames


def _kaldi_reference(audio: np.ndarray, window: str, n_mels: int = 80) -> np.ndarray:
    """One frame at a time, one bin at a time, in float64, as Kaldi describes it."""
    sr, frame, shift, n_fft = 16000, 400, 160, 512
    x = [float(v) * 32768.0 for v in audio]
    count = 1 + (len(x) - frame) // shift
    # MelBanks: bins evenly spaced on 1127 ln(1 + f/700) between 20 Hz and Nyquist.
    mel = lambda f: 1127.0 * math.log(1.0 + f / 700.0)  # noqa: E731
    lo, hi = mel(20.0), mel(sr / 2)
    delta = (hi - lo) / (n_mels + 1)
    banks = []
    for b in range(n_mels):
        left, centre, right = lo + b * delta, lo + (b + 1) * delta, lo + (b + 2) * delta
        row = []
        for k in range(n_fft // 2):
            m = mel(sr * k / n_fft)
            if not left < m < right:
                row.append(0.0)
            elif m <= centre:
                row.append((m - left) / (centre - left))
            else:
                row.append((right - m) / (right - centre))
        banks.append(row)
    out = []
    for i in range(count):
        f = x[i * shift : i * shift + frame]
        mean = sum(f) / frame
        f = [v - mean for v in f]  # remove_dc_offset
        f = [f[j] - 0.97 * f[j - 1 if j else 0] for j in range(frame)]  # pre-emphasis
        a = 2 * math.pi / (frame - 1)
        if window == "hamming":
            w = [0.54 - 0.46 * math.cos(a * j) for j in range(frame)]
        else:  # povey
            w = [(0.5 - 0.5 * math.cos(a * j)) ** 0.85 for j in range(frame)]
        f = [f[j] * w[j] for j in range(frame)] + [0.0] * (n_fft - frame)
        spec = np.fft.rfft(np.array(f))
        power = [abs(c) ** 2 for c in spec[: n_fft // 2]]
        eps = float(np.finfo(np.float32).eps)
        energies = [sum(p * wb for p, wb in zip(power, row, strict=True)) for row in banks]
        out.append([math.log(max(eps, e)) for e in energies])
    return np.array(out)


@pytest.fixture(scope="module")
def audio() -> np.ndarray:
    rng = np.random.default_rng(3)
    t = np.arange(int(0.2 * 16000)) / 16000
    voiced = 0.3 * np.sin(2 * np.pi * 180 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))
    return (voiced + 0.02 * rng.standard_normal(t.size)).astype(np.float32)


@pytest.mark.parametrize("window", ["hamming", "povey"])
def test_matches_kaldi_definition(audio: np.ndarray, window: str) -> None:
    ours = fbank(audio, FbankOptions(window=window))
    ref = _kaldi_reference(audio, window)
    assert ours.shape == ref.shape == (n_frames(audio.size), 80) == (18, 80)
    # float32 against float64: log energies agree to well under a hundredth
    assert np.max(np.abs(ours - ref)) < 2e-3


def test_silence_is_floored_and_short_audio_has_no_frames() -> None:
    quiet = fbank(np.zeros(1600, np.float32))
    assert quiet.shape == (8, 80)
    assert np.allclose(quiet, np.log(np.finfo(np.float32).eps))
    assert fbank(np.zeros(399, np.float32)).shape == (0, 80)
    feats = fbank_cmn(np.random.default_rng(0).standard_normal(4000).astype(np.float32))
    assert np.allclose(feats.mean(axis=0), 0.0, atol=1e-4)


@pytest.mark.skipif(
    importlib.util.find_spec("torchaudio") is None, reason="torchaudio is not installed"
)
def test_matches_torchaudio(audio: np.ndarray) -> None:
    import torch
    import torchaudio.compliance.kaldi as kaldi

    theirs = kaldi.fbank(
        torch.from_numpy(audio)[None] * 32768,
        num_mel_bins=80,
        frame_length=25,
        frame_shift=10,
        dither=0.0,
        sample_frequency=16000,
        window_type="hamming",
        use_energy=False,
    ).numpy()
    assert np.max(np.abs(fbank(audio) - theirs)) < 1e-3
