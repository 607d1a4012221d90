"""The training audit's hours by speaker gender, age band, dialect, region, first language."""

from __future__ import annotations

from desktop_app.core.learning.audit import audit
from desktop_app.core.learning.dataset import Example, Splits, collect_examples
from desktop_app.core.project import Project
from desktop_app.core.services.segments import NewSegment, SegmentService
from desktop_app.core.services.speakers import SpeakerService
from tests.core.conftest import add_fake_recording


def _ex(n: int, ms: int, **who: str | None) -> Example:
    return Example(f"p/{n}", "unused.flac", f"сөз {n} бар", 0, ms, **who)  # type: ignore[arg-type]


def test_hours_by_participant_fields() -> None:
    a = {"speaker": "A", "gender": "female", "dialect": "оңтүстік", "l1": "kk"}
    b = {"speaker": "B", "gender": "male", "dialect": None, "l1": "kk,ru", "region": "Алматы"}
    splits = Splits(
        train=[_ex(1, 3_600_000, **a), _ex(2, 1_800_000, **b)], test=[_ex(3, 1_800_000, **a)]
    )
    result = audit(splits)
    assert result.hours_by["gender"] == {"female": 1.5, "male": 0.5}
    assert result.hours_by["dialect"] == {"оңтүстік": 1.5, "unknown": 0.5}
    assert result.hours_by["l1"] == {"kk": 1.5, "kk,ru": 0.5}
    assert result.hours_by["age_band"] == {"unknown": 2.0}
    lines = result.summary_lines()
    assert "Minutes by gender: female 90.0, male 30.0" in lines
    assert "Minutes by region: unknown 90.0, Алматы 30.0" in lines
    assert not any(line.startswith("Minutes by age band") for line in lines)  # nobody has one


def test_examples_carry_the_speakers_metadata(project: Project) -> None:
    rec = add_fake_recording(project)
    sp = SpeakerService(project).create(
        "Дана", gender="female", dialect="батыс", region="Атырау", l1="kk", birth_year=1961
    )
    segs = SegmentService(project)
    sid = segs.add(rec, NewSegment(0, 2000, "сәлем", speaker_id=sp.id)).segment_id
    segs.set_status(sid, "approved")
    (ex,) = collect_examples(project)
    assert (ex.dialect, ex.region, ex.l1, ex.birth_year) == ("батыс", "Атырау", "kk", 1961)
