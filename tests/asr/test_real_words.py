"""Word timings of the real default model against where espeak-ng's words really are.

espeak-ng speaks with a 250 ms pause between words (``-g 25``), so each word's
true start and end can be read off the waveform (sound separated by ≥ 150 ms
of silence). Slow: needs the default model and exports its aligner if missing.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from desktop_app.asr import WhisperOnnx, preset
from tests.asr.conftest import speak

pytestmark = pytest.mark.slow

TEXT = "The quick brown fox jumps over the lazy dog. Speech recognition should be private and fast."


def sounding_words(audio: np.ndarray, min_gap_s: float = 0.15) -> list[tuple[float, float]]:
    """(start, end) of the stretches of sound separated by at least ``min_gap_s`` of silence."""
    hop = 160
    frames = audio[: audio.size // hop * hop].reshape(-1, hop)
    loud = np.sqrt((frames**2).mean(axis=1)) > 0.01
    runs: list[list[float]] = []
    gap = 10**9
    for i, is_loud in enumerate(loud):
        if is_loud:
            if gap >= min_gap_s * 100 or not runs:
                runs.append([i / 100, (i + 1) / 100])
            runs[-1][1] = (i + 1) / 100
            gap = 0
        else:
            gap += 1
    return [(a, b) for a, b in runs]


def _norm(word: str) -> str:
    return re.sub(r"[^\w]", "", word.lower())


@pytest.fixture(scope="module")
def model(real_full_model) -> WhisperOnnx:
    return WhisperOnnx(real_full_model, device="cpu")


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> np.ndarray:
    return speak(TEXT, "en", tmp_path_factory.mktemp("words") / "gaps.wav", "-g", "25")


def test_word_times_match_the_spoken_words(model, clip) -> None:
    truth = sounding_words(clip)
    assert len(truth) == len(TEXT.split())  # the pauses split every word
    segments = list(model.transcribe(clip, preset("fast", language="en"))[0])
    words = [w for s in segments for w in s.words]
    assert all(not w.estimated for w in words)
    assert len(words) == len(truth), [w.text for w in words]
    matched = sum(_norm(w.text) == _norm(t) for w, t in zip(words, TEXT.split(), strict=True))
    assert matched >= len(words) - 2  # espeak's "speech" may be heard as "speak"
    start_err = [abs(w.start - a) for w, (a, _) in zip(words, truth, strict=True)]
    end_err = [abs(w.end - b) for w, (_, b) in zip(words, truth, strict=True)]
    assert max(start_err) <= 0.3 and np.median(start_err) <= 0.08, start_err
    assert max(end_err) <= 0.3 and np.median(end_err) <= 0.12, end_err
    for seg in segments:
        assert all(seg.start <= w.start <= w.end <= seg.end for w in seg.words)
    assert all(0.0 < w.probability <= 1.0 for w in words)


def test_without_the_pause_snapping_ends_still_match(model, clip, monkeypatch) -> None:
    """DTW alone: ends are right, starts may take the pause before the word."""
    from desktop_app.asr import transcribe as transcribe_module

    monkeypatch.setattr(transcribe_module, "snap_to_sound", lambda spans, *a, **k: list(spans))
    truth = sounding_words(clip)
    words = [w for s in model.transcribe(clip, preset("fast", language="en"))[0] for w in s.words]
    assert len(words) == len(truth)
    end_err = [abs(w.end - b) for w, (_, b) in zip(words, truth, strict=True)]
    assert np.median(end_err) <= 0.12, end_err
    # each word starts after the previous word's sound began and before its own sound ends
    for k, (w, (a, b)) in enumerate(zip(words, truth, strict=True)):
        previous_start = truth[k - 1][0] if k else 0.0
        assert previous_start - 0.05 <= w.start <= b, (w.text, w.start, a, b)
