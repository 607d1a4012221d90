"""CTC decoding on synthetic posteriors with known answers (no model, no ONNX)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from desktop_app.asr.ctc import (
    CtcConfig,
    WordBias,
    collapse,
    forced_align,
    greedy_path,
    log_softmax,
    prefix_beam_search,
    split_at_pauses,
    timed_words,
)

TOKENS = ("<pad>", "|", "а", "б", "л", "м", "<unk>")
BLANK, BAR, A, B, L, M, UNK = range(7)
CONFIG = CtcConfig(tokens=TOKENS, blank_id=BLANK, word_delimiter_id=BAR, frame_stride=320)


def posteriors(path: list[int], p: float = 0.9, vocab: int = len(TOKENS)) -> np.ndarray:
    """Log-probabilities where each frame gives ``p`` to its label of ``path``."""
    probs = np.full((len(path), vocab), (1.0 - p) / (vocab - 1))
    probs[np.arange(len(path)), path] = p
    return np.log(probs)


def test_log_softmax_is_stable_and_normalised() -> None:
    lp = log_softmax(np.array([[1000.0, 1000.0, -1000.0]]))
    assert np.allclose(np.exp(lp).sum(-1), 1.0)
    assert lp[0, 0] == pytest.approx(math.log(0.5))


def test_greedy_collapses_repeats_and_drops_blanks() -> None:
    path = [BLANK, A, A, A, BLANK, B, B, BLANK, BLANK]
    assert greedy_path(posteriors(path)).tolist() == path
    assert collapse(path, BLANK) == [A, B]


def test_a_blank_separates_a_doubled_letter() -> None:
    assert collapse([A, A, BLANK, A, L, L], BLANK) == [A, A, L]
    assert collapse([A, A, A, L], BLANK) == [A, L]


def test_words_times_and_confidence_from_the_path() -> None:
    # "ала бал": frames 1-3 "ала", a delimiter at 5, "бал" at 7-10.
    path = [BLANK, A, L, A, BLANK, BAR, BLANK, B, A, A, L, BLANK, BLANK]
    lp = posteriors(path, p=0.8)
    words = timed_words(path, lp, CONFIG)
    assert [w.text for w in words] == ["ала", "бал"]
    assert (words[0].start, words[0].end) == (0.02, 0.08)  # frames 1..3 -> 20..80 ms
    assert (words[1].start, words[1].end) == (0.14, 0.22)  # frames 7..10 -> 140..220 ms
    assert all(w.probability == pytest.approx(0.8) for w in words)
    assert words[1].labels == (B, A, L)  # the held "а" is one label
    assert words[1].logprobs == pytest.approx([math.log(0.8)] * 3)


def test_word_confidence_is_the_mean_posterior_of_its_frames() -> None:
    path = [A, A, L]
    probs = np.full((3, len(TOKENS)), 0.01)
    probs[0, A], probs[1, A], probs[2, L] = 0.9, 0.5, 0.7
    words = timed_words(path, np.log(probs), CONFIG)
    assert words[0].probability == pytest.approx((0.9 + 0.5 + 0.7) / 3)
    assert words[0].logprobs == pytest.approx([math.log(0.9), math.log(0.7)])


def test_special_tokens_write_nothing() -> None:
    path = [UNK, A, BAR, UNK, BAR, L]
    assert [w.text for w in timed_words(path, posteriors(path), CONFIG)] == ["а", "л"]


def test_split_at_pauses() -> None:
    path = [A, BAR, L, BAR] + [BLANK] * 60 + [M, BAR, A]  # a 1.2 s pause after "л"
    words = timed_words(path, posteriors(path), CONFIG)
    groups = split_at_pauses(words, max_pause=0.8)
    assert [[w.text for w in g] for g in groups] == [["а", "л"], ["м", "а"]]
    assert len(split_at_pauses(words, max_pause=2.0)) == 1


def test_a_long_silence_ends_a_word_without_a_delimiter() -> None:
    path = [A, BLANK, L] + [BLANK] * 30 + [M, A]  # 0.6 s of blanks, no "|"
    words = timed_words(path, posteriors(path), CONFIG)
    assert [w.text for w in words] == ["ал", "ма"]
    assert [w.text for w in timed_words(path, posteriors(path), CONFIG, max_gap_s=1.0)] == ["алма"]


def test_beam_search_beats_greedy_on_spread_probability() -> None:
    # Each frame: blank 0.6, "а" 0.4. The best path is blank-blank ("", 0.36), but
    # "а" is spelt by three paths: 0.4*0.4 + 0.4*0.6 + 0.6*0.4 = 0.64.
    probs = np.full((2, len(TOKENS)), 1e-6)
    probs[:, BLANK], probs[:, A] = 0.6, 0.4
    lp = np.log(probs / probs.sum(-1, keepdims=True))
    assert collapse(greedy_path(lp), BLANK) == []
    result = prefix_beam_search(lp, BLANK, beam_width=4)
    assert result.labels == (A,)
    assert math.exp(result.score) == pytest.approx(0.64, rel=1e-3)


def test_beam_search_equals_greedy_on_peaky_posteriors() -> None:
    path = [BLANK, A, A, BLANK, L, BAR, M, BLANK, A, A]
    lp = posteriors(path, p=0.97)
    assert prefix_beam_search(lp, BLANK, beam_width=5).labels == tuple(collapse(path, BLANK))


def test_beam_search_keeps_doubled_letters() -> None:
    path = [A, BLANK, A, L]
    assert prefix_beam_search(posteriors(path), BLANK).labels == (A, A, L)


def test_word_bias_prefers_a_listed_word() -> None:
    # Frames say "б" or "м" almost equally ("бал" vs "мал"); the list asks for "мал".
    probs = np.full((5, len(TOKENS)), 1e-4)
    probs[0, B], probs[0, M] = 0.52, 0.46
    probs[1:, BLANK] = 0.1
    probs[[1, 3], BLANK] = 0.99
    probs[2, A], probs[4, L] = 0.9, 0.9
    lp = np.log(probs / probs.sum(-1, keepdims=True))
    plain = prefix_beam_search(lp, BLANK, beam_width=4)
    assert plain.labels == (B, A, L)
    bias = WordBias({"мал": 1.0}, TOKENS, BAR)
    biased = prefix_beam_search(lp, BLANK, beam_width=4, bias=bias)
    assert biased.labels == (M, A, L) and biased.bonus == pytest.approx(1.0)


def test_forced_alignment_follows_the_labels() -> None:
    path = [BLANK, A, A, BLANK, A, L, L, BLANK]
    lp = posteriors(path, p=0.7)
    aligned = forced_align(lp, [A, A, L], BLANK)
    assert aligned.tolist() == path
    # A label sequence the frames do not favour is still given its best path.
    other = forced_align(lp, [M], BLANK)
    assert collapse(other, BLANK) == [M]
    with pytest.raises(ValueError, match="too few"):
        forced_align(lp[:2], [A, A, L], BLANK)


def test_empty_output() -> None:
    lp = posteriors([BLANK] * 5)
    assert timed_words(greedy_path(lp), lp, CONFIG) == []
    assert prefix_beam_search(lp, BLANK).labels == ()
    assert forced_align(lp, [], BLANK).tolist() == [BLANK] * 5
