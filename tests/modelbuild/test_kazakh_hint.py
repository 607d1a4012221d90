"""The command line says once per transcription that a Kazakh model exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app.asr.manifest import ModelSource
from desktop_app.asr.registry import ModelRegistry
from desktop_app.cli.transcribe import kazakh_model_hint


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModelRegistry:
    monkeypatch.setenv("JAZBA_DATA_DIR", str(tmp_path))
    return ModelRegistry()


def test_hint_for_kazakh_with_the_default_model(registry: ModelRegistry, tiny_onnx: Path) -> None:
    registry.import_onnx_dir(tiny_onnx, name="Whisper base", source=ModelSource.PYPI_DEFAULT)
    hint = kazakh_model_hint("kk")
    assert hint is not None and "jazba models install whisper-base-kk" in hint
    assert kazakh_model_hint("ru") is None


def test_no_hint_when_a_tuned_model_is_active(registry: ModelRegistry, tiny_onnx: Path) -> None:
    registry.import_onnx_dir(tiny_onnx, name="mine")
    assert kazakh_model_hint("kk") is None


def test_installed_but_inactive_kazakh_model_is_pointed_at(
    registry: ModelRegistry, tiny_onnx: Path
) -> None:
    registry.import_onnx_dir(tiny_onnx, name="Whisper base", source=ModelSource.PYPI_DEFAULT)
    registry.import_onnx_dir(tiny_onnx, name="kk", fields={"catalog_id": "whisper-base-kk"})
    hint = kazakh_model_hint("kk")
    assert hint is not None and "installed but not active" in hint


def test_no_models_no_hint(registry: ModelRegistry) -> None:
    assert kazakh_model_hint("kk") is None
