"""The waveform: peak drawing, zoom, regions, boundary drags, clicks, spectrogram."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt

from desktop_app.gui.review.segment_regions import MAX_REGIONS


def visible_regions(waveform):
    return [r for r in waveform.layer._pool if r.isVisible()]


def click_at(qtbot, waveform, t: float, y: float = 0.0) -> None:
    vb = waveform.plot.getViewBox()
    scene_pos = vb.mapViewToScene(QPointF(t, y))
    pos = waveform.canvas.mapFromScene(scene_pos)
    qtbot.mouseClick(waveform.canvas.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def test_envelope_has_one_bin_per_pixel(window) -> None:
    wf = window.waveform
    x, y = wf.curve.getData()
    width = int(wf.plot.getViewBox().width())
    assert len(x) == 2 * max(16, width)
    assert float(y.max()) > 0.05
    assert wf.raw_curve.getData()[0] is None or len(wf.raw_curve.getData()[0]) == 0


def test_deep_zoom_draws_raw_samples_of_the_view_only(window, qtbot) -> None:
    wf = window.waveform
    wf.set_view(1.0, 1.05)
    wf._redraw()
    x, _y = wf.raw_curve.getData()
    assert 700 <= len(x) <= 900  # 50 ms at 16 kHz
    wf.zoom_fit()
    wf._redraw()
    assert len(wf.curve.getData()[0]) > 0


def test_zoom_and_scrollbar_stay_in_step(window) -> None:
    wf = window.waveform
    wf.zoom_fit()
    full = wf.view_range()
    assert full[0] == 0.0 and abs(full[1] - 6.935) < 0.01
    window.actions["zoom_in"].trigger()
    x0, x1 = wf.view_range()
    assert abs((x1 - x0) - 6.935 / 2) < 0.01
    wf._sync_scrollbar()
    assert wf.scroll.pageStep() == int((x1 - x0) * 1000)
    wf.scroll.setValue(wf.scroll.maximum())
    assert abs(wf.view_range()[1] - 6.935) < 0.01
    window.actions["zoom_fit"].trigger()
    assert wf.view_range() == full


def test_only_visible_segments_get_regions(window) -> None:
    wf = window.waveform
    assert len(visible_regions(wf)) == 2
    wf.set_view(0.0, 1.0)  # only the first segment (0.6-3.2 s) is near
    wf._redraw()
    ids = {r.segment_id for r in visible_regions(wf)}
    assert ids == {window.segment_model.segment(0).id}
    assert MAX_REGIONS >= 100


def test_dragging_a_boundary_is_saved_and_undoable(window) -> None:
    wf = window.waveform
    seg = window.segment_model.segment(0)
    region = next(r for r in visible_regions(wf) if r.segment_id == seg.id)
    region.lines[1].setValue(3.5)  # the user drags the end line...
    region.lineMoveFinished()  # ...and lets go
    moved = window.segment_model.segment(0)
    assert (moved.start_ms, moved.end_ms) == (seg.start_ms, 3500)
    assert window.session.segments.get(seg.id).end_ms == 3500
    window.actions["undo"].trigger()
    assert window.segment_model.segment(0).end_ms == seg.end_ms
    region = next(r for r in visible_regions(wf) if r.segment_id == seg.id)
    assert abs(region.getRegion()[1] - seg.end_ms / 1000) < 1e-6


def test_boundaries_cannot_cross_the_neighbours(window) -> None:
    wf = window.waveform
    first, second = window.segment_model.segment(0), window.segment_model.segment(1)
    region = next(r for r in visible_regions(wf) if r.segment_id == first.id)
    region.lines[1].setValue(second.start_ms / 1000 + 1.0)
    assert region.lines[1].value() <= second.start_ms / 1000


def test_click_seeks_and_selects(window, qtbot) -> None:
    wf = window.waveform
    second = window.segment_model.segment(1)
    click_at(qtbot, wf, 0.3)  # empty space before the first segment
    assert abs(window.player.position_ms - 300) < 40
    click_at(qtbot, wf, (second.start_ms + second.end_ms) / 2000, y=0.5)
    assert window.transcript.current_segment().id == second.id
    assert window.player.position_ms == second.start_ms


def test_selection_highlights_the_region(window) -> None:
    wf = window.waveform
    window.transcript.select_row(1)
    seg = window.segment_model.segment(1)
    assert wf.layer.selected_id == seg.id
    assert window.player.position_ms == seg.start_ms
    assert abs(wf.playhead.value() - seg.start_ms / 1000) < 1e-6


def test_spectrogram_toggle(window, qtbot) -> None:
    wf = window.waveform
    window.actions["spectrogram"].trigger()
    assert window.settings.show_spectrogram
    assert wf.spec_plot.scene() is not None
    wf.spectrogram.update_now()
    assert wf.spectrogram.image.isVisible()
    assert wf.spectrogram.image.image.shape[0] == 257
    window.actions["spectrogram"].trigger()
    assert wf.spec_plot.scene() is None


def test_spectrogram_math() -> None:
    import numpy as np

    from desktop_app.gui.review.spectrogram import spectrogram_db

    t = np.arange(16_000) / 16_000
    tone = np.sin(2 * np.pi * 1000 * t).astype(np.float32)
    db = spectrogram_db(tone, 20)
    assert db.shape == (20, 257)
    assert abs(int(db[10].argmax()) - 32) <= 1  # 1000 Hz / (16000 / 512)
