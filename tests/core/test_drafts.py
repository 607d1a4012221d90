"""Text typed into an editor is journalled and offered back after a crash."""

from __future__ import annotations

import pytest

from desktop_app.core.errors import NotFoundError
from desktop_app.core.project import Project
from desktop_app.core.services.drafts import DraftService
from desktop_app.core.services.model_pass import ModelPass, ModelRef
from desktop_app.core.services.segments import NewSegment, SegmentService


def test_a_draft_survives_reopening_and_restores_as_an_undoable_edit(
    project: Project, recording_id: int
) -> None:
    seg = SegmentService(project)
    sid = seg.add(recording_id, NewSegment(1000, 2000, "ескі"), status="auto").segment_id
    drafts = DraftService(project)
    drafts.save(sid, "жаңа мә", "ескі")
    drafts.save(sid, "жаңа мәтін", "ескі")  # one draft per segment, the latest text
    path = project.path
    project.close()  # as if the app died here

    reopened = Project.open(path)
    try:
        drafts = DraftService(reopened)
        [d] = drafts.pending()
        assert (d.segment_id, d.text, d.base_text, d.current_text) == (
            sid,
            "жаңа мәтін",
            "ескі",
            "ескі",
        )
        assert d.recording_title == "rec" and d.differs
        result = drafts.restore(sid)
        seg = SegmentService(reopened)
        assert seg.get(sid).text == "жаңа мәтін" and seg.get(sid).status == "edited"
        assert drafts.pending() == []
        assert result is not None
        seg.undo(result.operation_id)
        assert seg.get(sid).text == "ескі"
    finally:
        reopened.close()


def test_discard_removes_the_draft(project: Project, recording_id: int) -> None:
    sid = SegmentService(project).add(recording_id, NewSegment(0, 900, "a")).segment_id
    drafts = DraftService(project)
    drafts.save(sid, "b", "a")
    drafts.discard(sid)
    assert drafts.pending() == []
    with pytest.raises(NotFoundError):
        drafts.restore(sid)


def test_a_draft_of_a_segment_a_pass_replaced_wins_over_the_model(
    project: Project, recording_id: int
) -> None:
    seg = SegmentService(project)
    sid = seg.add(recording_id, NewSegment(0, 3000, "ескі"), status="auto").segment_id
    DraftService(project).save(sid, "адамның мәтіні", "ескі")
    mp = ModelPass(project, recording_id, ModelRef("m", "m"))
    mp.begin()
    mp.add(NewSegment(0, 3000, "модель"))
    mp.finish()
    DraftService(project).restore(sid)
    assert [(s.id, s.text) for s in seg.list(recording_id)] == [(sid, "адамның мәтіні")]


def test_a_draft_of_a_segment_a_person_deleted_comes_back_as_a_new_one(
    project: Project, recording_id: int
) -> None:
    seg = SegmentService(project)
    sid = seg.add(recording_id, NewSegment(500, 1500, "a")).segment_id
    DraftService(project).save(sid, "жазылған", "a")
    seg.delete(sid)
    DraftService(project).restore(sid)
    [now] = seg.list(recording_id)
    assert (now.text, now.start_ms, now.end_ms, now.status) == ("жазылған", 500, 1500, "edited")
    assert now.id != sid
