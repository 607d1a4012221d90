"""A CTC model through the same paths as Whisper: registry import, transcription job, evaluation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from desktop_app.asr.manifest import CTC_FORMAT
from desktop_app.asr.registry import ModelRegistry
from desktop_app.core.errors import ModelError
from desktop_app.core.jobs import JobState
from desktop_app.core.learning.dataset import Example
from desktop_app.core.project import Project
from desktop_app.core.services.recordings import RecordingService
from desktop_app.core.services.segments import SegmentService
from desktop_app.services.evaluate import transcribe_examples
from desktop_app.services.transcription import (
    EngineCache,
    TranscribeRequest,
    resolve_precision,
    transcribe_recording,
)
from tests.asr.conftest import tone_speechlike
from tests.asr.ctc_model import build_tiny_mms_hf


@pytest.fixture(scope="module")
def ctc_registry(tmp_path_factory: pytest.TempPathFactory) -> ModelRegistry:
    root = tmp_path_factory.mktemp("ctc_registry")
    hf = build_tiny_mms_hf(root / "mms")
    registry = ModelRegistry(root / "models")
    manifest = registry.import_hf_dir(hf, JobState(), name="tiny mms")  # runs export-ctc
    assert manifest.format == CTC_FORMAT and manifest.languages == ["kk"]
    assert (hf / "adapter.kaz.safetensors").is_file()  # the checkpoint is left as it was
    return registry


@pytest.fixture
def wav(tmp_path: Path) -> Path:
    path = tmp_path / "speechlike.wav"
    audio = np.concatenate(
        [tone_speechlike(4.0), np.zeros(16000, np.float32), tone_speechlike(3.0, 1)]
    )
    sf.write(path, audio, 16000)
    return path


def test_transcription_job_writes_timed_words(
    project: Project, wav: Path, ctc_registry: ModelRegistry
) -> None:
    recording_id = RecordingService(project).import_file(wav).id
    ctc_registry.verify(ctc_registry.active_id() or "")
    request = TranscribeRequest(
        recording_id=recording_id, preset="accurate", vad=False, device="cpu", threads=1
    )
    result = transcribe_recording(project, request, registry=ctc_registry, engines=EngineCache())
    assert result.added > 0 and result.precision == "fp32" and result.language == "kk"
    segments = SegmentService(project).list(recording_id)
    assert len(segments) == result.added
    for seg in segments:
        assert seg.status == "auto" and seg.language == "kk"
        assert 0 <= seg.start_ms < seg.end_ms <= 8000
        assert seg.words and all(w["s"] is not None and w["s"] <= w["e"] for w in seg.words)
        assert seg.text == " ".join(w["w"].strip() for w in seg.words)


def test_precision_and_upgrade_on_a_ctc_folder(ctc_registry: ModelRegistry) -> None:
    model_id = ctc_registry.active_id() or ""
    folder = ctc_registry.path(model_id)
    assert resolve_precision("auto", folder, "cpu") == "fp32"  # no model_int8.onnx
    with pytest.raises(ModelError, match="no int8 variant"):
        resolve_precision("int8", folder, "cpu")
    result = ctc_registry.upgrade(model_id, JobState())  # adds the int8 variant
    assert result.added == ["model_int8.onnx"]
    assert resolve_precision("int8", folder, "cpu") == "int8"
    ctc_registry.verify(model_id)  # the manifest has its checksum
    again = ctc_registry.upgrade(model_id, JobState())
    assert again.added == [] and "already has the current graphs" in again.notes[0]


def test_evaluation_uses_the_ctc_engine(wav: Path, ctc_registry: ModelRegistry) -> None:
    folder = ctc_registry.path(ctc_registry.active_id() or "")
    examples = [Example("p/1", str(wav), "сәлем", start_ms=0, end_ms=4000)]
    (utterance,) = transcribe_examples(folder, examples, threads=1)
    assert utterance.hypothesis.strip()
