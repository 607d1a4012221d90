"""Kaldi-style log-mel filterbank features in numpy (what WeSpeaker and 3D-Speaker models take).

The same computation as Kaldi's ``compute-fbank-feats`` and
``torchaudio.compliance.kaldi.fbank`` with their defaults, at 16 kHz: frames of
25 ms every 10 ms taken only where they fit in the signal ("snip edges"), no
dither, the DC offset removed per frame, pre-emphasis 0.97, a window (Hamming
as WeSpeaker extracts; Kaldi's own default is Povey), zero-padded to a 512-point
FFT, power spectrum, 80 triangular bins evenly spaced on Kaldi's mel scale
(``1127 ln(1 + f/700)``) from 20 Hz to the Nyquist frequency, then the natural
log floored at float32 epsilon. Samples are scaled to 16-bit integer range
first, as those toolkits do. :func:`fbank` gives the frames; the embedder
subtracts the per-window mean (CMN) before the model sees them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

SAMPLE_RATE = 16_000
FRAME = 400  # 25 ms
SHIFT = 160  # 10 ms
N_FFT = 512  # the frame rounded up to a power of two
EPS = float(np.finfo(np.float32).eps)


@dataclass(frozen=True)
class FbankOptions:
    n_mels: int = 80
    low_hz: float = 20.0
    high_hz: float = 0.0  # 0 or less: that much below the Nyquist frequency
    preemph: float = 0.97
    window: str = "hamming"  # or "povey" (Kaldi's default), "hanning"
    scale: float = 32768.0  # float audio in [-1, 1] -> 16-bit sample values


def mel_scale(hz: np.ndarray | float) -> np.ndarray:
    return 1127.0 * np.log1p(np.asarray(hz, dtype=np.float64) / 700.0)


@cache
def mel_banks(n_mels: int, low_hz: float, high_hz: float) -> np.ndarray:
    """(N_FFT // 2 + 1, n_mels) triangular weights on the mel scale (the last FFT bin unused)."""
    nyquist = SAMPLE_RATE / 2
    high = high_hz if high_hz > 0 else nyquist + high_hz
    lo, hi = mel_scale(low_hz), mel_scale(high)
    delta = (hi - lo) / (n_mels + 1)
    left = lo + delta * np.arange(n_mels)[:, None]
    centre, right = left + delta, left + 2 * delta
    mel = mel_scale(SAMPLE_RATE / N_FFT * np.arange(N_FFT // 2))[None, :]
    up = (mel - left) / (centre - left)
    down = (right - mel) / (right - centre)
    banks = np.maximum(0.0, np.minimum(up, down))
    banks = np.concatenate([banks, np.zeros((n_mels, 1))], axis=1)
    return banks.T.astype(np.float32)


@cache
def window(kind: str) -> np.ndarray:
    n = np.arange(FRAME)
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * n / (FRAME - 1))
    if kind == "hamming":
        w = 0.54 - 0.46 * np.cos(2 * np.pi * n / (FRAME - 1))
    elif kind == "povey":
        w = hann**0.85
    elif kind == "hanning":
        w = hann
    else:
        raise ValueError(f"unknown window {kind!r}")
    return w.astype(np.float32)


def n_frames(n_samples: int) -> int:
    return 0 if n_samples < FRAME else 1 + (n_samples - FRAME) // SHIFT


def fbank(audio: np.ndarray, opts: FbankOptions = FbankOptions()) -> np.ndarray:
    """(frames, n_mels) float32 log-mel energies of 16 kHz mono float ``audio``."""
    audio = np.asarray(audio, dtype=np.float32).reshape(-1) * np.float32(opts.scale)
    count = n_frames(audio.shape[0])
    if count == 0:
        return np.zeros((0, opts.n_mels), dtype=np.float32)
    idx = np.arange(FRAME)[None, :] + SHIFT * np.arange(count)[:, None]
    frames = audio[idx]
    frames = frames - frames.mean(axis=1, keepdims=True)
    previous = np.concatenate([frames[:, :1], frames[:, :-1]], axis=1)
    frames = frames - np.float32(opts.preemph) * previous
    spec = np.fft.rfft(frames * window(opts.window), n=N_FFT, axis=1)
    power = (spec.real**2 + spec.imag**2).astype(np.float32)
    energies = power @ mel_banks(opts.n_mels, opts.low_hz, opts.high_hz)
    return np.log(np.maximum(energies, EPS)).astype(np.float32)


def fbank_cmn(audio: np.ndarray, opts: FbankOptions = FbankOptions()) -> np.ndarray:
    """:func:`fbank` minus its mean over time (per-utterance mean normalisation)."""
    feats = fbank(audio, opts)
    return feats - feats.mean(axis=0, keepdims=True) if len(feats) else feats
