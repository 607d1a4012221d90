"""Search hits and speaker counts follow the transcripts; one click on a hit jumps."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt


def speaker_counts(window) -> dict[int, int]:
    model = window.speakers.model
    return {model.speaker(r).id: model.speaker(r).segment_count for r in range(model.rowCount())}


def service_counts(window) -> dict[int, int]:
    return {sp.id: sp.segment_count for sp in window.session.speaker_list()}


def test_a_single_click_on_a_hit_jumps_to_it(window, qtbot) -> None:
    panel = window.search
    panel.query.setText("а")  # every transcript: hits in several recordings
    panel.run_search()
    hits = [panel.model.hit(r) for r in range(panel.model.rowCount())]
    row, hit = next((r, h) for r, h in enumerate(hits) if h.recording_id != 1)
    rect = panel.view.visualRect(panel.model.index(row))
    qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(rect.center()))
    assert window.review.recording.id == hit.recording_id
    assert window.transcript.current_segment().id == hit.segment_id
    assert window.player.position_ms == hit.start_ms


def test_hits_follow_edits_and_keep_the_chosen_hit(window, qtbot) -> None:
    panel = window.search
    panel.query.setText("жатыр")
    panel.run_search()
    assert panel.model.rowCount() >= 2  # the draft and the reference tier
    chosen = panel.model.hit(1)
    panel.view.setCurrentIndex(panel.model.index(1))
    seg = window.session.segments.get(chosen.segment_id)
    other = next(h for r in range(panel.model.rowCount()) if (h := panel.model.hit(r)) != chosen)
    window.editor.edit_text(other.segment_id, "мүлде басқа сөз")  # no longer a hit
    qtbot.waitUntil(lambda: panel.model.rowCount() == len(window.session.search.search("жатыр")))
    assert all(
        panel.model.hit(r).segment_id != other.segment_id for r in range(panel.model.rowCount())
    )
    assert panel.current_hit().segment_id == seg.id  # still the one the user chose
    # while the panel is hidden the hits go stale, and are renewed when it is shown
    window.docks["search"].hide()
    window.actions["undo"].trigger()
    qtbot.wait(300)
    window.docks["search"].show()
    qtbot.waitUntil(lambda: any(panel.model.hit(r).segment_id == other.segment_id
                                for r in range(panel.model.rowCount())))  # fmt: skip


def test_speaker_counts_follow_edits(window, qtbot, answers) -> None:
    before = speaker_counts(window)
    assert before == service_counts(window)
    seg = window.segment_model.segment(0)
    answers.texts.append("Жаңа адам")
    sp = window.speakers.create()
    window.speakers.view.setCurrentIndex(window.speakers.model.index(0))
    kept = window.speakers.current()
    window.review.assign_speaker(sp.id)  # the current segment: moves to the new speaker
    qtbot.waitUntil(lambda: speaker_counts(window).get(sp.id) == 1)
    assert speaker_counts(window)[seg.speaker_id] == before[seg.speaker_id] - 1
    assert window.speakers.current().id == kept.id  # the selection stays


def test_speaker_counts_follow_a_job(window, qtbot, fake_asr) -> None:
    # a change the panel was not told about (as a job writes in its own thread) …
    seg = window.segment_model.segment(1)
    window.session.segments.set_speaker([seg.id], None)
    assert speaker_counts(window) != service_counts(window)
    job = window.ops.transcribe_current()
    with qtbot.waitSignal(job.finished, timeout=10_000):
        pass
    # … shows once the job has delivered its segments
    qtbot.waitUntil(lambda: speaker_counts(window) == service_counts(window))
