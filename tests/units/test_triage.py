"""Flags and the review queue from stored perplexities and ASR confidence (no models)."""

from __future__ import annotations

import math

import pytest

from desktop_app.core.project import Project
from desktop_app.core.services.recordings import RecordingService
from desktop_app.core.services.segments import NewSegment, SegmentService
from desktop_app.services.unit_scoring import (
    FLAG_NOISE,
    FLAG_OTHER,
    FlagThresholds,
    Reference,
    _store,
    perplexity_z,
    review_queue,
    unit_flags,
)

from .conftest import synth


@pytest.fixture
def scored(project: Project, write_wav) -> tuple[Project, list[int]]:
    rec = RecordingService(project).import_file(write_wav("r.wav", synth(12.0, 0)))
    typical = [12.0, 15.0, 18.0, 20.0, 22.0, 25.0, 28.0, 30.0, 16.0, 24.0]
    ppl = [*typical, 50.0, 900.0]  # unusual (z 2.1), extreme (z 9.7)
    conf = [0.9] * 10 + [0.9, 0.9]
    segs = [NewSegment(i * 1000, i * 1000 + 800, f"s{i}", confidence=c) for i, c in enumerate(conf)]
    ids = list(SegmentService(project).add_many(rec.id, segs).segment_ids)
    with project.unit() as s:
        for seg_id, value in zip(ids, ppl, strict=True):
            _store(s, seg_id, value)
    return project, ids


def test_flags_are_relative_to_the_project(scored) -> None:
    project, ids = scored
    segments = SegmentService(project).list(1)
    flags = unit_flags(segments)
    assert flags[ids[-1]] == FLAG_NOISE
    assert flags[ids[-2]] == FLAG_OTHER
    assert all(flags[i] is None for i in ids[:10])
    # too few scored segments: no distribution, no flags
    assert set(unit_flags(segments[:5]).values()) == {None}
    z = perplexity_z({1: 10.0, 2: 10.0, 3: 10.0})
    assert z == {1: 0.0, 2: 0.0, 3: 0.0}
    strict = unit_flags(segments, FlagThresholds(unusual=0.5, noise=1.0))
    assert sum(f is not None for f in strict.values()) > 2
    # against the project's whole audio (a reference), a few segments suffice
    ref = Reference("lm", median=math.log(20.0), spread=0.5, windows=100)
    few = unit_flags(segments[-3:], reference=ref)
    assert few == {ids[-3]: None, ids[-2]: FLAG_OTHER, ids[-1]: FLAG_NOISE}
    assert perplexity_z({7: 20.0}, ref) == {7: 0.0}


def test_queue_mixes_asr_doubt_and_perplexity(scored) -> None:
    project, ids = scored
    queue = review_queue(project)
    assert [it.segment.id for it in queue[:2]] == [ids[-1], ids[-2]]
    assert queue[0].flag == FLAG_NOISE and queue[0].unit_risk == 1.0
    # a low-confidence typical segment outranks the unusual one when ASR doubt weighs more
    SegmentService(project).set_status(ids[-1], "approved")  # approved: out of the queue
    with project.unit() as s:
        from sqlalchemy import update

        from desktop_app.core.store.schema import Segment

        s.execute(update(Segment).where(Segment.id == ids[0]).values(confidence=0.1))
    queue = review_queue(project, weight=0.8)
    assert ids[-1] not in [it.segment.id for it in queue]
    assert queue[0].segment.id == ids[0]
    assert review_queue(project, recording_id=999) == []


def test_fine_tuning_review_uses_the_same_ranking(scored) -> None:
    from sqlalchemy import update

    from desktop_app.core.store.schema import Segment
    from desktop_app.services.active import rank_for_review

    project, ids = scored
    rec_id = SegmentService(project).get(ids[0]).recording_id
    segs = SegmentService(project)
    [silent, empty] = segs.add_many(
        rec_id, [NewSegment(11_820, 11_900, "imported"), NewSegment(11_910, 11_990, "")]
    ).segment_ids
    ranked = rank_for_review(project)
    # equally confident segments: the unit LM's perplexity decides, as in the main window
    assert [it.segment.id for it in ranked] == [
        it.segment.id for it in review_queue(project) if it.segment.id != empty
    ]
    assert [it.segment.id for it in ranked[:2]] == [ids[-1], ids[-2]]
    assert ranked[-1].segment.id == silent and ranked[-1].priority == 0.0  # never scored
    assert ranked[0].recording_title == "r"

    # no perplexities stored: ASR confidence alone, the weakest word counted
    weak = [{"w": "s3", "p": 0.2}]
    with project.unit() as s:
        s.execute(update(Segment).values(unit_perplexity=None))
        s.execute(update(Segment).where(Segment.id == ids[3]).values(words=weak))
        s.execute(update(Segment).where(Segment.id == ids[5]).values(confidence=0.6))
    ranked = rank_for_review(project, limit=3)
    assert [it.segment.id for it in ranked] == [ids[3], ids[5], ids[0]]
    assert ranked[0].weakest_word == "s3"
    assert ranked[0].priority == pytest.approx(1 - 0.5 * (0.9 + 0.2))
    assert ranked[1].priority == pytest.approx(0.4)
    assert rank_for_review(project, recording_id=999) == []
