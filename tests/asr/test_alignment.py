"""Word timings: DTW, filters and the cross-attention aligner on the tiny model."""

from __future__ import annotations

import itertools
import shutil

import numpy as np
import pytest

from desktop_app.asr import DecodeOptions, WhisperOnnx
from desktop_app.asr.alignment import (
    attention_matrix,
    dtw,
    median_filter,
    snap_to_sound,
    tidy_spans,
    word_spans,
)
from tests.asr.conftest import tone_speechlike

FAST = DecodeOptions(
    language="kk", temperatures=(0.0,), max_new_tokens=24, no_speech_threshold=None
)


def whisper_dtw(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """OpenAI Whisper's ``dtw_cpu`` + ``backtrace``, cell by cell (the reference)."""
    n, m = x.shape
    cost = np.full((n + 1, m + 1), np.inf)
    trace = -np.ones((n + 1, m + 1))
    cost[0, 0] = 0
    for j in range(1, m + 1):
        for i in range(1, n + 1):
            c0, c1, c2 = cost[i - 1, j - 1], cost[i - 1, j], cost[i, j - 1]
            if c0 < c1 and c0 < c2:
                c, t = c0, 0
            elif c1 < c0 and c1 < c2:
                c, t = c1, 1
            else:
                c, t = c2, 2
            cost[i, j] = x[i - 1, j - 1] + c
            trace[i, j] = t
    i, j = n, m
    trace[0, :] = 2
    trace[:, 0] = 1
    path = []
    while i > 0 or j > 0:
        path.append((i - 1, j - 1))
        if trace[i, j] == 0:
            i, j = i - 1, j - 1
        elif trace[i, j] == 1:
            i -= 1
        else:
            j -= 1
    rows, cols = np.array(path[::-1]).T
    return rows, cols


@pytest.mark.parametrize(("n", "m", "seed"), [(1, 1, 0), (3, 40, 1), (12, 30, 2), (9, 5, 3)])
def test_dtw_equals_whispers_reference(n: int, m: int, seed: int) -> None:
    x = np.random.default_rng(seed).normal(size=(n, m))
    rows, cols = dtw(x)
    ref_rows, ref_cols = whisper_dtw(x)
    assert rows.tolist() == ref_rows.tolist() and cols.tolist() == ref_cols.tolist()


def test_median_filter_equals_sliding_median() -> None:
    x = np.random.default_rng(0).normal(size=(2, 3, 20))
    got = median_filter(x, 7)
    padded = np.pad(x, [(0, 0), (0, 0), (3, 3)], mode="reflect")
    expected = np.stack([np.median(padded[..., i : i + 7], axis=-1) for i in range(20)], -1)
    np.testing.assert_allclose(got, expected)


def test_word_spans_follow_a_diagonal_attention() -> None:
    """Token k attends to frames [10k, 10k+10): words start where their tokens do."""
    tokens, frames = 6, 60
    weights = np.full((2, tokens + 1, frames), 1e-3, dtype=np.float32)
    for k in range(tokens + 1):  # row 0: <|notimestamps|>, predicting the first token
        weights[:, k, min(10 * k, frames - 10) : min(10 * k + 10, frames)] = 1.0
    matrix = attention_matrix(weights, frames)
    spans = word_spans(matrix, [2, 1, 3])
    assert spans == [(0.0, 0.4), (0.4, 0.6), (0.6, pytest.approx(1.0, abs=0.21))]


def test_tidy_spans_shortens_long_sentence_ends() -> None:
    words = [" one", " two", " three.", " Four"]
    spans = [(0.0, 0.3), (0.3, 0.6), (0.6, 3.0), (3.0, 3.3)]
    tidy = tidy_spans(words, spans)
    assert tidy[:2] == spans[:2] and tidy[3] == spans[3]
    assert tidy[2] == (0.6, pytest.approx(0.6 + 2 * 0.3))


def test_snap_to_sound_cuts_pauses_at_word_edges() -> None:
    sr = 16_000
    t = np.arange(sr * 2) / sr
    audio = np.zeros(sr * 2, dtype=np.float32)
    audio[int(0.2 * sr) : int(0.6 * sr)] = 0.3 * np.sin(2 * np.pi * 200 * t[: int(0.4 * sr)])
    audio[int(1.1 * sr) : int(1.6 * sr)] = 0.3 * np.sin(2 * np.pi * 300 * t[: int(0.5 * sr)])
    spans = [(0.2, 0.6), (0.55, 1.6)]  # DTW gave the pause before word 2 to word 2
    snapped = snap_to_sound(spans, audio, sr)
    assert snapped[0] == (0.2, 0.6)  # no pause at its edges
    assert snapped[1] == (pytest.approx(1.1, abs=0.011), 1.6)
    continuous = snap_to_sound([(0.25, 0.4), (0.4, 0.55)], audio, sr)
    assert continuous == [(0.25, 0.4), (0.4, 0.55)]
    assert snap_to_sound(spans, np.zeros(sr, np.float32), sr) == spans  # all silent


# ------------------------------------------------------------------ tiny model
def test_alignment_weights_shape(tiny_whisper) -> None:
    aligner = tiny_whisper.word_aligner
    assert aligner is not None
    encoded = tiny_whisper.encode(tone_speechlike(4.0))
    tokens = [*tiny_whisper.tokenizer.sot_sequence("kk"), 50363, 400, 401, 50257]
    weights = aligner.weights(encoded, tokens)
    assert weights.shape == (2, len(tokens), 1500)  # heads [[1, 0], [1, 2]] of the tiny model
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-3)


def test_aligned_words_are_monotonic_and_inside_segments(tiny_whisper) -> None:
    audio = tone_speechlike(25.0, seed=5)
    segments = list(tiny_whisper.transcribe(audio, FAST)[0])
    words = [w for s in segments for w in s.words]
    assert words and all(not w.estimated for w in words)
    for seg in segments:
        assert "".join(w.text for w in seg.words) == seg.text
        for word in seg.words:
            assert seg.start <= word.start <= word.end <= seg.end
    starts = [w.start for w in words]
    assert starts == sorted(starts)
    for a, b in itertools.pairwise(words):
        assert a.end <= b.start + 1e-9 or a.start == b.start


def test_word_timestamps_off_or_no_aligner_gives_estimates(tiny_whisper, tiny_model, tmp_path):
    audio = tone_speechlike(6.0, seed=1)
    off = list(tiny_whisper.transcribe(audio, FAST.replace(word_timestamps=False))[0])
    assert off and all(w.estimated for s in off for w in s.words)
    old = tmp_path / "old"
    shutil.copytree(tiny_model.onnx_dir, old)
    (old / "decoder_align.onnx").unlink()  # a folder exported before the aligner existed
    model = WhisperOnnx(old, device="cpu", threads=1)
    assert model.word_aligner is None
    segments = list(model.transcribe(audio, FAST)[0])
    assert [s.tokens for s in segments] == [s.tokens for s in off]
    assert all(w.estimated for s in segments for w in s.words)


def test_word_probability_is_the_mean_token_probability(tiny_whisper) -> None:
    tok = tiny_whisper.tokenizer
    (seg, *_) = tiny_whisper.transcribe(tone_speechlike(5.0, seed=2), FAST)[0]
    text_lps = [lp for t, lp in zip(seg.tokens, seg.token_logprobs, strict=True) if t < tok.eot]
    _, word_tokens = tok.split_to_words([t for t in seg.tokens if t < tok.eot], "kk")
    i = 0
    for word, toks in zip(seg.words, word_tokens, strict=True):
        expected = float(np.mean(np.exp(text_lps[i : i + len(toks)])))
        i += len(toks)
        assert word.probability == pytest.approx(expected)
