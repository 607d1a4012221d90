"""The neural voice in the GUI: Get models installs it as a voice (not a transcription
model) with its licence shown plainly; Teach words from text offers it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from desktop_app.asr.catalog import get_entry
from desktop_app.asr.registry import ModelRegistry
from desktop_app.tts.install import install_voice_folder
from tests.hub_server import FakeHub
from tests.tts.conftest import REPO

pytestmark = pytest.mark.gui


def test_get_models_lists_and_installs_the_voice(qtbot, hub: FakeHub, tmp_path: Path) -> None:
    from desktop_app.gui.training.catalog_page import CatalogPage
    from desktop_app.gui.training.catalog_table import INSTALLED, CatalogCol
    from desktop_app.gui.workers import JobRunner, JobStatus

    entry = get_entry("mms-tts-kaz")
    registry = ModelRegistry(tmp_path / "models")
    runner = JobRunner()
    try:
        page = CatalogPage(runner, registry, [entry])
        qtbot.addWidget(page)
        row = page.model.row_of(entry.id)
        assert page.model.index(row, CatalogCol.TYPE).data() == "Voice (TTS)"
        licence = page.model.index(row, CatalogCol.LICENCE).data()
        assert licence == "cc-by-nc-4.0 (non-commercial use only)"
        page.select(entry.id)
        assert "non-commercial use only" in page.details.text()
        versions: list[str] = []
        voices: list[str] = []
        page.installed.connect(versions.append)
        page.voice_installed.connect(voices.append)
        job = page.download_selected()
        assert job is not None and page.progress_box.isVisibleTo(page)
        assert page.cancel_button.isEnabled()
        with qtbot.waitSignal(job.ended, timeout=120_000):
            pass
        assert job.status is JobStatus.DONE, job.message
        assert job.message == "Installed as the voice 'mms-tts-kaz'"
        qtbot.waitUntil(lambda: voices == ["mms-tts-kaz"], timeout=5000)
        assert versions == []  # the Transcription tab's model choice is left alone
        assert registry.installed_catalog() == {"mms-tts-kaz": "mms-tts-kaz"}
        assert page.model.index(row, CatalogCol.STATUS).data() == INSTALLED
        assert "Installed as the voice 'mms-tts-kaz'" in page.details.text()
        assert registry.versions() == []
        assert any(p.endswith("model.safetensors") for _m, p, _r in hub.requests)
    finally:
        runner.shutdown()


def test_teach_words_offers_the_installed_voice_and_says_its_licence(
    qtbot, tiny_vits: Path
) -> None:
    from desktop_app.gui.training.teach_words import NEURAL_HINT, TeachWordsDialog

    bare = TeachWordsDialog("P")
    qtbot.addWidget(bare)
    assert bare.tts.count() == 1 and bare.chosen_tts() == ("espeak",)
    assert bare.tts_note.text() == NEURAL_HINT
    assert bare.text().options.tts == ("espeak",)

    models = Path(os.environ["JAZBA_DATA_DIR"]) / "models"
    install_voice_folder(tiny_vits, get_entry("mms-tts-kaz"), f"{REPO}@local", [], models)
    d = TeachWordsDialog("P")
    qtbot.addWidget(d)
    items = [d.tts.itemData(i) for i in range(d.tts.count())]
    assert items == [("espeak",), ("mms-tts-kaz",), ("espeak", "mms-tts-kaz")]
    assert d.tts_note.text() == ""
    d.tts.setCurrentIndex(2)
    assert "non-commercial use only" in d.tts_note.text()
    assert d.text().options.tts == ("espeak", "mms-tts-kaz")
