"""Model output never overwrites human work, never removes the old draft before
its replacement exists, and a whole pass is one undo step."""

from __future__ import annotations

from desktop_app.core.project import Project
from desktop_app.core.services.job_log import JobLog
from desktop_app.core.services.model_pass import ModelPass, ModelRef, retranscribe_plan
from desktop_app.core.services.segments import NewSegment, SegmentService

MODEL = ModelRef(id="whisper-base-test", name="Whisper base (test)")


def texts(project: Project, recording_id: int) -> list[str]:
    return [s.text for s in SegmentService(project).list(recording_id)]


def draft(project: Project, recording_id: int, spans: list[tuple[int, int]]) -> list[int]:
    seg = SegmentService(project)
    return [
        seg.add(recording_id, NewSegment(a, b, f"old {a // 1000}"), status="auto").segment_id
        for a, b in spans
    ]


def test_pass_replaces_auto_keeps_human_segments(project: Project, recording_id: int) -> None:
    seg = SegmentService(project)
    old_auto = seg.add(recording_id, NewSegment(0, 1000, "ескі"), status="auto").segment_id
    edited = seg.add(recording_id, NewSegment(2000, 3000, "түзетілген"), status="edited").segment_id
    approved = seg.add(recording_id, NewSegment(5000, 6000, "мақұл"), status="approved").segment_id

    mp = ModelPass(project, recording_id, MODEL)
    op = mp.begin()
    mp.add(NewSegment(0, 1500, "жаңа", confidence=0.8))
    mp.add(NewSegment(2100, 2900, "overwrite attempt"))  # inside edited: skipped
    mp.add(NewSegment(3000 - 200, 4500, "trimmed"))  # 200 ms overlap: trimmed
    mp.add(NewSegment(6500, 70_000, "beyond the end"))
    mp.finish()
    assert (mp.added, mp.skipped, mp.replaced) == (3, 1, 1)

    by_text = {s.text: s for s in seg.list(recording_id)}
    assert set(by_text) == {"жаңа", "түзетілген", "trimmed", "мақұл", "beyond the end"}
    assert (by_text["trimmed"].start_ms, by_text["trimmed"].end_ms) == (3000, 4500)
    assert by_text["beyond the end"].end_ms == 60_000
    assert by_text["жаңа"].model_version_id == MODEL.id and by_text["жаңа"].status == "auto"
    assert seg.get(edited).text == "түзетілген" and seg.get(approved).text == "мақұл"
    assert [h.source for h in seg.history(by_text["жаңа"].id)] == ["model"]

    seg.undo(op)  # the whole pass goes, the old auto segment comes back
    assert {s.id for s in seg.list(recording_id)} == {old_auto, edited, approved}


def test_second_pass_retires_first(project: Project, recording_id: int) -> None:
    for text in ("бірінші", "екінші"):
        mp = ModelPass(project, recording_id, MODEL)
        mp.begin()
        mp.add(NewSegment(0, 1000, text))
        mp.finish()
    assert texts(project, recording_id) == ["екінші"]


def test_nothing_is_removed_before_its_replacement_exists(
    project: Project, recording_id: int
) -> None:
    """A pass stopped at any point (cancel, crash) leaves the old draft after its cut."""
    old = draft(project, recording_id, [(i * 4000, i * 4000 + 3000) for i in range(14)])
    mp = ModelPass(project, recording_id, MODEL)
    mp.begin()
    assert texts(project, recording_id) == [f"old {i * 4}" for i in range(14)]
    update = None
    for i in range(5):  # the new pass has decoded 5 of 14 ranges, then stops
        update = mp.add(NewSegment(i * 4000 + 100, i * 4000 + 2900, f"new {i}")) or update
    # Committed up to the old segment the last new one starts in; nothing after it moved.
    assert update is not None and update.done_ms == 4 * 4000  # the start of old 16
    now = SegmentService(project).list(recording_id)
    assert [s.text for s in now] == [f"new {i}" for i in range(4)] + [
        f"old {i * 4}" for i in range(4, 14)
    ]
    assert {s.id for s in now} >= set(old[4:])
    assert mp.pending == 1  # decoded but not committed: dropped on a stop, by design


def test_an_old_segment_across_the_cut_waits_until_the_pass_is_past_it(
    project: Project, recording_id: int
) -> None:
    draft(project, recording_id, [(0, 10_000)])  # one long old segment
    mp = ModelPass(project, recording_id, MODEL)
    mp.begin()
    assert mp.add(NewSegment(0, 4000, "a")) is None
    assert mp.add(NewSegment(4000, 8000, "b")) is None  # cutting at 4 s would split it
    assert texts(project, recording_id) == ["old 0"]
    update = mp.add(NewSegment(11_000, 12_000, "c"))  # past its end: swap a and b in
    assert update is not None and update.retired and update.done_ms == 11_000
    assert texts(project, recording_id) == ["a", "b"]
    mp.finish()
    assert texts(project, recording_id) == ["a", "b", "c"]


def test_a_touch_during_the_pass_protects_the_segment(project: Project, recording_id: int) -> None:
    """A speaker, language or boundary set while the pass runs: the pass keeps it."""
    seg = SegmentService(project)
    old = draft(project, recording_id, [(0, 3000), (4000, 7000), (8000, 11_000)])
    mp = ModelPass(project, recording_id, MODEL)
    mp.begin()
    seg.set_language(old[1], "ru")  # a person touches the second old segment mid-pass
    for i in range(3):
        mp.add(NewSegment(i * 4000, i * 4000 + 3000, f"new {i}"))
    mp.finish()
    kept = seg.get(old[1])
    assert kept.text == "old 4" and kept.language == "ru" and kept.status == "edited"
    assert texts(project, recording_id) == ["new 0", "old 4", "new 2"]
    assert (mp.replaced, mp.kept, mp.skipped) == (2, 1, 1)


def test_how_far_a_pass_got_is_in_the_job_log(project: Project, recording_id: int) -> None:
    jobs = JobLog(project)
    job = jobs.start("transcribe", {"recording_id": recording_id})
    draft(project, recording_id, [(0, 3000), (5000, 8000)])
    mp = ModelPass(project, recording_id, MODEL, job_id=job)
    op = mp.begin()
    mp.add(NewSegment(0, 3000, "new"))
    mp.add(NewSegment(5000, 8000, "new 2"))
    info = jobs.list()[0]
    assert info.params["done_ms"] == 5000 and info.params["operation_id"] == op
    assert info.params["recording_id"] == recording_id
    assert abs(info.progress - 5000 / 60_000) < 1e-9


def test_plan_counts_what_a_pass_would_replace(project: Project, recording_id: int) -> None:
    seg = SegmentService(project)
    draft(project, recording_id, [(0, 1000), (2000, 3000)])
    seg.add(recording_id, NewSegment(4000, 5000, "x"), status="edited")
    seg.add(recording_id, NewSegment(6000, 7000, "y"), status="approved")
    plan = retranscribe_plan(project, recording_id, None)
    assert (plan.auto, plan.edited, plan.approved, plan.human) == (2, 1, 1, 2)


def test_undoing_a_pass_keeps_what_a_person_changed_in_it(
    project: Project, recording_id: int
) -> None:
    seg = SegmentService(project)
    draft(project, recording_id, [(0, 3000)])
    mp = ModelPass(project, recording_id, MODEL)
    op = mp.begin()
    mp.add(NewSegment(0, 3000, "модель"))
    mp.add(NewSegment(4000, 5000, "екінші"))
    mp.finish()
    mine = next(s.id for s in seg.list(recording_id) if s.text == "модель")
    seg.edit_text(mine, "адам түзеткен")  # a person corrects the new draft
    seg.undo(op)  # undo the pass: the model's part goes, the person's correction stays
    assert texts(project, recording_id) == ["old 0", "адам түзеткен"]


def test_new_draft_keeps_the_speakers_a_diarization_set(
    project: Project, recording_id: int
) -> None:
    from desktop_app.core.services.speakers import SpeakerService

    sp = SpeakerService(project)
    a, b = sp.create("Speaker 1").id, sp.create("Speaker 2").id
    seg = SegmentService(project)
    for start, end, who in ((0, 4000, a), (4000, 9000, b)):  # a diarization's empty turns
        seg.add(recording_id, NewSegment(start, end, "", speaker_id=who), status="auto")
    mp = ModelPass(project, recording_id, MODEL)
    mp.begin()
    for start, end in ((100, 1800), (2000, 4300), (4500, 8800)):
        mp.add(NewSegment(start, end, f"text {start}"))
    mp.finish()
    got = [(s.text, s.speaker_id) for s in seg.list(recording_id)]
    assert got == [("text 100", a), ("text 2000", a), ("text 4500", b)]
