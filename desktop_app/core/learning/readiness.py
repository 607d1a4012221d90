"""Is there enough approved data to train on? The answer in a linguist's words.

Shared by the fine-tune job (which refuses to start without it) and the
Training dialog (which says so before Start), so the two never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from desktop_app.core.learning.dataset import DatasetError, Splits

MIN_TRAIN = 8
"""Segments left to learn from (after the test and dev sets) needed to train."""


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


@dataclass(frozen=True)
class Readiness:
    """Whether there is enough data to train, in a linguist's words.

    The same conditions :func:`finetune` enforces before any work: at least
    ``min_train`` segments left to learn from after the held-out test set and
    the dev set are kept apart, and a non-empty test set (the new model is
    compared with the old one on it).
    """

    segments: int
    minutes: float
    train: int
    train_minutes: float
    dev: int
    test: int
    test_minutes: float
    min_train: int = MIN_TRAIN
    include_edited: bool = False

    @classmethod
    def of(
        cls, splits: Splits, min_train: int = MIN_TRAIN, include_edited: bool = False
    ) -> Readiness:
        def minutes(part: Sequence[Any]) -> float:
            return sum(ex.duration_s for ex in part) / 60

        return cls(
            segments=len(splits.all()),
            minutes=minutes(splits.all()),
            train=len(splits.train),
            train_minutes=minutes(splits.train),
            dev=len(splits.dev),
            test=len(splits.test),
            test_minutes=minutes(splits.test),
            min_train=min_train,
            include_edited=include_edited,
        )

    @property
    def kind(self) -> str:
        return "approved or edited" if self.include_edited else "approved"

    def summary(self) -> str:
        """What there is: segments, minutes, and how they are shared out."""
        have = f"You have {_count(self.segments, self.kind + ' segment')} ({self.minutes:.1f} min)."
        if not self.segments:
            return have
        return (
            f"{have} {self.test} of them are held out to test the new model against the "
            f"current one ({self.test_minutes:.1f} min) and {self.dev} to follow its progress "
            f"during training, which leaves {self.train} ({self.train_minutes:.1f} min) "
            "to learn from."
        )

    def problems(self) -> list[str]:
        """What is missing before training can start (empty: ready)."""
        out = []
        if self.train < self.min_train:
            more = self.min_train - self.train
            out.append(
                f"Training needs at least {self.min_train} segments to learn from: approve at "
                f"least {more} more (a few of every new batch are held out for testing, so "
                "approve some extra)."
            )
        if not self.test:
            out.append(
                "No segments are held out for testing yet, so the new model could not be "
                "compared with the current one: approve segments in more than one part of the "
                "recordings."
            )
        return out

    @property
    def ready(self) -> bool:
        return not self.problems()


def check_ready(splits: Splits, min_train: int = MIN_TRAIN) -> None:
    """Raise :class:`DatasetError` saying what is missing, if anything is."""
    readiness = Readiness.of(splits, min_train)
    problems = readiness.problems()
    if problems:
        raise DatasetError(f"{readiness.summary()} {' '.join(problems)}")
