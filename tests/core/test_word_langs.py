"""Word language tags through the segment service: tagging, a person's tags,
undo/redo, and tags following text edits, splits and merges."""

from __future__ import annotations

import pytest

from desktop_app.core.errors import EditError
from desktop_app.core.project import Project
from desktop_app.core.services.model_pass import ModelPass, ModelRef
from desktop_app.core.services.segments import NewSegment, SegmentService
from desktop_app.core.services.word_langs import WordLangService
from desktop_app.core.store.schema import Revision, Segment, Tier


@pytest.fixture
def svc(project: Project) -> SegmentService:
    return SegmentService(project)


def _langs(project: Project, segment_id: int) -> list[tuple[str, str, str]]:
    with project.unit() as s:
        seg = s.get(Segment, segment_id)
        assert seg is not None
        return [(t["w"], t["l"], t["by"]) for t in seg.word_langs or []]


def _model_segment(svc: SegmentService, rec: int, start: int, text: str) -> int:
    new = NewSegment(start, start + 1000, text)
    return svc.add(rec, new, status="auto", source="model").segment_id


def test_tag_recording_is_one_undoable_step(
    project: Project, svc: SegmentService, recording_id: int
) -> None:
    a = _model_segment(svc, recording_id, 0, "Мен бүгін короче университетке бардым")
    b = _model_segment(svc, recording_id, 2000, "Жақсы, рахмет")
    words = WordLangService(project)
    summary = words.tag_recording(recording_id)
    assert summary.segments == 2 and summary.changed == 2 and summary.mixed == 1
    assert summary.words["kk"] == 6 and summary.words["ru"] == 1
    assert [lang for _, lang, _ in _langs(project, a)] == ["kk", "kk", "ru", "kk", "kk"]
    assert svc.get(a).status == "auto"  # automatic tags are no human touch
    # tagging again changes nothing and records no step
    tags = words.for_recording(recording_id)
    assert set(tags) == {a, b} and [t["l"] for t in tags[b]] == ["kk", "kk"]
    again = words.tag_recording(recording_id)
    assert again.changed == 0 and again.operation_id is None
    assert summary.operation_id is not None
    svc.undo(summary.operation_id)
    assert _langs(project, a) == [] and _langs(project, b) == []
    svc.redo(summary.operation_id)
    assert len(_langs(project, a)) == 5


def test_set_word_lang_by_user_is_undoable_and_promotes_auto(
    project: Project, svc: SegmentService, recording_id: int
) -> None:
    sid = _model_segment(svc, recording_id, 0, "Олар машина сатып алды")
    words = WordLangService(project)
    words.tag_recording(recording_id)
    result = words.set_word_lang(sid, 1, "ru")
    assert ("машина", "ru", "user") in _langs(project, sid)
    assert svc.get(sid).status == "edited"
    kinds = [r.operation_kind for r in svc.history(sid)]
    assert kinds[-1] == "set_word_lang"
    svc.undo(result.operation_id)
    assert ("машина", "ru", "user") not in _langs(project, sid)
    assert svc.get(sid).status == "auto"
    with pytest.raises(EditError, match="no word 9"):
        words.set_word_lang(sid, 8, "kk")
    with pytest.raises(EditError, match="Unknown word language"):
        words.set_word_lang(sid, 0, "en-GB")


def test_user_tag_survives_a_text_edit_of_another_word(
    project: Project, svc: SegmentService, recording_id: int
) -> None:
    sid = _model_segment(svc, recording_id, 0, "Олар машина сатып алды")
    words = WordLangService(project)
    words.set_word_lang(sid, 1, "ru")
    svc.edit_text(sid, "Олар кеше жаңа машина сатып алды")
    tags = _langs(project, sid)
    assert [w for w, _, _ in tags] == ["Олар", "кеше", "жаңа", "машина", "сатып", "алды"]
    assert tags[3] == ("машина", "ru", "user")
    assert tags[2] == ("жаңа", "kk", "auto")  # the new word was tagged in the same step
    # the edit's revision holds the tags, so undoing the edit brings the old ones back
    op = svc.history(sid)[-1].operation_id
    svc.undo(op)
    assert [w for w, _, _ in _langs(project, sid)] == ["Олар", "машина", "сатып", "алды"]


def test_split_and_merge_carry_the_tags(
    project: Project, svc: SegmentService, recording_id: int
) -> None:
    sid = svc.add(recording_id, NewSegment(0, 4000, "Мен очень шаршадым бүгін")).segment_id
    WordLangService(project).set_word_lang(sid, 1, "ru")
    result = svc.split(sid, 2000, text_cut=len("Мен очень"))
    left, right = result.segment_ids
    assert _langs(project, left) == [("Мен", "kk", "auto"), ("очень", "ru", "user")]
    assert [lang for _, lang, _ in _langs(project, right)] == ["kk", "kk"]
    svc.merge(left)
    assert ("очень", "ru", "user") in _langs(project, left)
    assert len(_langs(project, left)) == 4


def test_untagged_tiers_and_old_revisions(
    project: Project, svc: SegmentService, recording_id: int
) -> None:
    with project.unit() as s:
        tier = Tier(name="English", kind="translation")
        s.add(tier)
        s.flush()
        tier_id = tier.id
    tid = svc.add(recording_id, NewSegment(0, 1000, "I bought a car"), tier_id=tier_id)
    svc.edit_text(tid.segment_id, "I bought a new car")
    assert _langs(project, tid.segment_id) == []
    assert WordLangService(project).get(tid.segment_id) == []
    with pytest.raises(EditError, match="not on a transcription tier"):
        WordLangService(project).set_word_lang(tid.segment_id, 0, "other")
    assert WordLangService(project).tag_recording(recording_id).segments == 0
    # an edit recorded before word_langs joined the snapshots still undoes
    sid = svc.add(recording_id, NewSegment(2000, 3000, "Сәлем")).segment_id
    op = svc.edit_text(sid, "Сәлем достар").operation_id
    with project.unit() as s:
        for rev in s.query(Revision).filter(Revision.operation_id == op):
            rev.before = {k: v for k, v in (rev.before or {}).items() if k != "word_langs"}
            rev.after = {k: v for k, v in (rev.after or {}).items() if k != "word_langs"}
    svc.undo(op)
    assert svc.get(sid).text == "Сәлем"


def test_a_transcription_pass_tags_its_segments_in_the_same_step(
    project: Project, svc: SegmentService, recording_id: int
) -> None:
    mp = ModelPass(project, recording_id, ModelRef("m", "Model"))
    op = mp.begin()
    words = [{"w": "Мен", "s": 0.0, "e": 0.3}, {"w": "машина", "s": 0.3, "e": 0.9, "lang": "ru"}]
    mp.add(NewSegment(0, 1000, "Мен машина", language="kk", words=words))
    mp.finish()
    (seg,) = svc.list(recording_id)
    # the model's per-word language decides a word both lists know (else: its neighbour, kk)
    assert _langs(project, seg.id) == [("Мен", "kk", "auto"), ("машина", "ru", "auto")]
    svc.undo(op)  # undoing the pass takes segment and tags away together
    assert svc.list(recording_id) == []
