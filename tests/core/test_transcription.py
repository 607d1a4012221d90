"""The transcription job on a tiny random Whisper: pipeline, progress, cancel, protection."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from desktop_app.asr.registry import ModelRegistry
from desktop_app.core.errors import Cancelled, ModelError
from desktop_app.core.jobs import JobState
from desktop_app.core.project import Project
from desktop_app.core.services.job_log import JobLog
from desktop_app.core.services.recordings import RecordingService
from desktop_app.core.services.segments import NewSegment, SegmentService
from desktop_app.services.transcription import (
    EngineCache,
    TranscribeRequest,
    transcribe_recording,
)
from tests.asr.conftest import build_tiny_model, tone_speechlike


@pytest.fixture(scope="module")
def tiny_registry(tmp_path_factory: pytest.TempPathFactory) -> ModelRegistry:
    root = tmp_path_factory.mktemp("tiny_registry")
    model = build_tiny_model(root / "build", no_speech_bias=0.0)
    registry = ModelRegistry(root / "models")
    registry.import_onnx_dir(model.onnx_dir, name="tiny random whisper")
    return registry


@pytest.fixture
def speech_recording(project: Project, tmp_path: Path) -> int:
    path = tmp_path / "speechlike.wav"
    audio = np.concatenate(
        [tone_speechlike(4.0), np.zeros(8000, np.float32), tone_speechlike(3.0, 1)]
    )
    sf.write(path, audio, 16000)
    return RecordingService(project).import_file(path).id


def request(recording_id: int, **kw: object) -> TranscribeRequest:
    return TranscribeRequest(
        recording_id=recording_id, preset="fast", vad=False, device="cpu", threads=1, **kw
    )  # type: ignore[arg-type]


def test_transcribe_writes_scored_auto_segments(
    project: Project, speech_recording: int, tiny_registry: ModelRegistry
) -> None:
    progress: list[float] = []
    seen = []
    result = transcribe_recording(
        project,
        request(speech_recording),
        JobState(on_progress=lambda f, _s: progress.append(f), min_interval=0),
        registry=tiny_registry,
        engines=EngineCache(),
        on_update=seen.append,
    )
    segs = SegmentService(project).list(speech_recording)
    assert result.added == len(segs) == sum(len(u.added) for u in seen) > 0
    assert {s.id for u in seen for s in u.added} == {s.id for s in segs}
    assert seen[-1].done_ms == 7500 and seen[-1].operation_id == result.operation_id
    assert result.device == "cpu" and result.model_id == tiny_registry.active_id()
    for s in segs:
        assert s.status == "auto" and s.model_version_id == result.model_id
        assert 0.0 <= (s.confidence or 0) <= 1.0
        assert 0 <= s.start_ms < s.end_ms <= 7500
    assert progress[-1] == 1.0 and progress == sorted(progress)
    assert JobLog(project).list()[0].status == "done"


def test_retranscribe_keeps_edited_segments(
    project: Project, speech_recording: int, tiny_registry: ModelRegistry
) -> None:
    seg = SegmentService(project)
    mine = seg.add(speech_recording, NewSegment(0, 7500, "адам жазған мәтін")).segment_id
    result = transcribe_recording(
        project, request(speech_recording), registry=tiny_registry, engines=EngineCache()
    )
    assert result.added == 0 and result.skipped >= 1
    assert [s.id for s in seg.list(speech_recording)] == [mine]


def test_cancel_stops_and_records_job(
    project: Project, speech_recording: int, tiny_registry: ModelRegistry
) -> None:
    state = JobState()
    state.cancel()
    with pytest.raises(Cancelled):
        transcribe_recording(project, request(speech_recording), state, registry=tiny_registry)
    assert JobLog(project).list()[0].status == "cancelled"


def test_no_model_installed_is_a_clear_error(
    project: Project, speech_recording: int, tmp_path: Path
) -> None:
    with pytest.raises(ModelError, match="No speech model is installed"):
        transcribe_recording(
            project, request(speech_recording), registry=ModelRegistry(tmp_path / "empty")
        )
