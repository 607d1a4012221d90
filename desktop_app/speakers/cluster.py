"""Clustering window embeddings into speakers and speaker turns (numpy only).

Average-linkage agglomerative clustering on cosine similarity: the merge
sequence is computed once, then cut at the number of speakers asked for; when
it is not known, at the count in the min/max range whose clusters have the
best silhouette (one speaker when every merge is above a similarity threshold).
Long recordings are first reduced to at most :data:`MAX_POINTS` spherical
k-means centres. Window labels then become frame labels, short flips are
smoothed away and the frames are joined into turns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from desktop_app.speakers.embedder import Window
from desktop_app.speakers.mel import SAMPLE_RATE

MAX_POINTS = 400
FRAME_S = 0.05


@dataclass(frozen=True)
class ClusterOptions:
    n_speakers: int | None = None  # known number of speakers
    min_speakers: int = 1
    max_speakers: int = 8
    threshold: float = (
        0.65  # average cosine similarity above which clusters merge (tuned on espeak-ng voices)
    )
    refine_iterations: int = 2


@dataclass(frozen=True)
class Turn:
    start_s: float
    end_s: float
    label: int


def normalize(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def _kmeans(x: np.ndarray, k: int, iterations: int = 10, seed: int = 0) -> np.ndarray:
    """Spherical k-means labels of unit rows ``x`` (farthest-first seeding, deterministic)."""
    rng = np.random.default_rng(seed)
    centres = [x[rng.integers(len(x))]]
    best = x @ centres[0]
    for _ in range(1, k):
        i = int(np.argmin(best))
        centres.append(x[i])
        best = np.maximum(best, x @ x[i])
    c = np.stack(centres)
    labels = np.zeros(len(x), dtype=np.int64)
    for _ in range(iterations):
        labels = np.argmax(x @ c.T, axis=1)
        for j in range(k):
            members = x[labels == j]
            if len(members):
                c[j] = normalize(members.sum(axis=0))
    return labels


def merge_sequence(x: np.ndarray, sizes: np.ndarray) -> list[tuple[int, int, float]]:
    """Average-linkage merges ``(kept, absorbed, similarity)`` of unit rows ``x`` down to one."""
    n = len(x)
    sim = x @ x.T
    np.fill_diagonal(sim, -np.inf)
    sizes = sizes.astype(np.float64).copy()
    alive = np.ones(n, dtype=bool)
    merges = []
    for _ in range(n - 1):
        flat = int(np.argmax(sim))
        i, j = divmod(flat, n)
        value = float(sim[i, j])
        merged = (sizes[i] * sim[i] + sizes[j] * sim[j]) / (sizes[i] + sizes[j])
        sim[i, :] = merged
        sim[:, i] = merged
        sim[i, i] = -np.inf
        sim[j, :] = -np.inf
        sim[:, j] = -np.inf
        sizes[i] += sizes[j]
        alive[j] = False
        merges.append((i, j, value))
    return merges


def _cut(n: int, merges: list[tuple[int, int, float]], k: int) -> np.ndarray:
    parent = np.arange(n)

    def root(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = int(parent[a])
        return a

    for i, j, _ in merges[: n - k]:
        parent[root(j)] = root(i)
    roots = np.array([root(a) for a in range(n)])
    _, labels = np.unique(roots, return_inverse=True)
    return labels


def threshold_k(n: int, merges: list[tuple[int, int, float]], threshold: float) -> int:
    """How many clusters are left when every merge above ``threshold`` is made."""
    return n - sum(1 for _, _, s in merges if s >= threshold)


def silhouette(x: np.ndarray, labels: np.ndarray, limit: int = 1500) -> float:
    """Mean cosine silhouette of ``labels`` (on at most ``limit`` rows, a fixed sample)."""
    if len(x) > limit:
        pick = np.random.default_rng(0).choice(len(x), limit, replace=False)
        x, labels = x[pick], labels[pick]
    k = int(labels.max()) + 1
    onehot = np.eye(k)[labels]
    sizes = onehot.sum(axis=0)
    dist = 1.0 - (x @ x.T)
    sums = dist @ onehot  # (n, k): summed distance to each cluster
    own = sizes[labels] - 1
    a = np.where(own > 0, sums[np.arange(len(x)), labels] / np.maximum(own, 1), 0.0)
    other = np.where(onehot > 0, np.inf, sums / np.maximum(sizes, 1))
    other[:, sizes == 0] = np.inf
    b = other.min(axis=1)
    s = np.where(own > 0, (b - a) / np.maximum(np.maximum(a, b), 1e-12), 0.0)
    return float(np.mean(s))


def cluster(embeddings: np.ndarray, opts: ClusterOptions | None = None) -> np.ndarray:
    """Speaker labels 0..k-1 of the rows of ``embeddings``, numbered by first appearance.

    With the number of speakers unknown: one speaker when every merge is above the
    threshold (and the range allows it), else the count in the range whose
    clustering has the best silhouette.
    """
    opts = opts or ClusterOptions()
    x = normalize(embeddings)
    n = len(x)
    if n <= 1:
        return np.zeros(n, dtype=np.int64)
    if n > MAX_POINTS:
        coarse = _kmeans(x, MAX_POINTS)
        used = np.unique(coarse)
        remap = {c: i for i, c in enumerate(used)}
        coarse = np.array([remap[c] for c in coarse])
        points = normalize(np.stack([x[coarse == c].sum(axis=0) for c in range(len(used))]))
        sizes = np.bincount(coarse).astype(np.float64)
    else:
        coarse = np.arange(n)
        points = x
        sizes = np.ones(n)
    merges = merge_sequence(points, sizes)

    def labels_for(k: int) -> np.ndarray:
        labels = _cut(len(points), merges, k)[coarse]
        for _ in range(opts.refine_iterations):
            centres = normalize(np.stack([x[labels == c].sum(axis=0) for c in range(k)]))
            new = np.argmax(x @ centres.T, axis=1)
            if np.array_equal(new, labels) or len(np.unique(new)) < k:
                break
            labels = new
        return renumber(labels)

    if opts.n_speakers is not None:
        return labels_for(max(1, min(len(points), opts.n_speakers)))
    low = max(1, opts.min_speakers)
    high = min(len(points), max(low, opts.max_speakers))
    if high <= 1 or (low <= 1 and threshold_k(len(points), merges, opts.threshold) <= 1):
        return np.zeros(n, dtype=np.int64)
    scored = [(k, silhouette(x, labels), labels) for k in range(max(2, low), high + 1)
              for labels in [labels_for(k)]]  # fmt: skip
    return _choose_count(scored)[2]


#: Silhouettes this close count as a tie, which goes to more speakers when every
#: cluster holds at least MIN_SHARE of the windows and MIN_WINDOWS of them (about 7 s
#: of speech at the 0.75 s hop): in noise two voices draw closer, so merging them
#: costs the silhouette little although both are real speakers; a short recording
#: does not hold enough of each voice to invent one on a tie.
SILHOUETTE_TIE = 0.03
MIN_SHARE = 0.1
MIN_WINDOWS = 10


def _choose_count(
    scored: list[tuple[int, float, np.ndarray]],
) -> tuple[int, float, np.ndarray]:
    """The (k, silhouette, labels) to keep: the best silhouette, or the largest k
    within :data:`SILHOUETTE_TIE` of it whose clusters are all substantial."""
    best = max(scored, key=lambda t: (t[1], -t[0]))
    for k, score, labels in sorted(scored, key=lambda t: -t[0]):
        if k <= best[0] or score < best[1] - SILHOUETTE_TIE:
            continue
        if np.bincount(labels, minlength=k).min() >= max(MIN_SHARE * len(labels), MIN_WINDOWS):
            return k, score, labels
    return best


def renumber(labels: np.ndarray) -> np.ndarray:
    """Labels renumbered 0, 1, 2... in order of first appearance."""
    order: dict[int, int] = {}
    for lab in labels.tolist():
        order.setdefault(lab, len(order))
    return np.array([order[lab] for lab in labels.tolist()], dtype=np.int64)


def centroids(embeddings: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(k, dim) sums of each cluster's unit embeddings, normalised."""
    x = normalize(embeddings)
    k = int(labels.max()) + 1 if len(labels) else 0
    return normalize(np.stack([x[labels == c].sum(axis=0) for c in range(k)])) if k else x[:0]


def sliding_windows(
    regions: list[tuple[int, int]], win_s: float = 1.5, hop_s: float = 0.75, min_s: float = 0.4
) -> list[Window]:
    """Windows of ``win_s`` every ``hop_s`` inside each speech region (in samples).

    A region shorter than a window gets one window over all of it (when at least
    ``min_s`` long); the last window of a region ends at the region's end.
    """
    win, hop, shortest = (int(v * SAMPLE_RATE) for v in (win_s, hop_s, min_s))
    out: list[Window] = []
    for start, end in regions:
        length = end - start
        if length < shortest:
            continue
        if length <= win:
            out.append(Window(start, end))
            continue
        pos = start
        while pos + win < end:
            out.append(Window(pos, pos + win))
            pos += hop
        out.append(Window(end - win, end))
    return out


def turns_from_windows(
    windows: list[Window],
    labels: np.ndarray,
    regions: list[tuple[int, int]],
    min_turn_s: float = 0.6,
    max_gap_s: float = 0.3,
) -> list[Turn]:
    """Speaker turns over the speech regions, from the labels of overlapping windows.

    Each frame of speech takes the label of the window whose centre is nearest
    (of those covering it, else of all); runs shorter than ``min_turn_s`` inside a
    region go to their longer neighbour; same-speaker turns closer than
    ``max_gap_s`` are joined.
    """
    if not windows:
        return []
    mids = np.array([w.mid_s for w in windows])
    starts = np.array([w.start for w in windows]) / SAMPLE_RATE
    ends = np.array([w.end for w in windows]) / SAMPLE_RATE
    out: list[Turn] = []
    for r_start, r_end in regions:
        a, b = r_start / SAMPLE_RATE, r_end / SAMPLE_RATE
        n = max(1, round((b - a) / FRAME_S))
        t = a + (np.arange(n) + 0.5) * (b - a) / n
        dist = np.abs(t[:, None] - mids[None, :])
        covering = (t[:, None] >= starts[None, :]) & (t[:, None] < ends[None, :])
        dist = np.where(covering, dist, dist + 1e6)
        frame_labels = labels[np.argmin(dist, axis=1)]
        runs = _smooth(_runs(frame_labels), round(min_turn_s / ((b - a) / n)))
        edges = a + np.cumsum([0] + [length for _, length in runs]) * (b - a) / n
        for (lab, _), s, e in zip(runs, edges[:-1], edges[1:], strict=True):
            out.append(Turn(float(s), float(e), int(lab)))
    return join_turns(out, max_gap_s)


def _runs(labels: np.ndarray) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for lab in labels.tolist():
        if runs and runs[-1][0] == lab:
            runs[-1] = (lab, runs[-1][1] + 1)
        else:
            runs.append((lab, 1))
    return runs


def _smooth(runs: list[tuple[int, int]], shortest: int) -> list[tuple[int, int]]:
    """Give runs shorter than ``shortest`` frames to the longer neighbour, shortest first."""
    runs = list(runs)
    while len(runs) > 1:
        i = min(range(len(runs)), key=lambda k: runs[k][1])
        if runs[i][1] >= shortest:
            break
        left = runs[i - 1] if i > 0 else None
        right = runs[i + 1] if i + 1 < len(runs) else None
        if left is not None and (right is None or left[1] >= right[1]):
            runs[i - 1] = (left[0], left[1] + runs[i][1])
        else:
            assert right is not None
            runs[i + 1] = (right[0], right[1] + runs[i][1])
        del runs[i]
        merged: list[tuple[int, int]] = []
        for lab, length in runs:
            if merged and merged[-1][0] == lab:
                merged[-1] = (lab, merged[-1][1] + length)
            else:
                merged.append((lab, length))
        runs = merged
    return runs


def join_turns(turns: list[Turn], max_gap_s: float) -> list[Turn]:
    out: list[Turn] = []
    for t in sorted(turns, key=lambda t: t.start_s):
        if out and out[-1].label == t.label and t.start_s - out[-1].end_s <= max_gap_s:
            out[-1] = Turn(out[-1].start_s, max(out[-1].end_s, t.end_s), t.label)
        else:
            out.append(t)
    return out
