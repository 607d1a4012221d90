"""Get models with a speaker-embedding entry: listed with the ASR ones, downloaded from
the local fake Hub with a job row (progress, Cancel), installed under speakers/ and
marked installed; it is not offered as a transcription version."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from desktop_app.asr import hub_install
from desktop_app.asr.catalog import get_entry, load_catalog
from desktop_app.asr.registry import ModelRegistry
from desktop_app.gui.training.catalog_page import CatalogPage
from desktop_app.gui.training.catalog_table import INSTALLED, CatalogCol
from desktop_app.gui.workers import JobRunner, JobStatus
from desktop_app.speakers.models import best_speaker_model
from tests.hub_server import FakeHub, FakeRepo
from tests.speakers.test_speaker_catalog import ENTRY_ID, GRAPH, build_tiny_speaker_onnx

REPO = "org/tiny-speaker"


@pytest.fixture
def hub(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path_factory.mktemp("hub") / GRAPH
    build_tiny_speaker_onnx(path)
    server = FakeHub({REPO: FakeRepo({GRAPH: path.read_bytes()})}).start()
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setenv("HF_HOME", str(tmp_path_factory.mktemp("hf-home")))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    yield server
    server.stop()


def test_speaker_entries_are_listed_with_the_asr_ones(qtbot, tmp_path: Path) -> None:
    runner = JobRunner()
    try:
        page = CatalogPage(runner, ModelRegistry(tmp_path / "models"))
        qtbot.addWidget(page)
        row = page.model.row_of(ENTRY_ID)
        assert row is not None and page.model.row_of("whisper-base-kk") is not None
        assert page.model.index(row, CatalogCol.TYPE).data() == "Speakers"
        assert page.model.index(row, CatalogCol.LICENCE).data() == "cc-by-4.0"
        assert page.model.index(row, CatalogCol.LANGUAGES).data() == "any"
        assert len(page.model.entries) == len(load_catalog())
    finally:
        runner.shutdown()


def test_download_and_install_a_speaker_model_from_the_page(
    qtbot, hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = replace(get_entry(ENTRY_ID), repo_id=REPO, allow_patterns=(GRAPH,))
    monkeypatch.setattr(hub_install, "get_entry", lambda _id: entry)
    registry = ModelRegistry(tmp_path / "models")
    hub.throttle_s = 0.02
    runner = JobRunner()
    try:
        page = CatalogPage(runner, registry, [entry])
        qtbot.addWidget(page)
        page.select(entry.id)
        asr_versions: list[str] = []
        page.installed.connect(asr_versions.append)
        job = page.download_selected()
        assert job is not None and page.progress_box.isVisibleTo(page)
        assert page.cancel_button.isEnabled()
        with qtbot.waitSignal(page.speaker_model_installed, timeout=60_000) as got:
            pass
        assert job.status is JobStatus.DONE, job.message
        assert got.args == [ENTRY_ID] and asr_versions == []  # nothing for the Transcription tab
        assert registry.versions() == []
        assert registry.installed_catalog() == {ENTRY_ID: ENTRY_ID}
        assert best_speaker_model(registry.root / "speakers").id == ENTRY_ID
        index = page.model.index(page.model.row_of(entry.id), CatalogCol.STATUS)
        assert index.data() == INSTALLED
        assert not page.download_button.isEnabled()
    finally:
        runner.shutdown()


def test_identify_speakers_uses_the_installed_catalog_model_and_says_so(
    window, qtbot, answers, hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a catalog speaker model installed, *Identify speakers…* uses it (not GE2E,
    which is then never built) and the job's summary names it."""
    entry = replace(get_entry(ENTRY_ID), repo_id=REPO, allow_patterns=(GRAPH,))
    monkeypatch.setattr(hub_install, "get_entry", lambda _id: entry)
    from desktop_app.core.jobs import JobState

    model = ModelRegistry().install_catalog(ENTRY_ID, JobState())  # the test's data folder
    job = window.diarization.identify(n_speakers=2, ask=False)
    qtbot.waitUntil(lambda: job.status.finished, timeout=60_000)
    assert job.status is JobStatus.DONE, answers.errors
    assert job.result.model_id == ENTRY_ID
    assert f"(speaker model: {model.name})" in job.message
    assert not (model.folder.parent / "ge2e").exists()
