"""*Teach words from text…* in the Training dialog (the run itself is faked here)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from desktop_app.core.errors import Cancelled
from desktop_app.core.project import Project

pytestmark = pytest.mark.gui


def test_teach_words_starts_a_run_with_the_text_even_without_approved_speech(
    qtbot, project: Project, registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop_app.gui.training import training_view
    from desktop_app.gui.training.teach_words import TeachWordsDialog
    from desktop_app.gui.workers import JobRunner

    requests = []

    def fake_finetune(projects, request, state, **_kw):
        requests.append((projects, request))
        raise Cancelled()

    monkeypatch.setattr(training_view, "finetune", fake_finetune)
    d = training_view.TrainingDialog(project, JobRunner(), registry)
    qtbot.addWidget(d)
    d.show()
    assert not d.start_btn.isEnabled()  # no approved speech: plain Start is not ready
    assert d.teach.button.isEnabled() and d.teach.button.text() == "Teach words from text…"

    d.teach.button.click()
    teach = d.teach.dialog
    assert isinstance(teach, TeachWordsDialog) and teach.isVisible()
    assert not teach.teach_btn.isEnabled()  # nothing to read yet
    words = tmp_path / "words.txt"
    words.write_text("бауырсақ\n", encoding="utf-8")
    teach.add_paths([str(words), str(words)])
    assert teach.files.count() == 1 and teach.teach_btn.isEnabled()
    teach.voices.setValue(3)
    teach.share.setValue(30)
    teach.teach_btn.click()

    qtbot.waitUntil(lambda: bool(requests), timeout=5000)
    [(projects, request)] = requests
    assert projects == [project]
    assert request.text.files == (str(words),) and request.text.options.voices_per_text == 3
    assert request.config.synthetic_share == pytest.approx(0.3)
    qtbot.waitUntil(lambda: not d.running, timeout=5000)
    assert d.teach.pending is None  # a later plain Start has no text
    assert d.teach.apply(request).text is request.text
