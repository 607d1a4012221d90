"""Decoding CTC posteriors: greedy, prefix beam search, forced alignment.

All functions take ``logprobs``, a ``(frames, vocab)`` array of log-softmax
outputs, and return *frame paths*: one label per frame (the blank or a
token), which :mod:`desktop_app.asr.ctc.words` turns into timed words.

* :func:`greedy_path` is the best label of every frame (the best path).
* :func:`prefix_beam_search` finds the most likely *label sequence*, summing
  over all the frame paths that spell it (which the best path does not), and
  can favour listed words (:class:`WordBias`); :func:`forced_align` then
  gives that sequence its best frame path, for word timings.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

NEG_INF = -math.inf


def _lse(a: float, b: float) -> float:
    """``log(exp(a) + exp(b))`` for two Python floats (numpy's is slow on scalars)."""
    if a == NEG_INF:
        return b
    if b == NEG_INF:
        return a
    return max(a, b) + math.log1p(math.exp(-abs(a - b)))


#: Prefix -> [log P(paths ending in a blank), log P(paths ending in its last label)].
Beams = dict[tuple[int, ...], list[float]]


def _add(table: Beams, prefix: tuple[int, ...], pb: float, pnb: float) -> None:
    """Add path probabilities (ending in a blank / in the last label) to ``prefix``."""
    entry = table.setdefault(prefix, [NEG_INF, NEG_INF])
    entry[0] = _lse(entry[0], pb)
    entry[1] = _lse(entry[1], pnb)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Log-probabilities over the last axis, computed in float32 without overflow."""
    x = np.asarray(logits, dtype=np.float32)
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def greedy_path(logprobs: np.ndarray) -> np.ndarray:
    """The best label of each frame (``int64``, one per frame)."""
    return np.asarray(logprobs).argmax(axis=-1).astype(np.int64)


def collapse(path: Sequence[int] | np.ndarray, blank: int) -> list[int]:
    """The label sequence a frame path spells: merge repeats, then drop blanks."""
    out: list[int] = []
    previous = None
    for label in np.asarray(path).tolist():
        if label != previous and label != blank:
            out.append(int(label))
        previous = label
    return out


class WordBias:
    """Bonuses (in log-probability units) for listed words, for :func:`prefix_beam_search`.

    A finished word earns its bonus; an unfinished one that starts a listed
    word earns the share already spelt, so the beam keeps it until it is
    done (as pyctcdecode's hotwords do). Words are matched case-insensitively.
    """

    def __init__(
        self, bonuses: Mapping[str, float], tokens: Sequence[str], delimiter_id: int | None
    ) -> None:
        self.bonuses = {w.strip().lower(): float(b) for w, b in bonuses.items() if w.strip()}
        self.tokens = tokens
        self.delimiter_id = delimiter_id
        self._partial: dict[str, float] = {}
        for word, bonus in self.bonuses.items():
            for i in range(1, len(word)):
                share = bonus * i / len(word)
                self._partial[word[:i]] = max(self._partial.get(word[:i], NEG_INF), share)

    def score(self, labels: Sequence[int], finished: bool = False) -> float:
        """Bonus of a label sequence; ``finished`` counts its last word as complete."""
        words = self.text(labels).split(" ")
        done, tail = words[:-1], words[-1]
        total = sum(self.bonuses.get(w, 0.0) for w in done)
        if finished:
            return total + self.bonuses.get(tail, 0.0)
        return total + self.bonuses.get(tail, max(0.0, self._partial.get(tail, 0.0)))

    def text(self, labels: Sequence[int]) -> str:
        return "".join(
            " " if label == self.delimiter_id else self.tokens[label] for label in labels
        ).lower()


@dataclass(frozen=True)
class BeamResult:
    labels: tuple[int, ...]
    score: float  # log P(labels) summed over frame paths, plus the word bonus
    bonus: float = 0.0


def prefix_beam_search(
    logprobs: np.ndarray,
    blank: int,
    beam_width: int = 8,
    *,
    token_min_logprob: float = math.log(1e-4),
    bias: WordBias | None = None,
) -> BeamResult:
    """The most likely label sequence (CTC prefix beam search, log domain).

    Each prefix keeps two probabilities: of the frame paths spelling it that
    end in a blank and of those that end in its last label; a repeated label
    extends a prefix only after a blank. Per frame only labels with
    log-probability above ``token_min_logprob`` are tried (the blank always).
    """
    lp = np.asarray(logprobs, dtype=np.float64)
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (0.0, NEG_INF)}
    bonus_of: dict[tuple[int, ...], float] = {(): 0.0}

    def bonus(prefix: tuple[int, ...]) -> float:
        if bias is None:
            return 0.0
        if prefix not in bonus_of:
            bonus_of[prefix] = bias.score(prefix)
        return bonus_of[prefix]

    for row in lp:
        candidates = [int(c) for c in np.flatnonzero(row > token_min_logprob) if c != blank]
        frame = row.tolist()
        p_blank = frame[blank]
        nxt: Beams = {}
        for prefix, (pb, pnb) in beams.items():
            total = _lse(pb, pnb)
            _add(nxt, prefix, total + p_blank, NEG_INF)
            last = prefix[-1] if prefix else None
            if last is not None:  # the last label held for one more frame
                _add(nxt, prefix, NEG_INF, pnb + frame[last])
            for c in candidates:
                # After the same label, only a path that went through a blank starts a new one.
                from_score = pb if c == last else total
                _add(nxt, (*prefix, c), NEG_INF, from_score + frame[c])
        ranked = sorted(nxt.items(), key=lambda kv: _lse(*kv[1]) + bonus(kv[0]), reverse=True)
        beams = {prefix: (pb, pnb) for prefix, (pb, pnb) in ranked[:beam_width]}

    def final(prefix: tuple[int, ...]) -> tuple[float, float]:
        extra = bias.score(prefix, finished=True) if bias is not None else 0.0
        return _lse(*beams[prefix]) + extra, extra

    best = max(beams, key=lambda p: final(p)[0])
    score, extra = final(best)
    return BeamResult(best, score, extra)


def forced_align(logprobs: np.ndarray, labels: Sequence[int], blank: int) -> np.ndarray:
    """The most likely frame path that spells ``labels`` (Viterbi over the CTC graph).

    States alternate blank and label (``2 * len(labels) + 1``); a path may
    stay, step to the next state, or skip a blank between two different
    labels. Raises ValueError when there are too few frames for ``labels``.
    """
    lp = np.asarray(logprobs, dtype=np.float64)
    frames = lp.shape[0]
    if not labels:
        return np.full(frames, blank, dtype=np.int64)
    states = np.full(2 * len(labels) + 1, blank, dtype=np.int64)
    states[1::2] = labels
    n = states.shape[0]
    can_skip = np.zeros(n, dtype=bool)
    can_skip[3::2] = states[3::2] != states[1:-2:2]
    score = np.full(n, NEG_INF)
    score[:2] = lp[0, states[:2]]
    back = np.zeros((frames, n), dtype=np.int8)  # 0 stay, 1 from s-1, 2 from s-2
    for t in range(1, frames):
        step = np.full(n, NEG_INF)
        step[1:] = score[:-1]
        skip = np.full(n, NEG_INF)
        skip[2:] = np.where(can_skip[2:], score[:-2], NEG_INF)
        options = np.stack([score, step, skip])
        choice = options.argmax(axis=0)
        back[t] = choice
        score = options[choice, np.arange(n)] + lp[t, states]
    end = n - 1 if score[n - 1] >= score[n - 2] else n - 2
    if not np.isfinite(score[end]):
        raise ValueError(f"{frames} frames are too few to spell {len(labels)} labels")
    path = np.empty(frames, dtype=np.int64)
    for t in range(frames - 1, -1, -1):
        path[t] = states[end]
        end -= int(back[t, end])
    return path
