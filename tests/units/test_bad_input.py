"""Bad input gets a clear error and leaves nothing half-made."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from desktop_app.core.errors import Cancelled, JazbaError, ModelError
from desktop_app.core.jobs import JobState
from desktop_app.core.project import Project
from desktop_app.core.services.recordings import RecordingService
from desktop_app.services.unit_lm import FitOptions, fit_units
from desktop_app.services.unit_scoring import ScoreRequest, score_project, segment_units
from desktop_app.units.features import (
    UnitInputError,
    WhisperLayerFeatures,
    check_audio,
    cut_whisper_encoder,
)
from desktop_app.units.registry import UnitRegistry

from .conftest import synth


def test_empty_and_too_short_audio_are_refused() -> None:
    with pytest.raises(UnitInputError, match="empty"):
        check_audio(np.zeros(0, np.float32))
    with pytest.raises(UnitInputError, match="shorter than one 20 ms unit frame"):
        check_audio(np.zeros(200, np.float32))
    with pytest.raises(UnitInputError, match="invalid samples"):
        check_audio(np.array([0.0, np.nan] * 400, np.float32))
    assert check_audio(np.zeros(320)).dtype == np.float32


def test_whisper_features_refuse_short_audio_and_count_frames(
    tmp_path: Path, tiny_whisper_registry: Path
) -> None:
    encoder = tiny_whisper_registry / "tiny-whisper" / "encoder_model.onnx"
    graph = cut_whisper_encoder(encoder, 1, tmp_path / "features.onnx")
    feats = WhisperLayerFeatures(graph)
    assert feats.dim == 32
    with pytest.raises(UnitInputError):
        feats(np.zeros(0, np.float32))
    with pytest.raises(UnitInputError):
        feats(np.zeros(100, np.float32))
    assert feats(np.zeros(321, np.float32)).shape == (2, 32)  # a partial frame counts
    assert feats(synth(31.0, 0)).shape == (1550, 32)  # two windows
    with pytest.raises(ModelError, match="block 5 does not exist"):
        cut_whisper_encoder(encoder, 5, tmp_path / "x.onnx")
    assert not (tmp_path / "x.onnx").exists()


def test_hf_features_refuse_short_audio(tiny_w2v: Path) -> None:
    from desktop_app.unitlm.hf_features import HFLayerFeatures

    feats = HFLayerFeatures(tiny_w2v, layer=2)
    with pytest.raises(UnitInputError, match="empty"):
        feats(np.zeros(0, np.float32))
    with pytest.raises(UnitInputError, match="shorter than one"):
        feats(np.zeros(160, np.float32))
    assert feats(synth(1.0, 0)).shape == (49, 32)
    with pytest.raises(ModelError, match="hidden layers 0–2"):
        HFLayerFeatures(tiny_w2v, layer=3)


def test_fit_refuses_bad_k_empty_projects_and_missing_models(
    project: Project, tmp_path: Path, tiny_w2v: Path, write_wav
) -> None:
    registry = UnitRegistry(tmp_path / "unitlm")
    with pytest.raises(JazbaError, match="K must be one of 50, 100, 200, 500"):
        fit_units(project, FitOptions(k=7), registry=registry)
    with pytest.raises(JazbaError, match="no recordings"):
        fit_units(project, FitOptions(k=50), registry=registry)
    RecordingService(project).import_file(write_wav("short.wav", synth(0.5, 0)))
    with pytest.raises(JazbaError, match="Too little audio for 50 units"):
        fit_units(project, FitOptions(k=50, features=str(tiny_w2v)), registry=registry)
    RecordingService(project).import_file(write_wav("long.wav", synth(3.0, 1)))
    with pytest.raises(ModelError, match="not a Hugging Face model"):
        fit_units(project, FitOptions(k=50, features=str(tmp_path)), registry=registry)
    assert registry.versions() == []
    assert [p.name for p in (registry.root / ".staging").iterdir()] == []
    with pytest.raises(ModelError, match="No unit LM is installed"):
        score_project(project, ScoreRequest(), registry=registry)
    assert segment_units(project, 1) is None


def test_cancel_kills_the_job_and_leaves_no_version(
    project: Project, tmp_path: Path, tiny_w2v: Path, write_wav
) -> None:
    RecordingService(project).import_file(write_wav("v.wav", synth(4.0, 0)))
    registry = UnitRegistry(tmp_path / "unitlm")
    state = JobState()
    seen: list[float] = []

    def on_progress(fraction: float, _text: str) -> None:
        seen.append(fraction)
        if fraction >= 0.02:  # the subprocess has started: cancel it
            state.cancel()

    state.on_progress = on_progress
    with pytest.raises(Cancelled):
        fit_units(project, FitOptions(k=50, features=str(tiny_w2v)), state, registry=registry)
    assert seen and registry.versions() == []
    assert [p.name for p in (registry.root / ".staging").iterdir()] == []
