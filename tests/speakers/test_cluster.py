"""Clustering and turns on synthetic embeddings with known answers."""

from __future__ import annotations

import numpy as np

from desktop_app.speakers.cluster import (
    ClusterOptions,
    Turn,
    cluster,
    join_turns,
    sliding_windows,
    turns_from_windows,
)
from desktop_app.speakers.embedder import Window

SR = 16_000


def voices(k: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    c = rng.standard_normal((k, dim))
    return c / np.linalg.norm(c, axis=1, keepdims=True)


def samples(centres: np.ndarray, labels: list[int], noise: float, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = centres[labels] + noise * rng.standard_normal((len(labels), centres.shape[1]))
    return x


def same_partition(a: np.ndarray, b: list[int]) -> bool:
    pairs = set(zip(a.tolist(), b, strict=True))
    return len(pairs) == len(set(a.tolist())) == len(set(b))


def test_known_number_of_speakers() -> None:
    truth = [0] * 10 + [1] * 10 + [2] * 10 + [0] * 5
    x = samples(voices(3), truth, 0.08)
    labels = cluster(x, ClusterOptions(n_speakers=3))
    assert same_partition(labels, truth)
    assert labels[0] == 0  # numbered by first appearance


def test_number_of_speakers_is_estimated() -> None:
    truth = [0, 1] * 15 + [2] * 8
    labels = cluster(samples(voices(3), truth, 0.05), ClusterOptions(threshold=0.65))
    assert same_partition(labels, truth)


def test_range_bounds_the_estimate() -> None:
    truth = [0, 1, 2, 3] * 6
    x = samples(voices(4), truth, 0.05)
    assert len(set(cluster(x, ClusterOptions(max_speakers=2)).tolist())) == 2
    one = samples(voices(1), [0] * 20, 0.05)
    assert len(set(cluster(one, ClusterOptions(min_speakers=2)).tolist())) == 2
    assert len(set(cluster(one).tolist())) == 1


def test_many_windows_are_reduced_first() -> None:
    rng = np.random.default_rng(3)
    truth = rng.integers(0, 2, 1500).tolist()
    labels = cluster(samples(voices(2), truth, 0.1), ClusterOptions(n_speakers=2))
    assert same_partition(labels, truth)


def test_windows_cover_regions() -> None:
    wins = sliding_windows([(0, 4 * SR), (5 * SR, 5 * SR + 8000), (7 * SR, 7 * SR + 1000)])
    first = [w for w in wins if w.end <= 4 * SR]
    assert first[0] == Window(0, 24_000)
    assert first[-1].end == 4 * SR
    assert Window(5 * SR, 5 * SR + 8000) in wins  # short region: one window
    assert all(w.start < 7 * SR for w in wins)  # too short: none


def test_turns_smooth_short_flips_and_join() -> None:
    region = [(0, 10 * SR)]
    wins = sliding_windows(region, 1.0, 0.5)
    labels = np.array([0 if w.mid_s < 5 else 1 for w in wins])
    labels[2] = 1  # one stray window
    turns = turns_from_windows(wins, labels, region, min_turn_s=0.8)
    assert [t.label for t in turns] == [0, 1]
    assert abs(turns[0].end_s - 5.0) < 0.35
    assert turns[0].start_s == 0 and turns[-1].end_s == 10


def test_join_turns_across_small_gaps() -> None:
    turns = [Turn(0, 1, 0), Turn(1.2, 2, 0), Turn(3, 4, 0), Turn(4.1, 5, 1)]
    assert join_turns(turns, 0.3) == [Turn(0, 2, 0), Turn(3, 4, 0), Turn(4.1, 5, 1)]


def test_a_silhouette_tie_goes_to_more_speakers_only_when_every_cluster_is_substantial() -> None:
    from desktop_app.speakers.cluster import SILHOUETTE_TIE, _choose_count

    three = np.array([0] * 30 + [1] * 30 + [2] * 40)
    four = np.array([0] * 30 + [1] * 30 + [2] * 20 + [3] * 20)
    tiny = np.array([0] * 30 + [1] * 30 + [2] * 38 + [3] * 2)  # 2 % of the windows
    near = 0.48 - SILHOUETTE_TIE / 2
    # two voices drawn together by noise: the 4-cluster cut is nearly as good
    assert _choose_count([(3, 0.48, three), (4, near, four)])[0] == 4
    # a split-off sliver is no new speaker, however close its silhouette
    assert _choose_count([(3, 0.48, three), (4, near, tiny)])[0] == 3
    # a clearly worse cut is not taken
    assert _choose_count([(3, 0.48, three), (4, 0.48 - 2 * SILHOUETTE_TIE, four)])[0] == 3
    # a short recording: 5 windows a cluster is too little to invent a speaker on a tie
    short3, short4 = (
        np.array([0] * 6 + [1] * 6 + [2] * 8),
        np.array([0] * 6 + [1] * 6 + [2] * 4 + [3] * 4),
    )
    assert _choose_count([(3, 0.48, short3), (4, near, short4)])[0] == 3
    # the best silhouette wins when it is the larger count anyway
    assert _choose_count([(3, 0.40, three), (4, 0.50, four)])[0] == 4
