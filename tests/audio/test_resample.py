"""Downmix to mono and streaming resampling to 16 kHz."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_app.core.audio.resample import MODEL_RATE, MonoResampler, downmix, to_model_rate


def _dominant_frequency(signal: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(signal * np.hanning(len(signal))))
    return float(np.fft.rfftfreq(len(signal), 1 / rate)[np.argmax(spectrum)])


def _stereo_sine(seconds: float, rate: int, freq: float, left: float, right: float) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    wave = np.sin(2 * np.pi * freq * t)
    return np.stack([left * wave, right * wave], axis=1).astype(np.float32)


def test_downmix_averages_channels() -> None:
    block = np.array([[1.0, 0.0], [0.5, -0.5], [0.2, 0.4]], dtype=np.float32)
    np.testing.assert_allclose(downmix(block), [0.5, 0.0, 0.3], atol=1e-7)
    assert downmix(block).dtype == np.float32
    np.testing.assert_array_equal(downmix(block[:, :1]), block[:, 0])


def test_stereo_48k_sine_becomes_16k_mono_with_same_pitch_and_level() -> None:
    stereo = _stereo_sine(3.0, 48_000, 1000.0, left=0.8, right=0.4)
    blocks = np.array_split(stereo, 37)  # uneven block sizes

    out = np.concatenate(list(to_model_rate(blocks, 48_000)))

    assert out.dtype == np.float32
    assert out.ndim == 1
    assert len(out) == 48_000  # 3 s at 16 kHz, exactly
    middle = out[1600:-1600]  # away from the filter's edges
    assert _dominant_frequency(middle, MODEL_RATE) == pytest.approx(1000.0, abs=2.0)
    amplitude = np.sqrt(2) * np.sqrt(np.mean(middle.astype(np.float64) ** 2))
    assert amplitude == pytest.approx(0.6, rel=0.01)  # mean of 0.8 and 0.4


def test_content_above_8khz_is_filtered_out() -> None:
    # A 10 kHz tone cannot exist at 16 kHz; it must not alias back in.
    stereo = _stereo_sine(1.0, 44_100, 10_000.0, left=0.5, right=0.5)
    out = np.concatenate(list(to_model_rate([stereo], 44_100)))
    assert np.sqrt(np.mean(out[800:-800] ** 2)) < 0.005


@pytest.mark.parametrize("rate", [8_000, 22_050, 44_100, 96_000])
def test_output_length_matches_duration_for_any_block_size(rate: int) -> None:
    rng = np.random.default_rng(rate)
    signal = rng.uniform(-0.5, 0.5, size=(rate * 2 + 123, 1)).astype(np.float32)
    resampler = MonoResampler(rate)
    pieces = []
    start = 0
    while start < len(signal):
        size = int(rng.integers(1, 5000))
        pieces.append(resampler.process(signal[start : start + size]))
        start += size
    pieces.append(resampler.flush())

    total = sum(len(p) for p in pieces)

    assert total == pytest.approx(len(signal) * MODEL_RATE / rate, abs=1)


def test_block_size_does_not_change_the_result() -> None:
    rng = np.random.default_rng(7)
    signal = rng.uniform(-0.5, 0.5, size=(44_100, 2)).astype(np.float32)
    whole = np.concatenate(list(to_model_rate([signal], 44_100)))
    pieces = np.concatenate(list(to_model_rate(np.array_split(signal, 50), 44_100)))
    np.testing.assert_allclose(pieces, whole, atol=1e-6)


def test_16k_mono_passes_through_untouched() -> None:
    signal = np.linspace(-1, 1, 1000, dtype=np.float32)[:, None]
    resampler = MonoResampler(MODEL_RATE)
    np.testing.assert_array_equal(resampler.process(signal), signal[:, 0])
    assert len(resampler.flush()) == 0


def test_misuse_is_rejected() -> None:
    with pytest.raises(ValueError, match="positive"):
        MonoResampler(0)
    resampler = MonoResampler(44_100)
    resampler.flush()
    with pytest.raises(RuntimeError, match="after flush"):
        resampler.process(np.zeros((10, 1), dtype=np.float32))
