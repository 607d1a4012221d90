"""``--task units`` and ``--task diarize`` through the same batch path (local pool):
their rows, shards, RTTM, per-file figures, and speaker turns put into a project."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from desktop_app.asr.registry import ModelRegistry
from desktop_app.core.audio.importer import import_audio
from desktop_app.core.interop.rttm import read_rttm
from desktop_app.core.jobs import JobState
from desktop_app.core.project import Project
from desktop_app.core.services.recordings import RecordingService
from desktop_app.core.services.segments import SegmentService
from desktop_app.core.services.speakers import SpeakerService
from desktop_app.services.batch import Models, RunFolder, import_diarization, run_batch
from desktop_app.services.batch.units_task import UnitsEngine, score_span
from desktop_app.services.batch.work import EngineSettings
from desktop_app.services.diarization import DiarizeRequest, diarize_recording
from desktop_app.services.pieces import plan_pieces
from desktop_app.services.unit_lm import FitOptions, TrainOptions, fit_units, train_unit_lm
from desktop_app.speakers.models import SpeakerModel
from desktop_app.units.registry import UnitRegistry
from tests.batch.conftest import options
from tests.speakers.conftest import ge2e_model, two_voices  # noqa: F401 (fixtures)
from tests.units.conftest import TINY_LM, synth, tiny_whisper_registry  # noqa: F401 (fixture)


@pytest.fixture(scope="module")
def unit_lm(
    tmp_path_factory: pytest.TempPathFactory,
    tiny_whisper_registry: Path,  # noqa: F811
) -> UnitRegistry:
    """A unit LM on Whisper-encoder features (the kind a batch worker runs)."""
    root = tmp_path_factory.mktemp("unitlm")
    project = Project.create(root / "p")
    try:
        for i in range(3):
            path = root / f"v{i}.wav"
            sf.write(path, synth(6.0, i), 16000, subtype="FLOAT")
            RecordingService(project).import_file(path)
        registry = UnitRegistry(root / "data" / "models" / "unitlm")
        units = fit_units(
            project,
            FitOptions(k=50, max_frames=5000),
            registry=registry,
            asr_registry=ModelRegistry(tiny_whisper_registry),
        )
        train_unit_lm(
            project,
            TrainOptions(units_version=units.id, lm=TINY_LM, steps=20, batch_size=8, device="cpu"),
            registry=registry,
        )
    finally:
        project.close()
    return registry


def test_units_task_scores_speech_per_stretch_and_per_file(
    tmp_path: Path, unit_lm: UnitRegistry
) -> None:
    folder = tmp_path / "archive"
    folder.mkdir()
    sf.write(folder / "voice.wav", synth(5.0, 4), 16000, subtype="FLOAT")
    sf.write(folder / "noise.wav", synth(5.0, 5, "noise"), 16000, subtype="FLOAT")
    pause = np.zeros(16000, np.float32)
    long = np.concatenate([x for i in range(6) for x in (synth(4.0, 10 + i), pause)])
    sf.write(folder / "long.wav", long, 16000, subtype="FLOAT")  # 30 s: pieces of ~10 s
    (folder / "broken.wav").write_bytes(b"RIFF not audio")
    out = tmp_path / "run"
    opts = options(task="units", chunk_seconds=10.0)
    manifest = run_batch(folder, out, opts, models=Models(units=unit_lm))
    assert manifest.task == "units" and manifest.counts() == {"pending": 0, "done": 3, "failed": 1}
    assert manifest.model_id == unit_lm.active().id
    run = RunFolder(out)
    entry = manifest.files[str(folder / "long.wav")]
    assert entry.chunks is not None and len(entry.chunks) == 3
    rows = run.read_shard(entry.shard or "")
    assert [r["start_ms"] for r in rows] == sorted(r["start_ms"] for r in rows)
    assert all(r["frames"] >= r["units"] > 0 and r["perplexity"] > 1 for r in rows)
    # the pieces, done by two workers and put together, are what one engine gives
    version = unit_lm.active()
    settings = EngineSettings(str(version.folder), version.id, "", "kk", threads=1, task="units")
    engine = UnitsEngine(settings)
    imported = import_audio(folder / "long.wav", tmp_path / "imported", JobState())
    model_audio, total = imported.model_audio_path, round(imported.duration_s * 1000) / 1000
    expected = [
        row
        for a, b in plan_pieces(model_audio, total, 10.0)
        for row in score_span(engine, model_audio, a, b)
    ]
    assert [{k: r[k] for k in expected[0]} for r in rows] == expected
    for name in ("voice.wav", "long.wav"):
        e = manifest.files[str(folder / name)]
        scored = run.read_shard(e.shard or "")
        logs = sum(math.log(r["perplexity"]) * r["units"] for r in scored)
        tokens = sum(r["units"] for r in scored)
        assert e.summary and e.summary["perplexity"] == pytest.approx(math.exp(logs / tokens), 1e-3)
        assert e.summary["speech_s"] > 0
    noise = manifest.files[str(folder / "noise.wav")]  # no speech found: said so, not scored
    assert noise.status == "done" and noise.summary == {"speech_s": 0.0, "perplexity": None}


def test_units_task_refuses_a_version_without_lm(tmp_path: Path, unit_lm: UnitRegistry) -> None:
    from desktop_app.core.errors import ModelError

    units_only = next(v for v in unit_lm.versions() if not v.has_lm)
    folder = tmp_path / "a"
    folder.mkdir()
    with pytest.raises(ModelError, match="no trained unit LM"):
        run_batch(
            folder, tmp_path / "run", options(task="units", model_id=units_only.id),
            models=Models(units=unit_lm),
        )  # fmt: skip


def test_diarize_task_matches_the_service_and_imports_without_touching_people(
    tmp_path: Path,
    ge2e_model: SpeakerModel,  # noqa: F811
    two_voices: tuple[Path, list[tuple[float, float, str]]],  # noqa: F811
) -> None:
    dialogue, _truth = two_voices
    folder = tmp_path / "archive"
    folder.mkdir()
    shutil.copy(dialogue, folder / "dialogue.wav")
    (folder / "broken.wav").write_bytes(b"RIFF not audio")
    out = tmp_path / "run"
    models = Models(speakers=ge2e_model.folder.parent)
    manifest = run_batch(folder, out, options(task="diarize"), models=models)
    assert manifest.task == "diarize"
    assert manifest.counts() == {"pending": 0, "done": 1, "failed": 1}
    assert manifest.model_id == ge2e_model.id
    entry = manifest.files[str(folder / "dialogue.wav")]
    assert entry.chunks is None  # a file is diarized whole
    rows = RunFolder(out).read_shard(entry.shard or "")
    assert len({r["speaker"] for r in rows}) == 2
    rttm = read_rttm(out / RunFolder(out).rttm_name(entry.path, entry.sha256))
    items = rttm.tiers[0].items
    assert [(i.start_ms, i.end_ms, i.speaker) for i in items] == [
        (r["start_ms"], r["end_ms"], r["speaker"]) for r in rows
    ]
    # the same turns as diarizing the imported recording in a project
    with Project.create(tmp_path / "p.jazba") as project:
        rec = RecordingService(project).import_file(dialogue)
        result = diarize_recording(
            project, DiarizeRequest(rec.id, threads=1), JobState(), model=ge2e_model
        )
        assert [(t.start_ms, t.end_ms) for t in result.turns] == [
            (r["start_ms"], r["end_ms"]) for r in rows
        ]
    # into a project: turns become segments with the batch's speakers; imported again
    # after a person set a speaker, that speaker stays
    with Project.create(tmp_path / "q.jazba") as project:
        first = import_diarization(project, out)
        assert first.recordings == 1 and first.imported_audio == 1 and not first.failed
        rec = RecordingService(project).list()[0]
        segments = SegmentService(project)
        made = segments.list(rec.id)
        assert first.created == len(made) > 1
        assert {(x.start_ms, x.end_ms) for x in made} <= {
            (r["start_ms"], r["end_ms"]) for r in rows
        }
        assert len({x.speaker_id for x in made}) == 2 and None not in {x.speaker_id for x in made}
        mine = SpeakerService(project).create("Айгүл")
        segments.set_speaker(made[0].id, mine.id)
        again = import_diarization(project, out)
        assert again.recordings == 1 and again.imported_audio == 0 and again.kept >= 1
        after = {x.id: x for x in segments.list(rec.id)}
        assert after[made[0].id].speaker_id == mine.id
        assert all(x.speaker_id not in (None, mine.id) for i, x in after.items() if i != made[0].id)
