"""Test-wide fixtures: every test gets throwaway user folders and projects."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.core.project import Project

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
