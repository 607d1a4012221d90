"""A CUDA request where there is no usable CUDA: the batch runs on the CPU and says why."""

from __future__ import annotations

import json
from pathlib import Path

import onnxruntime as ort
import pytest

from desktop_app.asr import ort_session
from desktop_app.asr.registry import ModelRegistry
from desktop_app.services.batch import run_batch
from desktop_app.services.batch.run import engine_settings
from desktop_app.services.batch.work import FileTask, open_engine, transcribe_task
from tests.batch.conftest import options, write_recordings

CUDA, CPU = "CUDAExecutionProvider", "CPUExecutionProvider"


def test_cuda_libraries_missing_falls_back_in_the_worker(
    tmp_path: Path, tiny_registry: ModelRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ONNX Runtime claims CUDA (as onnxruntime-gpu does) but cannot start it."""
    if CUDA in ort.get_available_providers():
        pytest.skip("a real CUDA provider is present")
    monkeypatch.setattr(ort_session.ort, "get_available_providers", lambda: [CUDA, CPU])
    settings = engine_settings(options(device="cuda", workers=1), tiny_registry)
    assert settings.precision == "fp32"  # the int8 kernels are CPU ones
    path = write_recordings(tmp_path, 1)[0]
    result = transcribe_task(open_engine(settings), settings, FileTask("a", str(path), "x"))
    assert result.ok and result.device == "cpu"
    assert "CUDA" in (result.device_warning or "") and "CPU" in (result.device_warning or "")


@pytest.mark.skipif(CUDA in ort.get_available_providers(), reason="a GPU is present")
def test_cuda_request_on_a_cpu_build_runs_and_notes_it(
    tmp_path: Path, tiny_registry: ModelRegistry
) -> None:
    folder = tmp_path / "archive"
    write_recordings(folder, 2)
    manifest = run_batch(
        folder, tmp_path / "run", options(device="cuda", workers=1), registry=tiny_registry
    )
    assert manifest.counts()["done"] == 2
    notes = json.loads((tmp_path / "run" / "run.json").read_text())["progress"]["notes"]
    assert len(notes) == 1 and "onnxruntime-gpu" in notes[0] and "CPU" in notes[0]
