"""Which words and segments the transcript marks as "low confidence".

A model's word probabilities say as much about the model as about the audio:
Whisper base on Kazakh gives most words ``p < 0.6``, a fine-tuned model gives
most of them ``p > 0.9``. A fixed threshold therefore marks nearly every word
with one model and almost none with another, and a mark that is everywhere
means nothing. The review threshold is instead calibrated to the model: the
project's own :data:`WORD_PERCENTILE`-th percentile of the word probabilities
of that model version (the fifth of its words it was least sure of), and a
whole row is tinted only when the segment's confidence is among the model's
lowest :data:`SEGMENT_PERCENTILE` per cent. A threshold the user sets in the
Settings (``Settings.low_confidence`` with ``low_confidence_fixed``) overrides
both.

Calibrations are computed from the database (SQLite's JSON functions read the
probabilities, numpy takes the percentiles) and cached per project and model
version; a cached one is recomputed once the number of that model's segments
has changed by more than :data:`RECALIBRATE_FRACTION` (a percentile over
thousands of words does not move with one split or merge).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import text

from desktop_app.core.project import Project

WORD_PERCENTILE = 20
SEGMENT_PERCENTILE = 5
MIN_WORDS = 20  # fewer model words than this: too few to calibrate on
MIN_SEGMENTS = 20  # fewer scored segments: no row is tinted (words still are)
DEFAULT_THRESHOLD = 0.6  # for words until a model has MIN_WORDS words in the project
RECALIBRATE_FRACTION = 0.02

_WORDS_SQL = """
    SELECT json_extract(j.value, '$.p')
    FROM segments s, json_each(s.words) j
    WHERE s.deleted = 0 AND s.model_version_id IS :version AND json_valid(s.words)
      AND json_type(j.value, '$.p') IN ('real', 'integer')
"""
_SEGMENTS_SQL = """
    SELECT confidence FROM segments
    WHERE deleted = 0 AND model_version_id IS :version AND confidence IS NOT NULL
"""
_SIGNATURE_SQL = """
    SELECT count(*), max(id) FROM segments WHERE deleted = 0 AND model_version_id IS :version
"""


@dataclass(frozen=True)
class Calibration:
    """The low-confidence thresholds of one model version in one project."""

    model_version_id: str | None
    word_threshold: float | None  # None: fewer than MIN_WORDS words to calibrate on
    segment_threshold: float | None  # None: fewer than MIN_SEGMENTS scored segments
    words: int
    segments: int


def calibrate(project: Project, model_version_id: str | None) -> Calibration:
    """The calibration of ``model_version_id`` (``None``: segments whose model
    was not recorded, e.g. older drafts) from every live segment it wrote."""
    params = {"version": model_version_id}
    with project.unit() as s:
        p = np.array([row[0] for row in s.execute(text(_WORDS_SQL), params)], dtype=np.float64)
        c = np.array([row[0] for row in s.execute(text(_SEGMENTS_SQL), params)], dtype=np.float64)
    return Calibration(
        model_version_id,
        float(np.percentile(p, WORD_PERCENTILE)) if p.size >= MIN_WORDS else None,
        float(np.percentile(c, SEGMENT_PERCENTILE)) if c.size >= MIN_SEGMENTS else None,
        int(p.size),
        int(c.size),
    )


@dataclass(frozen=True)
class LowConfidence:
    """The rule the transcript applies: calibrated per model version, or the
    user's ``fixed`` threshold for every word and segment."""

    fixed: float | None = None
    calibrations: Mapping[str | None, Calibration] = field(default_factory=dict)

    def word_threshold(self, model_version_id: str | None) -> float:
        if self.fixed is not None:
            return self.fixed
        cal = self.calibrations.get(model_version_id)
        if cal is None or cal.word_threshold is None:
            return DEFAULT_THRESHOLD
        return cal.word_threshold

    def segment_threshold(self, model_version_id: str | None) -> float | None:
        """Segments whose confidence is below this get a tinted row (None: none)."""
        if self.fixed is not None:
            return self.fixed
        cal = self.calibrations.get(model_version_id)
        return None if cal is None else cal.segment_threshold

    def segment_is_low(self, confidence: float | None, model_version_id: str | None) -> bool:
        limit = self.segment_threshold(model_version_id)
        return confidence is not None and limit is not None and confidence < limit

    def explain(self, model_version_id: str | None) -> str:
        """What "low" means for this model, for tooltips: e.g. "below this
        project's 20th percentile, 0.41"."""
        threshold = self.word_threshold(model_version_id)
        if self.fixed is not None:
            return f"below your fixed threshold, {threshold:.2f} (Settings)"
        cal = self.calibrations.get(model_version_id)
        if cal is None or cal.word_threshold is None:
            return (
                f"below the default threshold, {threshold:.2f} (too few words of this model "
                "in the project to calibrate)"
            )
        return f"below this project's {WORD_PERCENTILE}th percentile, {threshold:.2f}"

    def explain_segment(self, model_version_id: str | None) -> str:
        limit = self.segment_threshold(model_version_id)
        if limit is None:
            return ""
        if self.fixed is not None:
            return f"below your fixed threshold, {limit:.2f} (Settings)"
        return f"among this model's lowest {SEGMENT_PERCENTILE} % in the project (< {limit:.2f})"


class ConfidenceService:
    """Calibrations of one project, cached per model version (thread-safe)."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._cache: dict[str | None, tuple[tuple[int, int], Calibration]] = {}
        self._lock = threading.Lock()

    def calibration(self, model_version_id: str | None) -> Calibration:
        with self.project.unit() as s:
            count, last = s.execute(text(_SIGNATURE_SQL), {"version": model_version_id}).one()
        signature = (int(count), int(last or 0))
        with self._lock:
            cached = self._cache.get(model_version_id)
        if cached is not None and not _stale(cached[0], signature, cached[1]):
            return cached[1]
        cal = calibrate(self.project, model_version_id)
        with self._lock:
            self._cache[model_version_id] = (signature, cal)
        return cal

    def policy(
        self, model_version_ids: Iterable[str | None], fixed: float | None = None
    ) -> LowConfidence:
        """The rule for segments of these model versions (no database work when
        ``fixed`` is given: the user's threshold applies to every model)."""
        if fixed is not None:
            return LowConfidence(fixed)
        return LowConfidence(None, {v: self.calibration(v) for v in set(model_version_ids)})


def _stale(old: tuple[int, int], new: tuple[int, int], cal: Calibration) -> bool:
    if old == new:
        return False
    if cal.word_threshold is None or cal.segment_threshold is None:
        return True  # still gathering enough to calibrate: every change counts
    return abs(new[0] - old[0]) > RECALIBRATE_FRACTION * max(1, old[0])
