"""The real default model through the whole project pipeline (slow: runs Whisper base)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from desktop_app.asr.manifest import Manifest
from desktop_app.asr.registry import ModelRegistry
from desktop_app.core.project import Project
from desktop_app.core.services.recordings import RecordingService
from desktop_app.core.services.search import SearchService
from desktop_app.core.services.segments import SegmentService
from desktop_app.services.transcription import (
    EngineCache,
    TranscribeRequest,
    transcribe_recording,
)

pytestmark = pytest.mark.slow
ENGINES = EngineCache()


def speak(voice: str, text: str, out: Path) -> Path:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(out), text], check=True)
    return out


def run(project: Project, registry: ModelRegistry, path: Path, language: str | None) -> int:
    rec = RecordingService(project).import_file(path).id
    request = TranscribeRequest(rec, preset="fast", language=language, device="cpu")
    transcribe_recording(project, request, registry=registry, engines=ENGINES)
    return rec


def test_english_comes_out_right(
    project: Project, default_model: tuple[ModelRegistry, Manifest], tmp_path: Path
) -> None:
    clip = speak("en", "The quick brown fox jumps over the lazy dog.", tmp_path / "en.wav")
    rec = run(project, default_model[0], clip, "en")
    segs = SegmentService(project).list(rec)
    text = " ".join(s.text for s in segs).lower()
    assert "lazy dog" in text and "fox" in text
    assert all(s.language == "en" and s.confidence and s.confidence > 0.5 for s in segs)
    assert [h.segment_id for h in SearchService(project).search("lazy")] == [segs[-1].id]


def test_kazakh_pipeline_detects_language_and_times(
    project: Project, default_model: tuple[ModelRegistry, Manifest], tmp_path: Path
) -> None:
    clip = speak("kk", "бүгін ауа райы өте жақсы", tmp_path / "kk.wav")
    duration_ms = sf.info(clip).duration * 1000
    rec = run(project, default_model[0], clip, None)  # language detection
    segs = SegmentService(project).list(rec)
    assert segs, "speech must give at least one segment"
    assert all(0 <= s.start_ms < s.end_ms <= duration_ms + 1 for s in segs)
    assert all(s.text and s.status == "auto" for s in segs)


def test_silence_gives_no_text(
    project: Project, default_model: tuple[ModelRegistry, Manifest], tmp_path: Path
) -> None:
    path = tmp_path / "silence.wav"
    rng = np.random.default_rng(0)
    sf.write(path, (0.001 * rng.standard_normal(16000 * 5)).astype(np.float32), 16000)
    rec = run(project, default_model[0], path, "kk")
    assert SegmentService(project).list(rec) == []
