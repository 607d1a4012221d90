"""Low-confidence tinting means something: words below the model's calibrated
threshold (this project's 20th percentile), rows only for the weakest segments,
the threshold in the word tooltip, the Settings threshold as an explicit override."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from desktop_app.core.project import Project
from desktop_app.gui.review.segment_table_model import LOW_RULE_ROLE, LOW_WORDS_ROLE, Col
from tests.gui.conftest import replace_draft

WORDS = ["біз", "ертең", "алматыға", "барамыз", "бүгін", "ауа", "райы", "өте", "жақсы"]


@pytest.fixture
def weak_model(project_path: Path) -> tuple[Path, list[float]]:
    """Recording 2 transcribed by a weak model: 40 segments whose word
    probabilities are mostly 0.4-0.9 (a fixed 0.6 marks a third of them)."""
    rng = random.Random(3)
    sentences = [[(w, rng.betavariate(4.5, 2.2)) for w in WORDS[: 4 + k % 6]] for k in range(40)]
    project = Project.open(project_path)
    replace_draft(project, 2, sentences, "whisper-base")
    project.close()
    return project_path, [p for s in sentences for _w, p in s]


def low_words(window) -> tuple[int, int]:
    model = window.segment_model
    tokens = [
        t for r in range(model.rowCount()) for t in model.index(r, Col.TEXT).data(LOW_WORDS_ROLE)
    ]
    return sum(low for _w, low in tokens), len(tokens)


def tinted_rows(window) -> list[int]:
    model = window.segment_model
    return [
        r
        for r in range(model.rowCount())
        if model.index(r, Col.TEXT).data(Qt.ItemDataRole.BackgroundRole) is not None
    ]


def test_a_fifth_of_the_models_words_are_marked_not_every_row(make_window, weak_model) -> None:
    path, probs = weak_model
    window = make_window(path)
    window.recordings.select(2)
    low, total = low_words(window)
    assert total == len(probs) and 0.15 * total <= low <= 0.2 * total
    confs = sorted(s.confidence for s in window.segment_model.segments)
    rows = tinted_rows(window)
    assert 1 <= len(rows) <= 3  # the model's weakest 5 %: really low, not every other row
    assert {window.segment_model.segment(r).confidence for r in rows} == set(confs[: len(rows)])
    rule = window.segment_model.index(0, Col.TEXT).data(LOW_RULE_ROLE)
    assert rule == f"below this project's 20th percentile, {np.percentile(probs, 20):.2f}"
    conf_tip = window.segment_model.index(rows[0], Col.CONFIDENCE).data(Qt.ItemDataRole.ToolTipRole)
    assert "lowest 5 %" in conf_tip
    # the user's own threshold, set in Settings, overrides the calibration
    window.apply_settings(replace(window.settings, low_confidence=0.6, low_confidence_fixed=True))
    fixed_low, _ = low_words(window)
    assert fixed_low == sum(p < 0.6 for p in probs) > low
    assert len(tinted_rows(window)) == sum(c < 0.6 for c in confs) > len(rows)
    rule = window.segment_model.index(0, Col.TEXT).data(LOW_RULE_ROLE)
    assert rule == "below your fixed threshold, 0.60 (Settings)"
    window.apply_settings(replace(window.settings, low_confidence_fixed=False))
    assert low_words(window)[0] == low
    window.close()


def test_the_settings_dialog_offers_both_rules(qtbot) -> None:
    from desktop_app.core.settings import Settings
    from desktop_app.gui.dialogs.settings_dialog import SettingsDialog

    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    assert dialog.low_mode.currentData() is False  # calibrated by default
    assert "20th percentile" in dialog.low_mode.currentText()
    assert dialog.result_settings().low_confidence_fixed is False
    assert not dialog.low_conf.isEnabled()  # not in force: not offered
    dialog.low_mode.setCurrentIndex(dialog.low_mode.findData(True))
    assert dialog.low_conf.isEnabled()
    assert dialog.result_settings().low_confidence_fixed is True
    again = SettingsDialog(Settings(low_confidence=0.5, low_confidence_fixed=True))
    qtbot.addWidget(again)
    assert again.low_mode.currentData() is True and again.low_conf.value() == 0.5
