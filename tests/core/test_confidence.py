"""Low-confidence thresholds calibrated to the model (Qt-free core)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from desktop_app.core.project import Project
from desktop_app.core.services import confidence
from desktop_app.core.services.confidence import (
    DEFAULT_THRESHOLD,
    ConfidenceService,
    LowConfidence,
    calibrate,
)
from desktop_app.core.services.segments import NewSegment, SegmentService
from desktop_app.core.settings import from_dict
from desktop_app.core.store.schema import ModelVersion
from tests.core.conftest import add_fake_recording


def add_model_output(
    project: Project, rec: int, version: str | None, probs: list[list[float]], at: int = 0
) -> None:
    """One segment per list of word probabilities, as a model pass writes them."""
    if version is not None:
        with project.unit() as s:
            if s.get(ModelVersion, version) is None:
                s.add(ModelVersion(id=version, name=version))
    items = []
    for k, ps in enumerate(probs):
        start = at + k * 1000
        words = [{"w": f" с{i}", "s": start / 1000, "e": start / 1000 + 0.1, "p": p}
                 for i, p in enumerate(ps)]  # fmt: skip
        conf = float(np.exp(np.mean(np.log(ps))))
        items.append(NewSegment(start, start + 900, " ".join(w["w"] for w in words), None, "kk",
                                conf, words))  # fmt: skip
    SegmentService(project).add_many(rec, items, source="model", model_version_id=version)


def weak_and_strong(seed: int = 0) -> tuple[list[list[float]], list[list[float]]]:
    rng = random.Random(seed)
    weak = [[rng.betavariate(4.5, 2.2) for _ in range(6)] for _ in range(60)]  # mostly 0.4-0.9
    strong = [[rng.betavariate(30, 1.5) for _ in range(6)] for _ in range(60)]  # mostly > 0.9
    return weak, strong


def test_each_model_gets_its_own_20th_percentile(project: Project) -> None:
    rec = add_fake_recording(project, duration_ms=600_000)
    weak, strong = weak_and_strong()
    add_model_output(project, rec, "base", weak)
    add_model_output(project, rec, "tuned", strong, at=100_000)
    for version, probs in (("base", weak), ("tuned", strong)):
        cal = calibrate(project, version)
        flat = [p for ps in probs for p in ps]
        assert cal.words == len(flat) and cal.segments == len(probs)
        assert cal.word_threshold == pytest.approx(np.percentile(flat, 20))
        below = sum(p < cal.word_threshold for p in flat) / len(flat)
        assert 0.15 <= below <= 0.2  # a fifth of the words, whatever the model
    # the fixed 0.6 of old marked a third of the weak model's words and none of the other's
    rule = LowConfidence(None, {v: calibrate(project, v) for v in ("base", "tuned")})
    assert rule.word_threshold("base") < 0.6 < rule.word_threshold("tuned")
    assert sum(p < 0.6 for ps in weak for p in ps) > 0.25 * 360
    assert sum(p < 0.6 for ps in strong for p in ps) == 0


def test_rows_are_tinted_only_for_the_models_weakest_segments(project: Project) -> None:
    rec = add_fake_recording(project, duration_ms=600_000)
    weak, _strong = weak_and_strong()
    add_model_output(project, rec, "base", weak)
    rule = ConfidenceService(project).policy(["base"])
    confs = sorted(float(np.exp(np.mean(np.log(ps)))) for ps in weak)
    low = [c for c in confs if rule.segment_is_low(c, "base")]
    assert low == confs[: len(low)] and 1 <= len(low) <= 0.05 * len(confs) + 1
    assert "lowest 5 %" in rule.explain_segment("base")


def test_too_few_words_fall_back_to_the_default(project: Project) -> None:
    rec = add_fake_recording(project)
    add_model_output(project, rec, "base", [[0.2, 0.3, 0.9]])
    rule = ConfidenceService(project).policy(["base", "never-used"])
    assert rule.word_threshold("base") == DEFAULT_THRESHOLD
    assert rule.word_threshold("never-used") == DEFAULT_THRESHOLD
    assert rule.segment_threshold("base") is None  # no row is tinted
    assert "too few words" in rule.explain("base")


def test_segments_without_a_recorded_model_are_calibrated_together(project: Project) -> None:
    rec = add_fake_recording(project, duration_ms=600_000)
    weak, _ = weak_and_strong(1)
    add_model_output(project, rec, None, weak)
    assert calibrate(project, None).word_threshold == pytest.approx(
        np.percentile([p for ps in weak for p in ps], 20)
    )


def test_a_fixed_threshold_overrides_the_calibration(project: Project) -> None:
    rec = add_fake_recording(project, duration_ms=600_000)
    add_model_output(project, rec, "base", weak_and_strong()[0])
    rule = ConfidenceService(project).policy(["base"], fixed=0.75)
    assert rule.calibrations == {}  # no database work
    assert rule.word_threshold("base") == rule.segment_threshold("base") == 0.75
    assert rule.segment_is_low(0.7, "base") and not rule.segment_is_low(0.8, "base")
    assert rule.explain("base") == "below your fixed threshold, 0.75 (Settings)"


def test_calibrations_are_cached_until_the_model_output_grows(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    rec = add_fake_recording(project, duration_ms=600_000)
    weak, strong = weak_and_strong()
    add_model_output(project, rec, "base", weak)
    calls = []
    real = confidence.calibrate
    monkeypatch.setattr(confidence, "calibrate", lambda p, v: calls.append(v) or real(p, v))
    service = ConfidenceService(project)
    first = service.calibration("base")
    assert service.calibration("base") is first and calls == ["base"]
    segs = SegmentService(project)
    one = segs.list(rec)[0]
    segs.split(one.id, one.start_ms + 400)  # one more segment in 60: not worth a recount
    assert service.calibration("base") is first and len(calls) == 1
    add_model_output(project, rec, "base", strong, at=100_000)  # the output doubled
    again = service.calibration("base")
    assert len(calls) == 2 and again.words == first.words + 360
    assert again.word_threshold > first.word_threshold


@pytest.mark.parametrize(
    ("stored", "fixed"), [({"low_confidence": 0.6}, False), ({"low_confidence": 0.45}, True)]
)
def test_settings_v1_keep_a_threshold_the_user_chose(stored: dict, fixed: bool) -> None:
    s = from_dict({"version": 1, **stored})
    assert s.low_confidence == stored["low_confidence"]
    assert s.low_confidence_fixed is fixed
