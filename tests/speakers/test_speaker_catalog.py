"""A speaker model from the catalog, end to end with no internet: a tiny ONNX embedding
model ([B, T, 80] -> [B, D], WeSpeaker's input and output names) served by the local
fake Hub, installed through the catalog, used to diarize two espeak-ng voices, with
voice profiles kept per model."""

from __future__ import annotations

import json
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from desktop_app.asr import hub_install
from desktop_app.asr.catalog import get_entry
from desktop_app.asr.manifest import sha256_file
from desktop_app.asr.registry import ModelRegistry
from desktop_app.core.errors import ModelError
from desktop_app.core.jobs import JobState
from desktop_app.core.project import Project
from desktop_app.core.services.recordings import RecordingService
from desktop_app.core.services.segments import NewSegment, SegmentService
from desktop_app.core.services.speaker_profiles import ProfileService
from desktop_app.core.services.speakers import SpeakerService
from desktop_app.services.diarization import DiarizeRequest, diarize_recording
from desktop_app.speakers.embedder import SpeakerEmbedder, Window
from desktop_app.speakers.models import (
    GE2E_ID,
    KALDI_FRONTEND,
    MANIFEST,
    best_speaker_model,
    choose_speaker_model,
    verify_speaker_model,
)
from tests.hub_server import FakeHub, FakeRepo

REPO = "org/tiny-speaker"
GRAPH = "tiny_speaker.onnx"
ENTRY_ID = "wespeaker-resnet34-lm"
DIM = 16

Turns = list[tuple[float, float, str]]


def build_tiny_speaker_onnx(path: Path) -> None:
    """A small conv net with statistics pooling, as WeSpeaker's ResNets end."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnx")

    class Tiny(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = torch.nn.Conv1d(80, 24, kernel_size=5, padding=2)
            self.proj = torch.nn.Linear(48, DIM)

        def forward(self, feats):  # (B, T, 80)
            h = torch.relu(self.conv(feats.transpose(1, 2)))
            stats = torch.cat([h.mean(dim=2), h.std(dim=2)], dim=1)
            return self.proj(stats)

    torch.manual_seed(0)
    model = Tiny().eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the TorchScript exporter's notice
        torch.onnx.export(
            model,
            torch.zeros(1, 120, 80),
            str(path),
            input_names=["feats"],
            output_names=["embs"],
            dynamic_axes={"feats": {0: "B", 1: "T"}, "embs": {0: "B"}},
            opset_version=17,
            dynamo=False,
        )


@pytest.fixture(scope="module")
def tiny_graph(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("tiny_speaker") / GRAPH
    build_tiny_speaker_onnx(path)
    return path.read_bytes()


@pytest.fixture
def hub(tiny_graph: bytes, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    files = {GRAPH: tiny_graph, "README.md": b"# tiny\n", "avg_model": b"pickle, never fetched"}
    server = FakeHub({REPO: FakeRepo(files)}).start()
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    entry = replace(get_entry(ENTRY_ID), repo_id=REPO, revision=None, allow_patterns=(GRAPH,))
    monkeypatch.setattr(hub_install, "get_entry", lambda _id: entry)
    yield server
    server.stop()


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(tmp_path / "models")


def test_catalog_entry_is_a_speaker_model() -> None:
    entry = get_entry(ENTRY_ID)
    assert entry.architecture == "speaker" and entry.frontend == KALDI_FRONTEND
    assert entry.repo_id == "Wespeaker/wespeaker-voxceleb-resnet34-LM"
    assert entry.license == "cc-by-4.0" and entry.allow_patterns == ("voxceleb_resnet34_LM.onnx",)
    assert "Not confirmed" in entry.verification


def test_install_from_the_catalog_checks_and_records_the_model(
    hub: FakeHub, registry: ModelRegistry, tiny_graph: bytes
) -> None:
    seen: list[str] = []
    state = JobState(on_progress=lambda _f, t: seen.append(t), min_interval=0.0)
    model = registry.install_catalog(ENTRY_ID, state)
    folder = registry.root / "speakers" / ENTRY_ID
    assert model.folder == folder and model.path.read_bytes() == tiny_graph
    data = json.loads((folder / MANIFEST).read_text("utf-8"))
    assert data["frontend"] == KALDI_FRONTEND and data["license"] == "cc-by-4.0"
    assert (data["input"], data["output"], data["embedding_dim"]) == ("feats", "embs", DIM)
    assert data["files"] == {GRAPH: sha256_file(folder / GRAPH)}
    assert hub.repos[REPO].commit in data["source"]
    assert not any("avg_model" in path for _, path, _ in hub.requests)  # no pickle fetched
    assert registry.installed_catalog() == {ENTRY_ID: ENTRY_ID}
    assert registry.versions() == []  # not a transcription version
    assert best_speaker_model(registry.root / "speakers") == model
    assert any(t.startswith(f"Downloading {GRAPH}") for t in seen)
    assert hub_install.partial_bytes(registry, ENTRY_ID) == 0
    # a damaged file is refused before it is used
    (folder / GRAPH).write_bytes(tiny_graph[:-10] + b"0123456789")
    with pytest.raises(ModelError, match="damaged"):
        choose_speaker_model(ENTRY_ID, JobState(), registry.root / "speakers")


def test_a_bad_checksum_installs_nothing(hub: FakeHub, registry: ModelRegistry) -> None:
    hub.corrupt.add(GRAPH)
    with pytest.raises(ModelError, match="does not match the checksum"):
        registry.install_catalog(ENTRY_ID, JobState())
    speakers = registry.root / "speakers"
    assert not speakers.exists() or not any(speakers.iterdir())
    assert registry.installed_catalog() == {}


def test_an_unknown_model_says_how_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not installed") as info:
        choose_speaker_model("wespeaker-resnet34-lm", JobState(), tmp_path)
    assert "install-model" in info.value.cli


def test_diarize_with_it_and_keep_profiles_per_model(
    hub: FakeHub, registry: ModelRegistry, project: Project, two_voices: tuple[Path, Turns]
) -> None:
    model = registry.install_catalog(ENTRY_ID, JobState())
    verify_speaker_model(model)
    path, turns = two_voices
    rec = RecordingService(project).import_file(path)
    aigul = SpeakerService(project).create("Айгүл")
    profiles = ProfileService(project)
    old = np.random.default_rng(1).standard_normal(256)
    profiles.add(aigul.id, GE2E_ID, old, 7)  # learnt earlier with the offline model
    ge2e_before = profiles.profiles(GE2E_ID)
    # a person labelled Айгүл's first turn
    a, b = round(turns[0][0] * 1000), round(turns[0][1] * 1000)
    segments = SegmentService(project)
    segments.add_many(rec.id, [NewSegment(a, b, text="сәлем")])
    seg = segments.list(rec.id)[0]
    segments.set_speaker(seg.id, aigul.id)
    segments.set_status(seg.id, "approved")

    request = DiarizeRequest(rec.id, n_speakers=2, speaker_model=model.id)
    result = diarize_recording(project, request, JobState(), model=model)
    assert result.model_id == ENTRY_ID and result.model_name == model.name
    assert len(result.speakers) == 2 and len(result.turns) >= 2

    # the GE2E profile is untouched and still the only one GE2E matches against
    assert [(p.speaker_id, p.count) for p in profiles.profiles(GE2E_ID)] == [(aigul.id, 7)]
    assert np.allclose(profiles.profiles(GE2E_ID)[0].centroid, ge2e_before[0].centroid)
    # Айгүл's labelled segment taught the new model her voice; every found voice has one
    new = {p.speaker_id: p for p in profiles.profiles(ENTRY_ID)}
    assert aigul.id in new and new[aigul.id].centroid.shape == (DIM,)
    assert {s.speaker_id for s in result.speakers} <= set(new)
    assert profiles.models() == {GE2E_ID: 1, ENTRY_ID: len(new)}
    # 256-d GE2E centroids never meet 16-d ones: matching one model sees only its own
    assert profiles.match(np.ones((1, DIM)), ENTRY_ID, threshold=-1.0)[0] is not None
    assert profiles.match(np.ones((1, 256)), GE2E_ID, threshold=-1.0)[0].speaker_id == aigul.id


def test_fbank_models_embed_each_window_mean_normalised(
    hub: FakeHub, registry: ModelRegistry
) -> None:
    model = registry.install_catalog(ENTRY_ID, JobState())
    emb = SpeakerEmbedder(model, threads=1)
    rng = np.random.default_rng(0)
    audio = (0.1 * rng.standard_normal(16000 * 3)).astype(np.float32)
    wins = [Window(0, 24000), Window(8000, 32000), Window(16000, 40000), Window(0, 12000)]
    out = emb.embed(audio, wins)
    assert out.shape == (4, DIM) and np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    # one window alone gives the same row as in a batch; louder audio the same (CMN)
    assert np.allclose(emb.embed(audio, wins[1:2])[0], out[1], atol=1e-5)
    assert np.allclose(emb.embed(audio * 4, wins[:1])[0], out[0], atol=1e-4)


def test_cli_installs_lists_and_diarizes_with_the_chosen_model(
    hub: FakeHub, two_voices: tuple[Path, Turns], tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from desktop_app.cli.main import app

    cli = CliRunner()
    res = cli.invoke(app, ["speakers", "install-model", ENTRY_ID, "-q"])
    assert res.exit_code == 0, res.output
    assert "cc-by-4.0" in res.output and f"--speaker-model {ENTRY_ID}" in res.output
    res = cli.invoke(app, ["speakers", "install-model", ENTRY_ID])
    assert res.exit_code == 0 and "Already installed" in res.output
    res = cli.invoke(app, ["speakers", "install-model", "whisper-base-kk"])
    assert res.exit_code != 0 and "transcription model" in res.output
    assert f"* {ENTRY_ID}" in cli.invoke(app, ["speakers", "models"]).output

    proj = tmp_path / "p.jazba"
    assert cli.invoke(app, ["project", "new", str(proj)]).exit_code == 0
    assert cli.invoke(app, ["import", str(proj), str(two_voices[0]), "-q"]).exit_code == 0
    res = cli.invoke(app, ["diarize", str(proj), "-n", "2", "--speaker-model", "best", "-q"])
    assert res.exit_code == 0, res.output
    assert f"[speaker model: {ENTRY_ID}]" in res.output
    res = cli.invoke(app, ["speakers", "profiles", str(proj)])
    assert f"{ENTRY_ID}: 2 speaker(s)" in res.output
    res = cli.invoke(app, ["speakers", "learn-profiles", str(proj), "-q"])
    assert res.exit_code == 0 and f"0 speaker(s) learnt under '{ENTRY_ID}'" in res.output
    res = cli.invoke(app, ["diarize", str(proj), "--speaker-model", "no-such-model", "-q"])
    assert res.exit_code == 1 and "not installed" in res.output


def test_learn_profiles_teaches_a_new_model_from_labelled_segments(
    hub: FakeHub, project: Project, two_voices: tuple[Path, Turns], registry: ModelRegistry
) -> None:
    from desktop_app.services.profile_learning import learn_profiles

    model = registry.install_catalog(ENTRY_ID, JobState())
    path, turns = two_voices
    rec = RecordingService(project).import_file(path)
    aigul = SpeakerService(project).create("Айгүл")
    profiles = ProfileService(project)
    profiles.add(aigul.id, GE2E_ID, np.ones(256), 5)
    segments = SegmentService(project)
    ms = [(round(a * 1000), round(b * 1000)) for a, b, _ in turns]
    segments.add_many(rec.id, [NewSegment(*ms[0], text="а"), NewSegment(*ms[2], text="б")])
    for seg in segments.list(rec.id):
        segments.set_speaker(seg.id, aigul.id)
        segments.set_status(seg.id, "approved")
    before = [(s.id, s.start_ms, s.end_ms, s.speaker_id) for s in segments.list(rec.id)]

    emb = SpeakerEmbedder(model, threads=1)
    learnt = learn_profiles(project, JobState(), embedder=emb)
    assert learnt.model_id == ENTRY_ID and learnt.windows[aigul.id] >= 4
    [p] = profiles.profiles(ENTRY_ID)
    assert p.speaker_id == aigul.id and p.count == learnt.windows[aigul.id]
    assert [(q.speaker_id, q.count) for q in profiles.profiles(GE2E_ID)] == [(aigul.id, 5)]
    assert [(s.id, s.start_ms, s.end_ms, s.speaker_id) for s in segments.list(rec.id)] == before
    assert learn_profiles(project, JobState(), embedder=emb).windows == {}  # nothing twice
