"""Get models end to end: the real registry downloads from a local fake Hub, converts
and installs; the page shows the download and marks the entry installed."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from desktop_app.asr import hub_install
from desktop_app.asr.catalog import get_entry
from desktop_app.asr.registry import ModelRegistry
from desktop_app.gui.training.catalog_page import CatalogPage
from desktop_app.gui.training.catalog_table import INSTALLED, CatalogCol
from desktop_app.gui.workers import JobRunner, JobStatus
from tests.hub_server import FakeHub, FakeRepo
from tests.modelbuild.conftest import make_tiny_hf

REPO = "org/tiny-whisper-kk"


@pytest.fixture
def hub(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    folder = make_tiny_hf(tmp_path_factory.mktemp("hub") / "hf")
    server = FakeHub({REPO: FakeRepo.from_folder(folder)}).start()
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setenv("HF_HOME", str(tmp_path_factory.mktemp("hf-home")))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    yield server
    server.stop()


def test_download_and_install_from_the_page(
    qtbot, hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = replace(get_entry("whisper-base-kk"), repo_id=REPO, revision=None)
    monkeypatch.setattr(hub_install, "get_entry", lambda _id: entry)
    registry = ModelRegistry(tmp_path / "models")
    hub.throttle_s = 0.05  # slow enough for the page to show the download
    runner = JobRunner()
    try:
        page = CatalogPage(runner, registry, [entry])
        qtbot.addWidget(page)
        page.select(entry.id)
        texts: list[str] = []
        job = page.download_selected()
        assert job is not None
        job.changed.connect(lambda: texts.append(job.message))
        with qtbot.waitSignal(job.ended, timeout=180_000):
            pass
        assert job.status is JobStatus.DONE, job.message
        assert any(t.startswith("Downloading model.safetensors:") for t in texts)
        assert registry.installed_catalog() == {entry.id: job.result.id}
        index = page.model.index(page.model.row_of(entry.id), CatalogCol.STATUS)
        assert index.data() == INSTALLED
        assert not page.download_button.isEnabled()
    finally:
        runner.shutdown()
