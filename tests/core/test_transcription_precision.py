"""Precision of the transcription job: fp32 / int8 / auto, and upgrading an old version.

A tiny random Whisper is installed without the int8 variant (as versions
installed before it existed); ``ModelRegistry.upgrade`` adds it through the
model-build subprocess, after which ``auto`` runs int8 on the CPU and the
job records the precision it used.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf
from typer.testing import CliRunner

from desktop_app.asr.manifest import DECODER_INT8_FILE, ENCODER_INT8_FILE, read_manifest
from desktop_app.asr.registry import ModelRegistry
from desktop_app.core.errors import ModelError
from desktop_app.core.jobs import JobState
from desktop_app.core.project import Project
from desktop_app.core.services.job_log import JobLog
from desktop_app.core.services.recordings import RecordingService
from desktop_app.services.transcription import (
    EngineCache,
    TranscribeRequest,
    resolve_precision,
    transcribe_recording,
)
from tests.asr.conftest import build_tiny_model, tone_speechlike


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> ModelRegistry:
    root = tmp_path_factory.mktemp("precision_registry")
    model = build_tiny_model(root / "build", no_speech_bias=0.0)
    (model.onnx_dir / "decoder_align.onnx").unlink(missing_ok=True)  # an old version
    registry = ModelRegistry(root / "models")
    registry.import_onnx_dir(model.onnx_dir, name="tiny random whisper")
    return registry


@pytest.fixture
def recording(project: Project, tmp_path: Path) -> int:
    path = tmp_path / "speechlike.wav"
    sf.write(path, tone_speechlike(3.0), 16000)
    return RecordingService(project).import_file(path).id


def _transcribe(project: Project, recording: int, registry: ModelRegistry, precision: str):
    request = TranscribeRequest(
        recording_id=recording, preset="fast", vad=False, device="cpu", threads=1,
        precision=precision,
    )  # fmt: skip
    return transcribe_recording(
        project, request, JobState(), registry=registry, engines=EngineCache()
    )


def test_precision_without_and_with_the_int8_variant(
    project: Project, recording: int, registry: ModelRegistry
) -> None:
    model_id = registry.active_id()
    assert model_id is not None
    folder = registry.path(model_id)
    assert resolve_precision("auto", folder, "cpu") == "fp32"
    with pytest.raises(ModelError, match="jazba models upgrade"):
        _transcribe(project, recording, registry, "int8")
    assert _transcribe(project, recording, registry, "auto").precision == "fp32"

    result = registry.upgrade(model_id, JobState())
    assert sorted(result.added) == sorted([DECODER_INT8_FILE, ENCODER_INT8_FILE])
    assert any("Word timings stay estimated" in note for note in result.notes)
    registry.verify(model_id)  # the new files are in the manifest with their checksums
    names = {f.name for f in read_manifest(folder).files}
    assert {DECODER_INT8_FILE, ENCODER_INT8_FILE} <= names
    assert registry.upgrade(model_id, JobState()).added == []  # nothing left to add

    assert resolve_precision("auto", folder, "cpu") == "int8"
    done = _transcribe(project, recording, registry, "auto")
    assert done.precision == "int8" and done.added > 0
    assert _transcribe(project, recording, registry, "fp32").precision == "fp32"
    params = [job.params.get("precision") for job in JobLog(project).list()]
    assert params[:3] == ["fp32", "int8", "fp32"]  # newest first


def test_unknown_precision_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="Unknown precision"):
        resolve_precision("fp16", tmp_path, "cpu")


def test_cli_rejects_an_unknown_precision(tmp_path: Path) -> None:
    from desktop_app.cli.main import app

    res = CliRunner().invoke(app, ["transcribe", str(tmp_path / "x.jazba"), "--precision", "q4"])
    assert res.exit_code != 0
    assert "Unknown precision" in res.output and "Traceback" not in res.output


def test_cli_upgrade_reports_what_it_added(registry: ModelRegistry, monkeypatch) -> None:
    from desktop_app.cli import models as models_cli
    from desktop_app.cli.main import app

    monkeypatch.setattr(models_cli, "_registry", lambda: registry)
    model_id = registry.active_id()
    assert model_id is not None
    res = CliRunner().invoke(app, ["models", "upgrade", model_id, "-q"])
    assert res.exit_code == 0, res.output
    assert f"{model_id}: added" in res.output
