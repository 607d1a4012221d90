"""Speaker-disjoint train/dev/test splits.

No speaker's voice may appear in two splits, or test scores flatter the model.
Segments without a speaker are grouped by recording (one unknown voice per
recording). Groups are dealt, longest first, to the split furthest below its
share of the audio; ties break on a seeded hash, so the same project and seed
always give the same split.

These are the splits of *exported* datasets. Fine-tuning inside Jazba uses
:mod:`desktop_app.core.learning.dataset` instead, whose test set is fixed per
project (stored salt, 20-second blocks) so it never moves as the project
grows, and whose dev split falls back from speakers to recordings to blocks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from desktop_app.core.errors import InteropError
from desktop_app.core.interop.model import ExportRecording, Item

SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class SplitSpec:
    train: float = 0.8
    dev: float = 0.1
    test: float = 0.1
    seed: int = 0

    def ratios(self) -> dict[str, float]:
        values = {"train": self.train, "dev": self.dev, "test": self.test}
        if any(v < 0 for v in values.values()) or sum(values.values()) <= 0:
            raise InteropError("Split ratios must be zero or more and not all zero.")
        total = sum(values.values())
        return {k: v / total for k, v in values.items()}


def speaker_key(rec: ExportRecording, item: Item) -> str:
    return f"speaker:{item.speaker}" if item.speaker else f"recording:{rec.id}"


def assign_splits(
    recordings: Iterable[ExportRecording], spec: SplitSpec
) -> tuple[dict[str, str], list[str]]:
    """``(speaker key → split, warnings)``; see :func:`speaker_key`."""
    ratios = spec.ratios()
    durations: dict[str, int] = {}
    for rec in recordings:
        for item in rec.items:
            key = speaker_key(rec, item)
            durations[key] = durations.get(key, 0) + item.duration_ms

    def tiebreak(key: str) -> str:
        return hashlib.sha256(f"{spec.seed}:{key}".encode()).hexdigest()

    total = sum(durations.values()) or 1
    got = dict.fromkeys(SPLITS, 0)
    out: dict[str, str] = {}
    wanted = [s for s in SPLITS if ratios[s] > 0]
    for key in sorted(durations, key=lambda k: (-durations[k], tiebreak(k))):
        empty = [s for s in wanted if got[s] == 0]
        if empty and len(durations) - len(out) <= len(empty):
            split = empty[0]  # as many voices left as empty splits: one each
        else:
            split = max(wanted, key=lambda s: (ratios[s] - got[s] / total, -SPLITS.index(s)))
        out[key] = split
        got[split] += durations[key]
    warnings = [
        f"The {s} split is empty: there are too few speakers for a speaker-disjoint split."
        for s in wanted
        if got[s] == 0 and durations
    ]
    return out, warnings
