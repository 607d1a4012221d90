"""Child tiers: creation, ELAN's rules, and parent edits that keep children consistent
in one undo step (split, merge, new times, delete, restore, model passes)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from desktop_app.core.errors import EditError
from desktop_app.core.project import DEFAULT_TIER, Project
from desktop_app.core.services.model_pass import ModelPass, ModelRef
from desktop_app.core.services.segments import NewSegment, SegmentService
from desktop_app.core.services.speakers import TierService as ReExported
from desktop_app.core.services.tiers import TierService
from desktop_app.core.store.schema import Revision
from tests.core.conftest import add_fake_recording

MODEL = ModelRef(id="whisper-test", name="Whisper (test)")


@pytest.fixture
def seg(project: Project) -> SegmentService:
    return SegmentService(project)


@pytest.fixture
def tiers(project: Project) -> TierService:
    return TierService(project)


def main_tier(tiers: TierService) -> int:
    return tiers.by_name(DEFAULT_TIER).id


def kids(seg: SegmentService, rec: int, tier_id: int) -> list[tuple[int, int, str, int | None]]:
    return [(s.start_ms, s.end_ms, s.text, s.parent_id) for s in seg.list(rec, tier_id)]


def test_speakers_module_still_exports_the_tier_service() -> None:
    assert ReExported is TierService


def test_association_child_gets_an_empty_box_under_every_parent(
    project: Project, seg: SegmentService, tiers: TierService, recording_id: int
) -> None:
    other = add_fake_recording(project, "other")
    a = seg.add(recording_id, NewSegment(0, 1000, "сәлем")).segment_id
    b = seg.add(recording_id, NewSegment(2000, 3000, "қалайсың")).segment_id
    c = seg.add(other, NewSegment(500, 900, "жақсы")).segment_id
    gone = seg.add(other, NewSegment(1000, 1500, "жоқ")).segment_id
    seg.delete(gone)

    tr = tiers.create_child(main_tier(tiers), "translation")
    assert (tr.parent_id, tr.constraint, tr.kind) == (
        main_tier(tiers),
        "symbolic_association",
        "translation",
    )
    assert kids(seg, recording_id, tr.id) == [(0, 1000, "", a), (2000, 3000, "", b)]
    assert kids(seg, other, tr.id) == [(500, 900, "", c)]
    assert {s.status for s in seg.list(recording_id, tr.id)} == {"edited"}
    assert [t.name for t in tiers.children(main_tier(tiers))] == ["translation"]

    seg.undo(seg.last_undoable())  # one undo step takes all the new boxes away
    assert seg.list(recording_id, tr.id) == [] and seg.list(other, tr.id) == []

    # a new parent segment brings its empty translation box
    d = seg.add(recording_id, NewSegment(4000, 5000, "жаңа")).segment_id
    assert kids(seg, recording_id, tr.id) == [(4000, 5000, "", d)]


def test_elan_rules_are_checked(tiers: TierService) -> None:
    main = main_tier(tiers)
    with pytest.raises(EditError, match="Unknown tier constraint"):
        tiers.create_child(main, "x", constraint="symbolic_chaos")
    with pytest.raises(EditError, match="cannot be a transcription"):
        tiers.create_child(main, "x", kind="transcription", constraint="symbolic_subdivision")
    words = tiers.create_child(main, "words", kind="words", constraint="symbolic_subdivision")
    with pytest.raises(EditError, match="no times of its own"):
        tiers.create_child(words.id, "phones", kind="other", constraint="included_in")
    gloss = tiers.create_child(words.id, "gloss", kind="gloss")
    assert gloss.parent_id == words.id
    with pytest.raises(EditError, match="loop"):
        tiers.set_parent(words.id, gloss.id, "symbolic_association")
    with pytest.raises(EditError, match="already exists"):
        tiers.create_child(main, "words")
    assert [(d, t.name) for d, t in tiers.tree()] == [(0, DEFAULT_TIER), (1, "words"), (2, "gloss")]


def test_split_keeps_text_first_and_adds_an_empty_box_undo_restores(
    seg: SegmentService, tiers: TierService, recording_id: int
) -> None:
    parent = seg.add(recording_id, NewSegment(0, 2000, "бір екі")).segment_id
    tr = tiers.create_child(main_tier(tiers), "translation")
    child = seg.list(recording_id, tr.id)[0].id
    seg.edit_text(child, "one two")

    op = seg.split(parent, 1000).operation_id
    right = next(s for s in seg.list(recording_id, main_tier(tiers)) if s.id != parent)
    assert kids(seg, recording_id, tr.id) == [
        (0, 1000, "one two", parent),
        (1000, 2000, "", right.id),
    ]

    seg.undo(op)
    assert kids(seg, recording_id, tr.id) == [(0, 2000, "one two", parent)]
    seg.redo(op)
    assert len(seg.list(recording_id, tr.id)) == 2


def test_merge_joins_children_texts_and_moves_subdivisions(
    seg: SegmentService, tiers: TierService, recording_id: int
) -> None:
    main = main_tier(tiers)
    a = seg.add(recording_id, NewSegment(0, 1000, "сәлем")).segment_id
    b = seg.add(recording_id, NewSegment(1000, 3000, "қалайсың")).segment_id
    tr = tiers.create_child(main, "translation")
    words = tiers.create_child(main, "words", kind="words", constraint="symbolic_subdivision")
    seg.add(recording_id, NewSegment(0, 1, "сәлем", parent_id=a), tier_id=words.id)
    seg.add(recording_id, NewSegment(0, 1, "қалай", parent_id=b), tier_id=words.id)
    seg.add(recording_id, NewSegment(0, 1, "сың", parent_id=b), tier_id=words.id)
    assert kids(seg, recording_id, words.id) == [
        (0, 1000, "сәлем", a),
        (1000, 2000, "қалай", b),
        (2000, 3000, "сың", b),
    ]
    ta, tb = (s.id for s in seg.list(recording_id, tr.id))
    seg.edit_text(ta, "hello")
    seg.edit_text(tb, "how are you")

    op = seg.merge(a).operation_id
    assert kids(seg, recording_id, tr.id) == [(0, 3000, "hello how are you", a)]
    assert kids(seg, recording_id, words.id) == [
        (0, 1000, "сәлем", a),
        (1000, 2000, "қалай", a),
        (2000, 3000, "сың", a),
    ]
    assert [s.ordinal for s in seg.list(recording_id, words.id)] == [0, 1, 2]
    seg.undo(op)
    assert [s.text for s in seg.list(recording_id, tr.id)] == ["hello", "how are you"]
    assert [s.parent_id for s in seg.list(recording_id, words.id)] == [a, b, b]


def test_new_times_move_association_respace_subdivision_clamp_included(
    seg: SegmentService, tiers: TierService, recording_id: int
) -> None:
    main = main_tier(tiers)
    p = seg.add(recording_id, NewSegment(1000, 3000, "бір екі")).segment_id
    tr = tiers.create_child(main, "translation")
    words = tiers.create_child(main, "words", kind="words", constraint="symbolic_subdivision")
    notes = tiers.create_child(main, "notes", kind="comment", constraint="included_in")
    steps = tiers.create_child(main, "steps", kind="other", constraint="time_subdivision")
    for w in ("бір", "екі"):
        seg.add(recording_id, NewSegment(0, 1, w, parent_id=p), tier_id=words.id)
    seg.add(recording_id, NewSegment(2500, 2900, "күлкі"), tier_id=notes.id)  # parent by time
    seg.add(recording_id, NewSegment(1000, 2000, "a"), tier_id=steps.id)
    seg.add(recording_id, NewSegment(2000, 3000, "b"), tier_id=steps.id)
    with pytest.raises(EditError, match="inside its parent"):
        seg.set_times(seg.list(recording_id, notes.id)[0].id, 2500, 3500)
    with pytest.raises(EditError, match="take their times from the parent"):
        seg.set_times(seg.list(recording_id, tr.id)[0].id, 1000, 2000)

    op = seg.set_times(p, 1000, 2000).operation_id
    assert kids(seg, recording_id, tr.id) == [(1000, 2000, "", p)]
    assert kids(seg, recording_id, words.id) == [(1000, 1500, "бір", p), (1500, 2000, "екі", p)]
    (note,) = seg.list(recording_id, notes.id)
    assert note.parent_id == p and 1000 <= note.start_ms < note.end_ms <= 2000
    assert note.end_ms - note.start_ms >= 20
    assert kids(seg, recording_id, steps.id) == [(1000, 1500, "a", p), (1500, 2000, "b", p)]
    seg.undo(op)
    assert kids(seg, recording_id, notes.id) == [(2500, 2900, "күлкі", p)]
    assert kids(seg, recording_id, words.id) == [(1000, 2000, "бір", p), (2000, 3000, "екі", p)]


def test_delete_takes_children_and_undo_or_restore_brings_them_back(
    seg: SegmentService, tiers: TierService, recording_id: int
) -> None:
    main = main_tier(tiers)
    p = seg.add(recording_id, NewSegment(0, 1000, "сөз")).segment_id
    tr = tiers.create_child(main, "translation")
    gl = tiers.create_child(tr.id, "note", kind="comment")
    (t,) = seg.list(recording_id, tr.id)
    seg.edit_text(t.id, "word")
    (n,) = seg.list(recording_id, gl.id)
    assert n.parent_id == t.id
    op = seg.delete(p).operation_id
    assert seg.list(recording_id, tr.id) == [] and seg.list(recording_id, gl.id) == []
    seg.undo(op)
    assert [s.text for s in seg.list(recording_id, tr.id)] == ["word"]
    assert len(seg.list(recording_id, gl.id)) == 1

    seg.delete(p)
    first = seg.history(p)[0].id
    seg.restore_version(p, first)
    assert [s.text for s in seg.list(recording_id, tr.id)] == ["word"]
    assert len(seg.list(recording_id, gl.id)) == 1


def test_association_child_cannot_be_split_or_doubled(
    seg: SegmentService, tiers: TierService, recording_id: int
) -> None:
    p = seg.add(recording_id, NewSegment(0, 1000, "сөз")).segment_id
    tr = tiers.create_child(main_tier(tiers), "translation")
    (t,) = seg.list(recording_id, tr.id)
    with pytest.raises(EditError, match="follow their parent"):
        seg.split(t.id, 500)
    with pytest.raises(EditError, match="already has its annotation"):
        seg.add(recording_id, NewSegment(0, 1000, "x", parent_id=p), tier_id=tr.id)
    with pytest.raises(EditError, match="under one of the parent"):
        seg.add(recording_id, NewSegment(5000, 6000, "x"), tier_id=tr.id)


def test_model_pass_keeps_a_draft_whose_translation_a_person_typed(
    project: Project, seg: SegmentService, tiers: TierService, recording_id: int
) -> None:
    typed = seg.add(recording_id, NewSegment(0, 1000, "ескі"), status="auto").segment_id
    plain = seg.add(recording_id, NewSegment(2000, 3000, "ескі 2"), status="auto").segment_id
    tr = tiers.create_child(main_tier(tiers), "translation")
    by_parent = {s.parent_id: s.id for s in seg.list(recording_id, tr.id)}
    seg.edit_text(by_parent[typed], "old")

    mp = ModelPass(project, recording_id, MODEL)
    op = mp.begin()
    mp.add(NewSegment(0, 1000, "жаңа"))
    mp.add(NewSegment(2000, 3000, "жаңа 2"))
    mp.finish()
    assert (mp.kept, mp.replaced, mp.skipped) == (1, 1, 1)
    main = {s.text: s for s in seg.list(recording_id, main_tier(tiers))}
    assert set(main) == {"ескі", "жаңа 2"} and main["ескі"].id == typed
    children = {s.parent_id: s.text for s in seg.list(recording_id, tr.id)}
    assert children == {typed: "old", main["жаңа 2"].id: ""}  # the retired draft's box went
    assert seg.get(by_parent[plain], include_deleted=True).text == ""

    seg.undo(op)
    assert {s.parent_id for s in seg.list(recording_id, tr.id)} == {typed, plain}


def test_undo_of_an_edit_recorded_before_the_new_fields(
    project: Project, seg: SegmentService, recording_id: int
) -> None:
    sid = seg.add(recording_id, NewSegment(0, 1000, "бір")).segment_id
    op = seg.edit_text(sid, "екі").operation_id
    with project.unit() as s:  # as an older version of Jazba wrote them
        for rev in s.scalars(select(Revision).where(Revision.segment_id == sid)):
            for snap in ("before", "after"):
                old = getattr(rev, snap)
                if old is not None:
                    setattr(
                        rev,
                        snap,
                        {
                            k: v
                            for k, v in old.items()
                            if k not in ("parent_id", "ordinal", "word_langs")
                        },
                    )
    seg.undo(op)
    assert seg.get(sid).text == "бір"


def test_delete_tier_needs_confirmation_and_set_parent_attaches_by_time(
    seg: SegmentService, tiers: TierService, recording_id: int
) -> None:
    main = main_tier(tiers)
    p = seg.add(recording_id, NewSegment(0, 2000, "бір")).segment_id
    notes = tiers.create("notes", kind="comment")
    n = seg.add(recording_id, NewSegment(500, 900, "ескерту"), tier_id=notes.id).segment_id
    tiers.set_parent(notes.id, main, "included_in")
    assert seg.get(n).parent_id == p and tiers.get(notes.id).constraint == "included_in"
    with pytest.raises(EditError, match="model's and stays"):
        tiers.delete(main)
    sub = tiers.create_child(notes.id, "sub", kind="comment", constraint="included_in")
    with pytest.raises(EditError, match="child tiers"):
        tiers.delete(notes.id)
    tiers.delete(sub.id)
    with pytest.raises(EditError, match="holds 1 annotation"):
        tiers.delete(notes.id)
    op = tiers.delete(notes.id, with_annotations=True)
    assert op is not None and seg.list(recording_id, notes.id) == []
    seg.undo(op.operation_id)
    assert [s.text for s in seg.list(recording_id, notes.id)] == ["ескерту"]
    empty = tiers.create_child(main, "empty", kind="comment", constraint="included_in")
    assert tiers.delete(empty.id) is None
    assert "empty" not in {t.name for t in tiers.list()}


def test_a_cut_into_several_pieces_moves_children_by_their_middle(
    project: Project, seg: SegmentService, tiers: TierService, recording_id: int
) -> None:
    """What diarization does when one segment holds several voices."""
    from desktop_app.core.services import revisions
    from desktop_app.core.services import tier_children as tc
    from desktop_app.core.store.schema import Segment

    main = main_tier(tiers)
    p = seg.add(recording_id, NewSegment(0, 3000, "бір екі үш")).segment_id
    tr = tiers.create_child(main, "translation")
    notes = tiers.create_child(main, "notes", kind="comment", constraint="included_in")
    seg.add(recording_id, NewSegment(2200, 2600, "күлкі"), tier_id=notes.id)
    with project.unit() as s:
        rec = revisions.Recorder(s, "diarize", "Label speakers")
        first = s.get(Segment, p)
        rec.change(first, end_ms=1000)
        pieces = [
            rec.create(Segment(recording_id=recording_id, tier_id=main, start_ms=a, end_ms=b))
            for a, b in ((1000, 2000), (2000, 3000))
        ]
        tc.on_pieces(s, rec, first, pieces, (0, 3000))
        ids = [x.id for x in pieces]
    assert kids(seg, recording_id, tr.id) == [
        (0, 1000, "", p),
        (1000, 2000, "", ids[0]),
        (2000, 3000, "", ids[1]),
    ]
    assert kids(seg, recording_id, notes.id) == [(2200, 2600, "күлкі", ids[1])]


def test_typing_into_a_box_the_pass_just_retired_brings_its_parent_back(
    project: Project, seg: SegmentService, tiers: TierService, recording_id: int
) -> None:
    parent = seg.add(recording_id, NewSegment(0, 1000, "ескі"), status="auto").segment_id
    tr = tiers.create_child(main_tier(tiers), "translation")
    (box,) = seg.list(recording_id, tr.id)
    mp = ModelPass(project, recording_id, MODEL)
    mp.begin()
    mp.add(NewSegment(0, 1000, "жаңа"))
    mp.finish()  # the editor was still open on the box
    assert [s.text for s in seg.list(recording_id, main_tier(tiers))] == ["жаңа"]

    seg.edit_text(box.id, "old")
    assert [(s.id, s.text) for s in seg.list(recording_id, main_tier(tiers))] == [(parent, "ескі")]
    assert kids(seg, recording_id, tr.id) == [(0, 1000, "old", parent)]


def test_children_follow_their_parent_speaker(
    project: Project, seg: SegmentService, tiers: TierService, recording_id: int
) -> None:
    from desktop_app.core.services.speakers import SpeakerService

    sp = SpeakerService(project).create("Айгерім").id
    p = seg.add(recording_id, NewSegment(0, 1000, "сөз")).segment_id
    tr = tiers.create_child(main_tier(tiers), "translation")
    op = seg.set_speaker(p, sp).operation_id
    assert [s.speaker_id for s in seg.list(recording_id, tr.id)] == [sp]
    seg.undo(op)
    assert [s.speaker_id for s in seg.list(recording_id, tr.id)] == [None]
