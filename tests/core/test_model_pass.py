"""Model output never overwrites human work, and a whole pass is one undo step."""

from __future__ import annotations

from desktop_app.core.project import Project
from desktop_app.core.services.model_pass import ModelPass, ModelRef
from desktop_app.core.services.segments import NewSegment, SegmentService

MODEL = ModelRef(id="whisper-base-test", name="Whisper base (test)")


def test_pass_replaces_auto_keeps_human_segments(project: Project, recording_id: int) -> None:
    seg = SegmentService(project)
    old_auto = seg.add(recording_id, NewSegment(0, 1000, "ескі"), status="auto").segment_id
    edited = seg.add(recording_id, NewSegment(2000, 3000, "түзетілген"), status="edited").segment_id
    approved = seg.add(recording_id, NewSegment(5000, 6000, "мақұл"), status="approved").segment_id

    mp = ModelPass(project, recording_id, MODEL)
    op = mp.begin()
    assert mp.add(NewSegment(0, 1500, "жаңа", confidence=0.8)) is not None
    assert mp.add(NewSegment(2100, 2900, "overwrite attempt")) is None  # inside edited
    trimmed = mp.add(NewSegment(3000 - 200, 4500, "trimmed"))  # 200 ms overlap → trimmed
    assert trimmed is not None and (trimmed.start_ms, trimmed.end_ms) == (3000, 4500)
    assert mp.add(NewSegment(6500, 70_000, "beyond the end")).end_ms == 60_000  # type: ignore[union-attr]
    assert (mp.added, mp.skipped) == (3, 1)

    texts = {s.text: s for s in seg.list(recording_id)}
    assert set(texts) == {"жаңа", "түзетілген", "trimmed", "мақұл", "beyond the end"}
    assert texts["жаңа"].model_version_id == MODEL.id and texts["жаңа"].status == "auto"
    assert seg.get(edited).text == "түзетілген" and seg.get(approved).text == "мақұл"
    assert [h.source for h in seg.history(texts["жаңа"].id)] == ["model"]

    seg.undo(op)  # the whole pass goes, the old auto segment comes back
    assert {s.id for s in seg.list(recording_id)} == {old_auto, edited, approved}


def test_second_pass_retires_first(project: Project, recording_id: int) -> None:
    for text in ("бірінші", "екінші"):
        mp = ModelPass(project, recording_id, MODEL)
        mp.begin()
        mp.add(NewSegment(0, 1000, text))
    assert [s.text for s in SegmentService(project).list(recording_id)] == ["екінші"]
