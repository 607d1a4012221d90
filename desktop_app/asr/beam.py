"""Beam search over the KV-cached decoder, as in OpenAI Whisper.

Each step every live beam proposes its ``beam_size + 1`` best next tokens;
the ``beam_size`` best unfinished sequences (by summed log-probability) carry
on and sequences ending in ``<|endoftext|>`` are set aside. The search stops
once ``round(beam_size * patience)`` sequences are finished (or the token
budget is spent, in which case the live beams count as finished). The winner
is chosen by :meth:`Candidate.score`, i.e. with Whisper's length penalty.

With a word list (:meth:`~desktop_app.asr.decoding.LogitRules.biased`) the
beams are proposed and ranked by the biased log-probabilities, while each
candidate keeps the model's own log-probabilities and its bonus apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from desktop_app.asr.decoding import LogitRules
    from desktop_app.asr.ort_session import WhisperSessions


@dataclass
class Candidate:
    """A finished (or cut-off) hypothesis: generated tokens without the end token."""

    tokens: list[int]
    logprobs: list[float]
    sum_logprob: float  # includes the end token's log-probability when it ended
    bonus: float = 0.0  # what a word list added to the sum (biased minus own log-probability)

    def score(self, length_penalty: float | None) -> float:
        """Whisper's ranking: ``sum / length`` or ``sum / ((5 + length) / 6) ** alpha``
        (the sum including the word list's bonus)."""
        length = len(self.tokens)
        if length_penalty is None:
            penalty = float(max(length, 1))
        else:
            penalty = ((5.0 + length) / 6.0) ** length_penalty
        return (self.sum_logprob + self.bonus) / penalty


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax; ``-inf`` entries stay ``-inf``."""
    shifted = logits - np.max(logits, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def beam_search(
    sessions: WhisperSessions,
    rules: LogitRules,
    cache: Any,
    first_logits: np.ndarray,
    sot_seq: list[int],
    *,
    beam_size: int,
    patience: float,
    max_new_tokens: int,
    eot: int,
) -> list[Candidate]:
    """Run beam search from a batch-1 prefilled ``cache``; returns the finished candidates."""
    max_finished = max(1, round(beam_size * patience))
    cache = sessions.expand(cache, beam_size)
    logits = np.repeat(first_logits[None], beam_size, axis=0)
    rows: list[list[int]] = [[] for _ in range(beam_size)]
    row_lps: list[list[float]] = [[] for _ in range(beam_size)]
    sums = np.zeros(beam_size)  # biased: what beams are ranked by
    own = np.zeros(beam_size)  # the model's own log-probability
    finished: dict[tuple[int, ...], Candidate] = {}
    prefix = list(sot_seq)

    for step in range(max_new_tokens):
        full = [prefix + r for r in rows]
        processed = rules.apply(logits, full)
        logprobs = log_softmax(processed)
        biased = rules.biased(processed, full)
        ranking = logprobs if biased is processed else log_softmax(biased)
        proposals: dict[tuple[int, ...], tuple[float, int, int, float]] = {}
        k = min(beam_size + 1, logprobs.shape[1])
        for j in range(beam_size):
            top = np.argpartition(-ranking[j], k - 1)[:k]
            for token in top.tolist():
                lp = float(logprobs[j, token])
                if ranking[j, token] == -np.inf:
                    continue
                seq = (*rows[j], token)
                if seq not in proposals:  # identical beams (first step) propose once
                    proposals[seq] = (float(sums[j]) + float(ranking[j, token]), j, token, lp)

        ranked = sorted(proposals.items(), key=lambda item: item[1][0], reverse=True)
        sources: list[int] = []
        next_tokens: list[int] = []
        new_rows: list[list[int]] = []
        new_lps: list[list[float]] = []
        new_sums: list[float] = []
        new_own: list[float] = []
        newly_finished: list[tuple[tuple[int, ...], Candidate]] = []
        for seq, (score, j, token, lp) in ranked:
            own_sum = float(own[j]) + lp
            if token == eot:
                cand = Candidate(list(rows[j]), list(row_lps[j]), own_sum, score - own_sum)
                newly_finished.append((seq, cand))
                continue
            sources.append(j)
            next_tokens.append(token)
            new_rows.append([*rows[j], token])
            new_lps.append([*row_lps[j], lp])
            new_sums.append(score)
            new_own.append(own_sum)
            if len(sources) == beam_size:
                break
        for seq, cand in newly_finished:  # already in descending score order
            if len(finished) >= max_finished:
                break
            finished.setdefault(seq, cand)
        if len(finished) >= max_finished or not sources:
            break
        while len(sources) < beam_size:  # too few live proposals: duplicate the best
            sources.append(sources[0])
            next_tokens.append(next_tokens[0])
            new_rows.append(list(new_rows[0]))
            new_lps.append(list(new_lps[0]))
            new_sums.append(new_sums[0])
            new_own.append(new_own[0])
        rows, row_lps, sums, own = new_rows, new_lps, np.array(new_sums), np.array(new_own)
        if step == max_new_tokens - 1:
            break
        cache = sessions.reorder(cache, np.array(sources))
        logits, cache = sessions.step(cache, np.array(next_tokens))

    if len(finished) < beam_size:  # budget spent: live beams are candidates too
        for j in np.argsort(-sums).tolist():
            seq = tuple(rows[j])
            if seq not in finished:
                bonus = float(sums[j] - own[j])
                finished[seq] = Candidate(list(rows[j]), list(row_lps[j]), float(own[j]), bonus)
            if len(finished) >= beam_size:
                break
    return list(finished.values())
