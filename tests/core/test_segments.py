"""Segment edits, revisions and undo/redo."""

from __future__ import annotations

import pytest

from desktop_app.core.errors import EditError, NotFoundError
from desktop_app.core.project import Project
from desktop_app.core.services.segments import NewSegment, SegmentService, split_text


@pytest.fixture
def svc(project: Project) -> SegmentService:
    return SegmentService(project)


def _add(svc: SegmentService, rec: int, start: int, end: int, text: str, **kw: object) -> int:
    return svc.add(rec, NewSegment(start, end, text), **kw).segment_id  # type: ignore[arg-type]


def test_add_and_list_in_time_order(svc: SegmentService, recording_id: int) -> None:
    _add(svc, recording_id, 5000, 6000, "екінші")
    _add(svc, recording_id, 1000, 2000, "бірінші")
    assert [s.text for s in svc.list(recording_id)] == ["бірінші", "екінші"]


def test_invalid_times_rejected(svc: SegmentService, recording_id: int) -> None:
    with pytest.raises(EditError, match="at least"):
        _add(svc, recording_id, 2000, 1000, "x")
    with pytest.raises(EditError, match="after the recording"):
        _add(svc, recording_id, 1000, 61_000, "x")
    with pytest.raises(NotFoundError):
        svc.add(999, NewSegment(0, 1000, "x"))
    assert svc.list(recording_id) == []


def test_edit_text_marks_auto_as_edited_and_keeps_revisions(
    svc: SegmentService, recording_id: int
) -> None:
    sid = _add(svc, recording_id, 0, 1000, "астан астан", status="auto", source="model")
    svc.edit_text(sid, "Астана")
    seg = svc.get(sid)
    assert seg.text == "Астана" and seg.status == "edited"
    hist = svc.history(sid)
    assert [h.source for h in hist] == ["model", "user"]
    assert hist[0].before is None and hist[0].after["text"] == "астан астан"
    assert hist[1].before["text"] == "астан астан" and hist[1].after["text"] == "Астана"


def test_undo_redo_edit(svc: SegmentService, recording_id: int) -> None:
    sid = _add(svc, recording_id, 0, 1000, "бір")
    op = svc.edit_text(sid, "екі").operation_id
    svc.undo(op)
    assert svc.get(sid).text == "бір"
    with pytest.raises(EditError, match="already undone"):
        svc.undo(op)
    svc.redo(op)
    assert svc.get(sid).text == "екі"
    # undo and redo are themselves revisions: nothing is lost
    assert [h.operation_kind for h in svc.history(sid)] == ["add", "edit_text", "undo", "redo"]


def test_split_and_undo(svc: SegmentService, recording_id: int) -> None:
    sid = _add(svc, recording_id, 0, 4000, "сәлем достар қалайсыңдар бүгін")
    res = svc.split(sid, 2000)
    left, right = svc.list(recording_id)
    assert (left.start_ms, left.end_ms, right.start_ms, right.end_ms) == (0, 2000, 2000, 4000)
    assert f"{left.text} {right.text}" == "сәлем достар қалайсыңдар бүгін"
    assert left.text and right.text
    svc.undo(res.operation_id)
    (only,) = svc.list(recording_id)
    assert (only.id, only.end_ms, only.text) == (sid, 4000, "сәлем достар қалайсыңдар бүгін")
    svc.redo(res.operation_id)
    assert len(svc.list(recording_id)) == 2


def test_split_outside_segment_rejected(svc: SegmentService, recording_id: int) -> None:
    sid = _add(svc, recording_id, 1000, 2000, "a b")
    with pytest.raises(EditError, match="inside the segment"):
        svc.split(sid, 2500)


def test_split_with_explicit_text_cut_and_words(svc: SegmentService, recording_id: int) -> None:
    words = [{"w": "бір", "s": 0.0, "e": 0.5, "p": 0.9}, {"w": "екі", "s": 0.6, "e": 1.0, "p": 0.4}]
    res = svc.add(recording_id, NewSegment(0, 1000, "бір екі", words=words))
    svc.split(res.segment_id, 550, text_cut=3)
    left, right = svc.list(recording_id)
    assert (left.text, right.text) == ("бір", "екі")
    assert [w["w"] for w in left.words or []] == ["бір"]
    assert [w["w"] for w in right.words or []] == ["екі"]


def test_merge_with_next_and_undo(svc: SegmentService, recording_id: int) -> None:
    a = _add(svc, recording_id, 0, 1000, "бір")
    b = _add(svc, recording_id, 1200, 2000, "екі")
    _add(svc, recording_id, 3000, 4000, "үш")
    res = svc.merge(a)
    segs = svc.list(recording_id)
    assert [(s.text, s.start_ms, s.end_ms) for s in segs] == [
        ("бір екі", 0, 2000),
        ("үш", 3000, 4000),
    ]
    svc.undo(res.operation_id)
    assert [s.id for s in svc.list(recording_id)] == [a, b, segs[1].id]


def test_merge_last_segment_has_no_next(svc: SegmentService, recording_id: int) -> None:
    a = _add(svc, recording_id, 0, 1000, "жалғыз")
    with pytest.raises(EditError, match="no next segment"):
        svc.merge(a)


def test_delete_is_undoable(svc: SegmentService, recording_id: int) -> None:
    a = _add(svc, recording_id, 0, 1000, "бір")
    op = svc.delete(a).operation_id
    assert svc.list(recording_id) == []
    with pytest.raises(NotFoundError):
        svc.get(a)
    svc.undo(op)
    assert svc.get(a).text == "бір"


def test_undo_refuses_when_segment_changed_later(svc: SegmentService, recording_id: int) -> None:
    a = _add(svc, recording_id, 0, 1000, "бір")
    first = svc.edit_text(a, "екі").operation_id
    svc.edit_text(a, "үш")
    with pytest.raises(EditError, match="changed after"):
        svc.undo(first)
    assert svc.get(a).text == "үш"


def test_status_language_bulk_and_last_undoable(svc: SegmentService, recording_id: int) -> None:
    a = _add(svc, recording_id, 0, 1000, "бір")
    b = _add(svc, recording_id, 1000, 2000, "два")
    svc.set_language([a], "kk")
    op = svc.set_status([a, b], "approved").operation_id
    assert {s.status for s in svc.list(recording_id)} == {"approved"}
    assert svc.last_undoable() == op
    svc.undo(op)
    assert {s.status for s in svc.list(recording_id)} == {"edited"}
    assert svc.get(a).language == "kk"
    with pytest.raises(EditError, match="Unknown status"):
        svc.set_status(a, "perfect")


def test_editing_approved_text_needs_reapproval(svc: SegmentService, recording_id: int) -> None:
    a = _add(svc, recording_id, 0, 1000, "бір")
    svc.set_status(a, "approved")
    svc.edit_text(a, "бір!")
    assert svc.get(a).status == "edited"


def test_set_times(svc: SegmentService, recording_id: int) -> None:
    a = _add(svc, recording_id, 0, 1000, "бір")
    op = svc.set_times(a, 100, 1500).operation_id
    assert (svc.get(a).start_ms, svc.get(a).end_ms) == (100, 1500)
    svc.undo(op)
    assert (svc.get(a).start_ms, svc.get(a).end_ms) == (0, 1000)


@pytest.mark.parametrize(
    ("text", "frac", "expected"),
    [
        ("бір екі үш төрт", 0.5, ("бір екі", "үш төрт")),
        ("жалғыз", 0.2, ("", "жалғыз")),
        ("жалғыз", 0.8, ("жалғыз", "")),
        ("", 0.5, ("", "")),
    ],
)
def test_split_text(text: str, frac: float, expected: tuple[str, str]) -> None:
    assert split_text(text, frac) == expected


# -- a person's touch protects a model segment (issue: re-transcription lost work) --


def _auto(project: Project, recording_id: int, start: int = 0, end: int = 2000) -> int:
    return (
        SegmentService(project)
        .add(recording_id, NewSegment(start, end, "модель"), status="auto")
        .segment_id
    )


@pytest.mark.parametrize(
    "change",
    [
        lambda svc, sid: svc.set_speaker(sid, svc_speaker(svc)),
        lambda svc, sid: svc.set_language(sid, "ru"),
        lambda svc, sid: svc.set_times(sid, 100, 1900),
        lambda svc, sid: svc.edit_text(sid, "адам"),
    ],
    ids=["speaker", "language", "boundary", "text"],
)
def test_any_human_touch_marks_a_model_segment_edited(
    project: Project, recording_id: int, change
) -> None:
    svc = SegmentService(project)
    sid = _auto(project, recording_id)
    change(svc, sid)
    assert svc.get(sid).status == "edited"


def svc_speaker(svc: SegmentService) -> int:
    from desktop_app.core.services.speakers import SpeakerService

    return SpeakerService(svc.project).create("Айгүл").id


def test_setting_a_field_to_its_own_value_is_no_touch(project: Project, recording_id: int) -> None:
    svc = SegmentService(project)
    sid = _auto(project, recording_id)
    svc.set_language(sid, None)
    svc.set_times(sid, 0, 2000)
    assert svc.get(sid).status == "auto"


def test_nobody_can_demote_a_segment_to_auto(project: Project, recording_id: int) -> None:
    svc = SegmentService(project)
    sid = svc.add(recording_id, NewSegment(0, 1000, "мен")).segment_id
    with pytest.raises(EditError, match="cannot be set back to 'auto'"):
        svc.set_status(sid, "auto")
    assert svc.get(sid).status == "edited"


def test_an_edit_of_a_segment_a_pass_just_replaced_is_kept(
    project: Project, recording_id: int
) -> None:
    """The editor was open on an old draft segment when the pass replaced it:
    the typed text comes back as the person's segment, the model's overlap goes."""
    from desktop_app.core.services.model_pass import ModelPass, ModelRef

    svc = SegmentService(project)
    sid = _auto(project, recording_id, 0, 3000)
    mp = ModelPass(project, recording_id, ModelRef("m", "m"))
    mp.begin()
    mp.add(NewSegment(0, 2800, "жаңа"))
    mp.add(NewSegment(5000, 6000, "кейін"))  # commits the first range: sid is replaced
    assert sid not in {s.id for s in svc.list(recording_id)}

    op = svc.edit_text(sid, "адам жазған").operation_id
    now = svc.list(recording_id)
    assert [(s.text, s.status) for s in now] == [("адам жазған", "edited")]
    mp.finish()  # the pass goes on and does not overwrite it
    assert [(s.text, s.status) for s in svc.list(recording_id)] == [
        ("адам жазған", "edited"),
        ("кейін", "auto"),
    ]
    svc.undo(op)  # undo gives the model's segment back and retires the person's again
    assert [s.text for s in svc.list(recording_id)] == ["жаңа", "кейін"]


def test_a_segment_a_person_deleted_stays_deleted(project: Project, recording_id: int) -> None:
    svc = SegmentService(project)
    sid = _auto(project, recording_id)
    svc.delete(sid)
    with pytest.raises(NotFoundError):
        svc.edit_text(sid, "жоқ")


# -- history that survives a restart ------------------------------------------------


def test_the_undo_stack_is_rebuilt_from_the_history(project: Project, recording_id: int) -> None:
    svc = SegmentService(project)
    a = svc.add(recording_id, NewSegment(0, 1000, "a")).operation_id
    b = svc.edit_text(svc.list(recording_id)[0].id, "b").operation_id
    c = svc.set_language(svc.list(recording_id)[0].id, "kk").operation_id
    svc.undo(c)
    svc.undo(b)
    svc.redo(b)
    steps, index = svc.undo_timeline()
    assert [st.operation_id for st in steps] == [a, b, c] and index == 2  # c can be redone
    d = svc.set_language(svc.list(recording_id)[0].id, "ru").operation_id  # drops c
    steps, index = svc.undo_timeline()
    assert [st.operation_id for st in steps] == [a, b, d] and index == 3
    assert [st.description for st in steps] == ["Add segment", "Edit text", "Set language"]
    steps, index = svc.undo_timeline(limit=2)
    assert [st.operation_id for st in steps] == [b, d] and index == 2


def test_restore_an_earlier_version(project: Project, recording_id: int) -> None:
    svc = SegmentService(project)
    sid = svc.add(recording_id, NewSegment(0, 1000, "бірінші"), status="auto").segment_id
    svc.edit_text(sid, "екінші")
    svc.set_times(sid, 100, 900)
    first = svc.history(sid)[0]
    op = svc.restore_version(sid, first.id).operation_id
    now = svc.get(sid)
    assert (now.text, now.start_ms, now.end_ms, now.status) == ("бірінші", 0, 1000, "edited")
    svc.undo(op)
    assert (svc.get(sid).text, svc.get(sid).start_ms) == ("екінші", 100)
    with pytest.raises(NotFoundError):
        svc.restore_version(sid, 10_000)
