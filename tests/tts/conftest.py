"""A tiny random VITS voice, and a local Hub serving it as the catalog's mms-tts-kaz."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from desktop_app.asr import hub_install
from desktop_app.asr.catalog import get_entry
from tests.hub_server import FakeHub, FakeRepo
from tests.tts.tiny_vits import make_tiny_vits

REPO = "org/tiny-vits-kaz"


@pytest.fixture(scope="session")
def tiny_vits(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The voice, with a pickle beside it that no download may fetch."""
    folder = make_tiny_vits(tmp_path_factory.mktemp("vits") / "tiny")
    (folder / "pytorch_model.bin").write_bytes(b"a pickle that must never be fetched" * 64)
    return folder


@pytest.fixture
def hub(tiny_vits: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeHub]:
    """The fake Hub, with the catalog's voice entry pointed at it."""
    server = FakeHub({REPO: FakeRepo.from_folder(tiny_vits)}).start()
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    entry = replace(get_entry("mms-tts-kaz"), repo_id=REPO, revision=None)
    monkeypatch.setattr(hub_install, "get_entry", lambda _id: entry)
    yield server
    server.stop()
