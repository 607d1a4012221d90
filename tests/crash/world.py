"""The world the kill harness starts every run from (see :mod:`tests.crash.harness`).

A project with a first draft and human work on it (edited, approved, a speaker
set, a segment a person added), a second recording with no segments, an audio
file and an ELAN file to import, and a data folder where a tiny random Whisper
is the active model.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[2]
SR = 16_000


@dataclass(frozen=True)
class World:
    root: Path
    data_dir: Path  # JAZBA_DATA_DIR of the children (the tiny model is active there)
    template: Path  # the project every kill starts from
    audio: Path  # a file to import
    eaf: Path  # annotations of recording 1 to import onto a new tier
    recording: int  # the recording with a draft and human work
    fresh_recording: int  # a recording without any segments


def speech(path: Path, seconds_each: float = 1.6, n: int = 14, seed: int = 0) -> Path:
    """``n`` stretches of speech-like sound with pauses (the fake model's segments)."""
    rng = np.random.default_rng(seed)
    parts = []
    for k in range(n):
        t = np.arange(int(seconds_each * SR)) / SR
        voiced = sum(np.sin(2 * np.pi * f * t) / j for j, f in enumerate((170 + 9 * k, 340), 1))
        parts += [
            (0.25 * voiced + 0.01 * rng.standard_normal(t.size)).astype(np.float32),
            np.zeros(int(0.7 * SR), np.float32),
        ]
    sf.write(path, np.concatenate(parts), SR)
    return path


def child_env(world: World) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        JAZBA_DATA_DIR=str(world.data_dir),
        JAZBA_CONFIG_DIR=str(world.root / "config"),
        PYTHONUNBUFFERED="1",
        PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        QT_QPA_PLATFORM="offscreen",
        OMP_NUM_THREADS="1",
    )
    return env


def build_world(root: Path) -> World:
    """Build the world under ``root`` (the tiny model takes ~20 s, the rest ~2 s)."""
    from desktop_app.asr.registry import ModelRegistry
    from desktop_app.core.interop.exporter import ExportOptions, export_project
    from desktop_app.core.jobs import JobState
    from desktop_app.core.project import Project
    from desktop_app.core.services.recordings import RecordingService
    from desktop_app.core.services.segments import NewSegment, SegmentService
    from desktop_app.core.services.speakers import SpeakerService
    from desktop_app.services import transcription
    from tests.asr.conftest import build_tiny_model
    from tests.fake_engine import FakeEngine, fake_model

    root.mkdir(parents=True, exist_ok=True)
    data = root / "data"
    registry = ModelRegistry(data / "models")
    if registry.active() is None:
        model = build_tiny_model(root / "tiny", no_speech_bias=0.0)
        registry.import_onnx_dir(model.onnx_dir, name="tiny random whisper")

    template = root / "template.jazba"
    with Project.create(template, name="crash template") as project:
        recordings = RecordingService(project)
        rec = recordings.import_file(speech(root / "interview.wav")).id
        fresh = recordings.import_file(speech(root / "second.wav", n=8, seed=1)).id
        engine = FakeEngine()
        registry_cls, engines = fake_model(engine, root / "fake-model")
        old = (transcription.ModelRegistry, transcription._DEFAULT_CACHE)
        transcription.ModelRegistry, transcription._DEFAULT_CACHE = registry_cls, engines
        try:
            request = transcription.TranscribeRequest(recording_id=rec, vad=False, device="cpu")
            transcription.transcribe_recording(project, request, JobState())
        finally:
            transcription.ModelRegistry, transcription._DEFAULT_CACHE = old
        segs = SegmentService(project)
        draft = segs.list(rec)
        speaker = SpeakerService(project).create("Айгүл").id
        segs.edit_text(draft[2].id, "адам түзеткен мәтін")
        segs.set_speaker(draft[6].id, speaker)
        segs.set_status(draft[9].id, "approved")
        gap = (draft[11].end_ms + 50, draft[12].start_ms - 50)
        segs.add(rec, NewSegment(gap[0], gap[1], "адам қосқан"))
        out = root / "eaf"
        export_project(project, out, ExportOptions("eaf"))
    eaf = out / "interview.eaf"
    audio = speech(root / "to_import.wav", seconds_each=3.0, n=120, seed=2)  # ~7 min
    return World(root, data, template, audio, eaf, rec, fresh)
