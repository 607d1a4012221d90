"""The GE2E speaker encoder's front end in numpy: 40 power-mel bands, 25 ms / 10 ms at 16 kHz.

It computes what ``resemblyzer.audio.wav_to_mel_spectrogram`` computes with
librosa (``melspectrogram`` with a centred, zero-padded periodic Hann window,
power 2 and Slaney mel filters), so the app needs neither librosa nor torch.
"""

from __future__ import annotations

from functools import cache

import numpy as np

SAMPLE_RATE = 16_000
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms
N_MELS = 40


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above (librosa's default)."""
    hz = np.asarray(hz, dtype=np.float64)
    f_sp = 200.0 / 3
    mels = hz / f_sp
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(
        hz >= min_log_hz, min_log_mel + np.log(np.maximum(hz, 1e-10) / min_log_hz) / logstep, mels
    )


def _mel_to_hz(mels: np.ndarray) -> np.ndarray:
    mels = np.asarray(mels, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(
        mels >= min_log_mel, min_log_hz * np.exp(logstep * (mels - min_log_mel)), f_sp * mels
    )


@cache
def mel_filters(sr: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS) -> np.ndarray:
    """(n_mels, n_fft // 2 + 1) Slaney-normalised triangular filters, as librosa builds them."""
    fft_freqs = np.linspace(0, sr / 2, 1 + n_fft // 2)
    mel_f = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(sr / 2), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2 : n_mels + 2] - mel_f[:n_mels]))[:, None]
    return weights.astype(np.float32)


@cache
def _window(n_fft: int = N_FFT) -> np.ndarray:
    n = np.arange(n_fft)
    return (0.5 - 0.5 * np.cos(2 * np.pi * n / n_fft)).astype(np.float32)  # periodic Hann


def mel_frames(audio: np.ndarray) -> np.ndarray:
    """(frames, 40) float32 power-mel frames of 16 kHz mono ``audio``; frames = 1 + len // 160."""
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    return mel_range(audio, 0, 1 + audio.shape[0] // HOP)


def mel_range(audio: np.ndarray, first: int, stop: int) -> np.ndarray:
    """Frames ``first..stop-1`` of :func:`mel_frames` (the same values), computing only those:
    frame ``j`` is centred on sample ``160 j``, zeros beyond the ends of ``audio``."""
    n_frames = max(0, stop - first)
    if n_frames == 0:
        return np.zeros((0, N_MELS), dtype=np.float32)
    lo = first * HOP - N_FFT // 2
    hi = (stop - 1) * HOP + N_FFT // 2
    piece = np.zeros(hi - lo, dtype=np.float32)
    a, b = max(0, lo), min(audio.shape[0], hi)
    if b > a:
        piece[a - lo : b - lo] = audio[a:b]
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(n_frames)[:, None]
    spec = np.fft.rfft(piece[idx] * _window(), n=N_FFT, axis=1)
    power = (spec.real**2 + spec.imag**2).astype(np.float32)
    return power @ mel_filters().T
