"""Whisper's log-mel spectrogram in plain numpy.

The numbers match Hugging Face's ``WhisperFeatureExtractor`` (and so OpenAI's
``log_mel_spectrogram``): a periodic Hann window, a centred STFT with reflect
padding, a Slaney-normalised mel filter bank from 0 to 8 kHz, ``log10``, a
dynamic range clamped to 8 (i.e. 80 dB) below the peak and the ``(x + 4) / 4``
scaling. One call handles one window: the audio is zero-padded or cut to
``chunk_length`` seconds first, exactly as the model saw it in training.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class FeatureConfig:
    """Front-end settings; Whisper uses 80 bins (128 for large-v3 and turbo)."""

    n_mels: int = 80
    n_fft: int = 400
    hop_length: int = 160
    sampling_rate: int = SAMPLE_RATE
    chunk_length: int = 30

    @property
    def n_samples(self) -> int:
        """Samples in one padded window (480 000 for 30 s at 16 kHz)."""
        return self.chunk_length * self.sampling_rate

    @property
    def n_frames(self) -> int:
        """Mel frames in one window (3 000 for 30 s)."""
        return self.n_samples // self.hop_length

    @property
    def frame_seconds(self) -> float:
        """Duration of one mel frame (10 ms)."""
        return self.hop_length / self.sampling_rate

    @classmethod
    def from_preprocessor_config(cls, path: str | Path) -> FeatureConfig:
        """Read ``preprocessor_config.json``; missing keys keep Whisper's defaults."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        default = cls()
        return cls(
            n_mels=int(data.get("feature_size", default.n_mels)),
            n_fft=int(data.get("n_fft", default.n_fft)),
            hop_length=int(data.get("hop_length", default.hop_length)),
            sampling_rate=int(data.get("sampling_rate", default.sampling_rate)),
            chunk_length=int(data.get("chunk_length", default.chunk_length)),
        )


# Slaney's mel scale: linear (200/3 Hz per mel) below 1 kHz, logarithmic above.
_F_SP = 200.0 / 3.0
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOGSTEP = np.log(6.4) / 27.0


def _hz_to_mel(freq: np.ndarray) -> np.ndarray:
    freq = np.asarray(freq, dtype=np.float64)
    mels = freq / _F_SP
    above = freq >= _MIN_LOG_HZ
    mels[above] = _MIN_LOG_MEL + np.log(freq[above] / _MIN_LOG_HZ) / _LOGSTEP
    return mels


def _mel_to_hz(mels: np.ndarray) -> np.ndarray:
    mels = np.asarray(mels, dtype=np.float64)
    freq = mels * _F_SP
    above = mels >= _MIN_LOG_MEL
    freq[above] = _MIN_LOG_HZ * np.exp(_LOGSTEP * (mels[above] - _MIN_LOG_MEL))
    return freq


def mel_filter_bank(
    n_mels: int, n_fft: int, sampling_rate: int = SAMPLE_RATE, f_max: float | None = None
) -> np.ndarray:
    """Triangular Slaney-normalised filters, shape ``(n_mels, n_fft // 2 + 1)``."""
    f_max = sampling_rate / 2 if f_max is None else f_max
    n_freqs = n_fft // 2 + 1
    fft_freqs = np.linspace(0.0, sampling_rate // 2, n_freqs)
    mel_edges = np.linspace(
        _hz_to_mel(np.array([0.0]))[0], _hz_to_mel(np.array([f_max]))[0], n_mels + 2
    )
    hz_edges = _mel_to_hz(mel_edges)
    widths = np.diff(hz_edges)
    slopes = hz_edges[None, :] - fft_freqs[:, None]  # (n_freqs, n_mels + 2)
    down = -slopes[:, :-2] / widths[:-1]
    up = slopes[:, 2:] / widths[1:]
    filters = np.maximum(0.0, np.minimum(down, up))  # (n_freqs, n_mels)
    enorm = 2.0 / (hz_edges[2 : n_mels + 2] - hz_edges[:n_mels])
    return (filters * enorm[None, :]).T


class LogMelSpectrogram:
    """Callable front end: ``audio (float32, 16 kHz mono) -> (n_mels, n_frames) float32``."""

    def __init__(self, config: FeatureConfig | None = None) -> None:
        self.config = config or FeatureConfig()

    @cached_property
    def _window(self) -> np.ndarray:
        n_fft = self.config.n_fft
        return 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n_fft) / n_fft)  # periodic Hann

    @cached_property
    def _filters(self) -> np.ndarray:
        cfg = self.config
        return mel_filter_bank(cfg.n_mels, cfg.n_fft, cfg.sampling_rate)

    def pad_or_trim(self, audio: np.ndarray) -> np.ndarray:
        """Zero-pad or cut to exactly one window of ``n_samples``."""
        n = self.config.n_samples
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        if audio.shape[0] >= n:
            return audio[:n]
        return np.pad(audio, (0, n - audio.shape[0]))

    def __call__(self, audio: np.ndarray) -> np.ndarray:
        cfg = self.config
        wave = self.pad_or_trim(audio).astype(np.float64)
        half = cfg.n_fft // 2
        wave = np.pad(wave, (half, half), mode="reflect")
        n_frames = 1 + (wave.shape[0] - cfg.n_fft) // cfg.hop_length
        frames = np.lib.stride_tricks.as_strided(
            wave,
            shape=(n_frames, cfg.n_fft),
            strides=(wave.strides[0] * cfg.hop_length, wave.strides[0]),
            writeable=False,
        )
        spectrum = np.fft.rfft(frames * self._window, axis=-1)
        power = spectrum.real**2 + spectrum.imag**2  # (frames, n_freqs)
        mel = np.maximum(self._filters @ power[:-1].T, 1e-10)  # last frame is dropped
        log_spec = np.log10(mel)
        log_spec = np.maximum(log_spec, log_spec.max() - 8.0)
        return ((log_spec + 4.0) / 4.0).astype(np.float32)


def log_mel_spectrogram(audio: np.ndarray, n_mels: int = 80) -> np.ndarray:
    """One-shot helper for a single 30 s window with Whisper's default settings."""
    return LogMelSpectrogram(FeatureConfig(n_mels=n_mels))(audio)
