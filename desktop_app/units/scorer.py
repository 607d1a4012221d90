"""Scoring unit sequences with the exported unit LM on ONNX Runtime (CPU or CUDA).

The ONNX graph (``unit_lm.onnx``, exported by ``desktop_app.unitlm``) takes
``units`` ``(batch, T)`` int64, whose first token is the begin-of-sequence id
``K``, and returns ``nll`` ``(batch, T - 1)``: the negative log-likelihood in
nats of each following unit given the ones before it. A sequence longer than
the model's context is scored in consecutive chunks, each restarting from BOS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop_app.asr.ort_session import (
    DeviceChoice,
    choose_device,
    load_session,
    make_session_options,
)
from desktop_app.core.errors import ModelError

LM_FILE = "unit_lm.onnx"


@dataclass(frozen=True)
class SequenceScore:
    """Total NLL (nats) over ``tokens`` predicted units."""

    nll: float
    tokens: int

    @property
    def mean_nll(self) -> float:
        return self.nll / self.tokens if self.tokens else float("nan")

    @property
    def perplexity(self) -> float:
        return math.exp(self.mean_nll) if self.tokens else float("nan")


class UnitLMScorer:
    """An ONNX Runtime session over ``unit_lm.onnx`` with ``k`` units and a ``context``."""

    def __init__(
        self,
        graph: str | Path,
        k: int,
        context: int,
        device: str = "cpu",
        threads: int | None = None,
    ) -> None:
        self.k = int(k)
        self.bos = self.k
        self.context = int(context)
        if self.context < 2:
            raise ModelError("The unit LM's context must hold at least two tokens.")
        self.session, self.choice = load_session(
            Path(graph), make_session_options(threads), choose_device(device)
        )
        names = {i.name for i in self.session.get_inputs()}
        if "units" not in names:
            raise ModelError(f"'{Path(graph).name}' is not a Jazba unit LM (no 'units' input).")

    @property
    def device(self) -> DeviceChoice:
        return self.choice

    def chunks(self, units: np.ndarray) -> list[np.ndarray]:
        """BOS-prefixed pieces of at most ``context`` tokens."""
        units = np.asarray(units, dtype=np.int64).reshape(-1)
        if units.size and (units.min() < 0 or units.max() >= self.k):
            raise ModelError(f"Unit ids must lie in 0..{self.k - 1}; this LM has {self.k} units.")
        step = self.context - 1
        return [
            np.concatenate([[self.bos], units[i : i + step]]).astype(np.int64)
            for i in range(0, units.size, step)
        ]

    def token_nll(self, batch: np.ndarray) -> np.ndarray:
        """Raw graph output for a ``(batch, T)`` BOS-prefixed int64 array."""
        return self.session.run(["nll"], {"units": np.asarray(batch, dtype=np.int64)})[0]

    def score(self, units: np.ndarray) -> SequenceScore:
        """NLL of a whole unit sequence (empty -> 0 tokens)."""
        total, count = 0.0, 0
        for piece in self.chunks(units):
            nll = self.token_nll(piece[None])[0]
            total += float(np.sum(nll, dtype=np.float64))
            count += int(nll.size)
        return SequenceScore(total, count)

    def score_many(self, sequences: list[np.ndarray], batch: int = 32) -> list[SequenceScore]:
        """Scores of many sequences; equal-length chunks are batched together."""
        totals = np.zeros(len(sequences), dtype=np.float64)
        counts = np.zeros(len(sequences), dtype=np.int64)
        by_len: dict[int, list[tuple[int, np.ndarray]]] = {}
        for i, seq in enumerate(sequences):
            for piece in self.chunks(seq):
                by_len.setdefault(piece.size, []).append((i, piece))
        for items in by_len.values():
            for start in range(0, len(items), batch):
                group = items[start : start + batch]
                nll = self.token_nll(np.stack([p for _, p in group]))
                for (i, _), row in zip(group, nll, strict=True):
                    totals[i] += float(np.sum(row, dtype=np.float64))
                    counts[i] += row.size
        return [SequenceScore(float(t), int(c)) for t, c in zip(totals, counts, strict=True)]


def unigram_nll(train: list[np.ndarray], test: list[np.ndarray], k: int) -> SequenceScore:
    """Held-out NLL of an add-one smoothed unigram model fitted on ``train``."""
    counts = np.ones(k, dtype=np.float64)
    for seq in train:
        counts += np.bincount(np.asarray(seq, dtype=np.int64), minlength=k)[:k]
    logp = np.log(counts / counts.sum())
    joined = np.concatenate([np.asarray(s, dtype=np.int64) for s in test]) if test else []
    return SequenceScore(float(-logp[joined].sum()) if len(joined) else 0.0, len(joined))
