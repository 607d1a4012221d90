"""The search panel as a concordance: modes, tier filter, KWIC columns, play, CSV."""

from __future__ import annotations

import csv
from pathlib import Path

from PySide6.QtCore import Qt

from desktop_app.gui.panels import search_panel
from desktop_app.gui.panels.concordance_model import KwicCol


def search(panel, text: str, mode: str = "prefix", tier_id: int | None = None) -> list:
    panel.set_mode(mode)
    panel.set_tier(tier_id)
    panel.query.setText(text)
    panel.run_search()
    return [panel.model.hit(r) for r in range(panel.model.rowCount())]


def test_modes_tiers_and_kwic_columns(window) -> None:
    panel = window.search
    tiers = {panel.tier.itemText(i): panel.tier.itemData(i) for i in range(panel.tier.count())}
    assert panel.tier.itemText(0) == "All tiers" and tiers["All tiers"] is None
    assert {"transcription", "reference"} <= set(tiers)
    prefix = search(panel, "алматы")
    assert prefix and all(h.match.casefold().startswith("алматы") for h in prefix)
    regex = search(panel, r"\bалмат\w*", "regex")
    assert [h.segment_id for h in regex] == [h.segment_id for h in prefix]
    whole = search(panel, "алматы", "word")
    assert all(h.match.casefold() == "алматы" for h in whole) and len(whole) < len(prefix)
    ref = search(panel, r"\bалмат\w*", "regex", tiers["reference"])
    assert ref and {h.tier_name for h in ref} == {"reference"} and len(ref) < len(regex)
    assert panel.count.text() == f"{len(ref)} hit{'s' if len(ref) != 1 else ''}"
    # the KWIC cells: left context right-aligned, the match bold, then where and who
    m = panel.model
    left = m.index(0, KwicCol.LEFT)
    assert m.data(left, Qt.ItemDataRole.TextAlignmentRole) & Qt.AlignmentFlag.AlignRight
    assert m.data(m.index(0, KwicCol.MATCH), Qt.ItemDataRole.FontRole).bold()
    assert m.index(0, KwicCol.TIER).data() == "reference"
    label = window.session.recording_label(ref[0].recording_id)
    assert m.index(0, KwicCol.RECORDING).data() == label
    assert left.data() + m.index(0, KwicCol.MATCH).data() + m.index(0, KwicCol.RIGHT).data() in (
        ref[0].text
    )


def test_bad_regex_is_explained_and_case_option(window) -> None:
    panel = window.search
    assert search(panel, "алмат(", "regex") == []
    assert not panel.message.isHidden()
    assert "Not a valid regular expression" in panel.message.text()
    assert panel.count.text() == "" and not panel.export_button.isEnabled()
    assert search(panel, "АЛМАТЫ", "prefix")  # case-insensitive by default
    assert panel.message.text() == ""
    panel.case.setChecked(True)
    assert search(panel, "АЛМАТЫ", "prefix") == []


def test_enter_in_the_list_plays_and_click_jumps(window, qtbot, fake_output) -> None:
    panel = window.search
    hits = search(panel, "алматы")
    row = next(r for r, h in enumerate(hits) if h.recording_id != window.review.recording.id)
    hit = hits[row]
    panel.view.setCurrentIndex(panel.model.index(row, KwicCol.MATCH))
    panel.view.setFocus()
    with qtbot.waitSignal(panel.play_requested):
        qtbot.keyClick(panel.view, Qt.Key.Key_Return)
    assert window.review.recording.id == hit.recording_id
    assert window.transcript.current_segment().id == hit.segment_id
    qtbot.waitUntil(lambda: bool(fake_output.streams) and not window.player.is_playing)
    assert fake_output.last.frames == (hit.end_ms - hit.start_ms) * 16


def test_export_hits_as_csv(window, monkeypatch, tmp_path: Path) -> None:
    panel = window.search
    hits = search(panel, r"\bалмат\w*", "regex")
    out = tmp_path / "hits"
    monkeypatch.setattr(search_panel, "ask_csv_path", lambda _p, _start: out.with_suffix(".csv"))
    assert panel.export_hits() == out.with_suffix(".csv")
    with out.with_suffix(".csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["match"] for r in rows] == [h.match for h in hits]
    assert "written to hits.csv" in panel.count.text()
    monkeypatch.setattr(search_panel, "ask_csv_path", lambda _p, _start: None)  # cancelled
    assert panel.export_hits() is None


def test_a_pattern_that_scans_everything_runs_off_the_gui_thread(window, qtbot) -> None:
    from desktop_app.core.services.concordance import concordance, plan

    panel = window.search
    pattern = r"\w*[әө]\w*"  # no literal part: every segment is read
    assert plan(pattern, "regex").strategy == "scan"
    panel.set_mode("regex")
    panel.set_tier(None)
    panel.query.setText(pattern)
    panel.run_search()
    assert panel.count.text() == "Searching…"  # returned at once; the worker searches
    qtbot.waitUntil(lambda: panel.count.text() != "Searching…", timeout=10_000)
    want = concordance(window.session.project, pattern, mode="regex", limit=1001)
    assert want and [panel.model.hit(r).segment_id for r in range(panel.model.rowCount())] == [
        h.segment_id for h in want
    ]
    # a slow search overtaken by a quick one never shows its hits
    panel.query.setText(pattern)
    panel.run_search()
    quick = search(panel, "алматы")
    panel.worker.wait()
    qtbot.wait(50)
    assert [panel.model.hit(r) for r in range(panel.model.rowCount())] == quick
