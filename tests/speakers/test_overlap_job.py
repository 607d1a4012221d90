"""Overlap output end to end, offline: the catalog's segmentation entry pointed at a local
fake Hub serving a tiny powerset model → download, check, install → diarize a
recording of two tones that overlap → second speakers on the Overlap tier in
the same undo step → RTTM with overlapping turns that round-trips; and the CLI."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from desktop_app.asr.catalog import get_entry
from desktop_app.core.interop.exporter import ExportOptions, export_project
from desktop_app.core.interop.importer import import_file
from desktop_app.core.interop.rttm import read_rttm
from desktop_app.core.jobs import JobState
from desktop_app.core.project import Project
from desktop_app.core.services.diarize_overlap import OVERLAP_TIER
from desktop_app.core.services.recordings import RecordingService
from desktop_app.core.services.segments import SegmentService
from desktop_app.core.services.speakers import SpeakerService
from desktop_app.core.services.tiers import TierService
from desktop_app.services.diarization import DiarizeRequest, diarize_recording
from desktop_app.speakers import segmentation_model as sm
from tests.hub_server import FakeHub, FakeRepo
from tests.speakers.conftest import BandEmbedder
from tests.speakers.tiny_segmentation import SR, build_tiny_segmentation, conversation

REPO = "org/tiny-segmentation"
ID = "pyannote-segmentation-3.0"
# A and B overlap at 3.5-4.0 s; later turns do not overlap.
PARTS = [(0.5, 4.0, 0), (3.5, 7.5, 1), (9.0, 12.0, 0), (13.0, 16.0, 1)]


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    pytest.importorskip("onnx")
    folder = tmp_path / "repo"
    build_tiny_segmentation(folder / "onnx" / "model.onnx")
    (folder / "onnx" / "model_int8.onnx").write_bytes(b"another variant, not fetched")
    (folder / "README.md").write_text("tiny", "utf-8")
    server = FakeHub({REPO: FakeRepo.from_folder(folder)}).start()
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    entry = replace(get_entry(ID), repo_id=REPO, revision=None)
    monkeypatch.setattr(sm, "get_entry", lambda _id: entry)
    yield server
    server.stop()


@pytest.fixture
def wav(tmp_path: Path) -> Path:
    path = tmp_path / "overlap.wav"
    sf.write(path, conversation(PARTS, 17.0), SR, subtype="PCM_16")
    return path


def test_install_from_the_hub_checks_and_records_the_model(hub: FakeHub) -> None:
    seen: list[tuple[float, str]] = []
    state = JobState(on_progress=lambda f, t: seen.append((f, t)), min_interval=0.0)
    model = sm.install_segmentation_entry(ID, state)
    assert model.folder == sm.speakers_root() / ID and model.path.is_file()
    assert (model.input, model.output, model.frame_step, model.frame_size) == (
        "input_values",
        "logits",
        270,
        991,
    )
    assert model.license == "mit" and model.source == f"{REPO}@{hub.repos[REPO].commit}"
    [file] = model.source_files  # only the pattern's file, checked against the Hub's sha256
    assert file["name"] == "onnx/model.onnx" and file["checked_against"] == "hub-sha256"
    assert not (sm.speakers_root() / sm.DOWNLOADS / ID).exists()
    assert [m.id for m in sm.installed_segmentation_models()] == [ID]
    assert sm.best_segmentation_model().id == ID
    assert seen[-1][0] == 1.0
    model.path.write_bytes(model.path.read_bytes() + b"\0")  # damaged: refused
    with pytest.raises(sm.ModelError, match="damaged"):
        sm.find_segmentation_model(ID)


def _overlap_tier_segments(project: Project, rec_id: int):
    tier = TierService(project).by_name(OVERLAP_TIER)
    return SegmentService(project).list(rec_id, tier.id)


def test_diarize_adds_second_speakers_in_one_undo_step_and_rttm_round_trips(
    hub: FakeHub, project: Project, wav: Path, tmp_path: Path
) -> None:
    sm.install_segmentation_entry(ID, JobState())
    rec = RecordingService(project).import_file(wav)
    request = DiarizeRequest(rec.id, n_speakers=2)  # segmentation: the installed one
    result = diarize_recording(project, request, JobState(), embedder=BandEmbedder())
    assert result.segmentation_id == ID
    a, b = (s.speaker_id for s in sorted(result.speakers, key=lambda s: s.name))
    main = [t for t in result.turns if t not in result.overlaps]
    who = {t.speaker_id for t in main if t.start_ms <= 2000 < t.end_ms}
    if who == {b}:
        a, b = b, a
    # the overlap 3.5-4.0 s: both speakers there, each the other's second speaker
    assert result.overlaps, result.turns
    start = min(t.start_ms for t in result.overlaps)
    end = max(t.end_ms for t in result.overlaps)
    assert abs(start - 3500) < 100 and abs(end - 4000) < 100
    assert {t.speaker_id for t in result.overlaps} == {a, b}
    for t in result.overlaps:
        mains = [m.speaker_id for m in main if m.start_ms < t.end_ms and t.start_ms < m.end_ms]
        assert mains and t.speaker_id not in mains
    # the transcript tier: one speaker at a time; the Overlap tier: the second speakers
    segs = SegmentService(project).list(rec.id, TierService(project).by_name("transcription").id)
    assert all(x.end_ms <= y.start_ms for x, y in itertools.pairwise(segs))
    over = _overlap_tier_segments(project, rec.id)
    names = {s.id: s.name for s in SpeakerService(project).list()}
    assert len(over) == result.applied.overlaps == len(result.overlaps)
    assert all(o.text == names[o.speaker_id] for o in over)

    export_project(project, tmp_path / "out", ExportOptions("rttm"))
    [file] = (tmp_path / "out").glob("*.rttm")
    turns = [(i.start_ms, i.end_ms, i.speaker) for i in read_rttm(file).tiers[0].items]
    overlapping = [
        (x, y) for x in turns for y in turns if x[2] != y[2] and x[0] < y[1] and y[0] < x[1]
    ]
    assert overlapping  # two speakers at once
    other = Project.create(tmp_path / "other")
    try:
        rec2 = RecordingService(other).import_file(wav)
        import_file(other, file)
        names2 = {s.id: s.name for s in SpeakerService(other).list()}
        back = [
            (s.start_ms, s.end_ms, names2[s.speaker_id])
            for s in SegmentService(other).list(rec2.id)
        ]
        assert sorted(back) == sorted(turns)
    finally:
        other.close()

    # one undo step takes back the labels and the overlaps together
    SegmentService(project).undo(result.applied.operation_id)
    assert _overlap_tier_segments(project, rec.id) == []
    assert SegmentService(project).list(rec.id) == []


def test_a_rerun_keeps_a_persons_overlap_annotation(
    hub: FakeHub, project: Project, wav: Path
) -> None:
    sm.install_segmentation_entry(ID, JobState())
    rec = RecordingService(project).import_file(wav)
    request = DiarizeRequest(rec.id, n_speakers=2)
    first = diarize_recording(project, request, JobState(), embedder=BandEmbedder())
    over = _overlap_tier_segments(project, rec.id)
    svc = SegmentService(project)
    svc.edit_text(over[0].id, "both laugh")  # a person's annotation now
    again = diarize_recording(project, request, JobState(), embedder=BandEmbedder())
    after = _overlap_tier_segments(project, rec.id)
    assert any(o.id == over[0].id and o.text == "both laugh" for o in after)
    assert not any(
        o.id != over[0].id and o.start_ms < over[0].end_ms and over[0].start_ms < o.end_ms
        for o in after
    )
    # the same overlaps as before are left alone (nothing new written), the person's wins
    assert first.applied.overlaps == len(over) >= 1 and again.applied.overlaps == 0
    assert len(after) == len(over)
    # without segmentation nothing on the Overlap tier changes
    plain = replace(request, segmentation="none")
    result = diarize_recording(project, plain, JobState(), embedder=BandEmbedder())
    assert result.overlaps == () and result.segmentation_id is None
    assert [o.id for o in _overlap_tier_segments(project, rec.id)] == [o.id for o in after]


def test_cli_installs_diarizes_with_overlaps_and_writes_rttm(
    hub: FakeHub, tmp_path: Path, wav: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop_app.cli import diarize as cli_diarize
    from desktop_app.cli.main import app

    monkeypatch.setattr(cli_diarize, "choose_speaker_model", lambda *_a: BandEmbedder().model)
    monkeypatch.setattr(cli_diarize, "SpeakerEmbedder", lambda *_a, **_k: BandEmbedder())
    runner = CliRunner()
    res = runner.invoke(app, ["speakers", "install-segmentation", "-q"])
    assert res.exit_code == 0 and "Installed" in res.output, res.output
    res = runner.invoke(app, ["speakers", "install-segmentation"])
    assert "Already installed" in res.output
    proj = tmp_path / "p.jazba"
    assert runner.invoke(app, ["project", "new", str(proj)]).exit_code == 0
    assert runner.invoke(app, ["import", str(proj), str(wav), "-q"]).exit_code == 0
    out = tmp_path / "found.rttm"
    args = ["diarize", str(proj), "-n", "2", "--segmentation", ID, "--rttm", str(out), "-q"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert f"overlaps ({ID}): 2 with a second speaker" in res.output
    lines = out.read_text("utf-8").splitlines()
    assert all(line.startswith("SPEAKER overlap 1 ") for line in lines)
    spans = [(float(x.split()[3]), float(x.split()[3]) + float(x.split()[4])) for x in lines]
    assert any(a2 < b1 for (_, b1), (a2, _) in itertools.pairwise(spans))
    res = runner.invoke(app, ["diarize", str(proj), "--segmentation", "nope", "-q"])
    assert res.exit_code != 0 and "not installed" in res.output


def test_turn_overlap_counts_are_consistent_with_audio() -> None:
    """The fixture audio really has both tones at once where PARTS say so."""
    audio = conversation(PARTS, 17.0)
    assert np.abs(audio[int(3.7 * SR) : int(3.8 * SR)]).max() > 0.45  # two tones add up
    assert np.abs(audio[int(2.0 * SR) : int(2.1 * SR)]).max() < 0.35


def test_the_registry_installs_a_segmentation_entry_beside_the_speaker_models(
    hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the *Get models* page calls: the entry goes to the speaker models, no version."""
    from desktop_app.asr import hub_install
    from desktop_app.asr.registry import ModelRegistry
    from desktop_app.speakers.models import list_speaker_models

    monkeypatch.setattr(hub_install, "get_entry", sm.get_entry)  # the fake Hub's repo
    registry = ModelRegistry(tmp_path / "models")
    model = registry.install_catalog(ID, JobState())
    assert model.folder == tmp_path / "models" / "speakers" / ID and model.path.is_file()
    assert registry.versions() == [] and registry.installed_catalog() == {ID: ID}
    # a speaker-model listing skips it rather than reading it as an embedding model
    assert ID not in [m.id for m in list_speaker_models(tmp_path / "models" / "speakers")]
