"""Speakers, tiers and full-text search."""

from __future__ import annotations

import pytest

from desktop_app.core.errors import EditError, NotFoundError
from desktop_app.core.project import Project
from desktop_app.core.services.search import SearchService, fts_query
from desktop_app.core.services.segments import NewSegment, SegmentService
from desktop_app.core.services.speakers import SpeakerService, TierService
from tests.core.conftest import add_fake_recording


def test_speaker_create_rename_duplicate(project: Project) -> None:
    sp = SpeakerService(project)
    a = sp.create("Айгүл", gender="female", age_band="30-39", dialect="оңтүстік")
    with pytest.raises(EditError, match="already exists"):
        sp.create("Айгүл")
    with pytest.raises(EditError, match="needs a name"):
        sp.create("  ")
    assert sp.rename(a.id, "Айгүл С.").name == "Айгүл С."
    with pytest.raises(EditError, match="Unknown speaker field"):
        sp.update(a.id, shoe_size="42")


def test_speakers_shared_across_recordings_and_merge(project: Project) -> None:
    r1 = add_fake_recording(project, "r1")
    r2 = add_fake_recording(project, "r2")
    sp, seg = SpeakerService(project), SegmentService(project)
    a, b = sp.create("Ерлан"), sp.create("Ерлан Б.")
    s1 = seg.add(r1, NewSegment(0, 1000, "x", speaker_id=a.id)).segment_id
    s2 = seg.add(r2, NewSegment(0, 1000, "y", speaker_id=b.id)).segment_id
    op = sp.merge(b.id, a.id)
    assert seg.get(s2).speaker_id == a.id and seg.get(s1).speaker_id == a.id
    names = {s.name: s.segment_count for s in sp.list()}
    assert names == {"Ерлан": 2}
    with pytest.raises(NotFoundError):
        seg.set_speaker(s1, b.id)
    seg.undo(op.operation_id)  # the segments' speakers and the speaker come back
    assert seg.get(s2).speaker_id == b.id
    assert {s.name for s in sp.list()} == {"Ерлан", "Ерлан Б."}
    seg.redo(op.operation_id)
    assert {s.name for s in sp.list()} == {"Ерлан"}


def test_tiers(project: Project) -> None:
    tiers = TierService(project)
    assert [t.name for t in tiers.list()] == ["transcription"]
    tr = tiers.create("translation", kind="translation", language="en")
    with pytest.raises(EditError):
        tiers.create("translation")
    assert tiers.get_or_create("translation").id == tr.id
    assert [t.name for t in tiers.list()] == ["transcription", "translation"]


def test_search_kazakh_case_insensitive_prefix_and_deleted(project: Project) -> None:
    rec = add_fake_recording(project, "сұхбат")
    seg = SegmentService(project)
    a = seg.add(rec, NewSegment(0, 1000, "Қазақстан Республикасының астанасы")).segment_id
    seg.add(rec, NewSegment(2000, 3000, "Мен Алматыда тұрамын"))
    seg.add(rec, NewSegment(4000, 5000, "Я живу в Алматы"))
    search = SearchService(project)
    assert [h.segment_id for h in search.search("ҚАЗАҚСТАН")] == [a]
    assert [h.segment_id for h in search.search("қазақ")] == [a]  # prefix while typing
    assert "[Қазақстан]" in search.search("қазақстан")[0].snippet
    assert len(search.search("алматы")) == 2
    assert search.search("республикасының астанасы")[0].recording_title == "сұхбат"
    assert search.search("") == [] and search.search("  ***  ") == []
    seg.edit_text(a, "Астана")
    assert search.search("Қазақстан") == []
    assert [h.segment_id for h in search.search("астана")] == [a]
    seg.delete(a)
    assert search.search("астана") == []


def test_search_keeps_й_distinct_from_и(project: Project) -> None:
    rec = add_fake_recording(project)
    seg = SegmentService(project)
    seg.add(rec, NewSegment(0, 1000, "ой"))
    assert SearchService(project).search("ои") == []
    assert len(SearchService(project).search("ой")) == 1


@pytest.mark.parametrize(
    ("typed", "query"),
    [("сәлем", '"сәлем"*'), ('a" OR b', '"a" "OR" "b"*'), ("NEAR(x)", '"NEAR" "x"*'), ("", None)],
)
def test_fts_query_is_safe(typed: str, query: str | None) -> None:
    assert fts_query(typed) == query


def test_tier_create_and_rename(project: Project) -> None:
    tiers = TierService(project)
    tr = tiers.create("аударма", kind="translation")
    assert tiers.rename(tr.id, "  translation ").name == "translation"
    assert [t.name for t in tiers.list()][-1] == "translation"
    tiers.create("notes")
    with pytest.raises(EditError, match="already exists"):
        tiers.rename(tr.id, "notes")
    with pytest.raises(EditError, match="needs a name"):
        tiers.rename(tr.id, "   ")
    with pytest.raises(NotFoundError):
        tiers.rename(9999, "x")
    model_tier = next(t for t in tiers.list() if t.name == "transcription")
    with pytest.raises(EditError, match="keeps its name"):
        tiers.rename(model_tier.id, "mine")
    assert {t.name for t in tiers.list()} == {"transcription", "translation", "notes"}
