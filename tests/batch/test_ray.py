"""``--engine ray`` in local mode (two CPUs, one Ray session for the module): same
segments as the local pool, an actor killed with SIGKILL and its file retried,
a long file's pieces shared by the actors, diarization as a batch task, GPUs
asked for only where the cluster has them."""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

import pytest

from desktop_app.asr.registry import ModelRegistry
from desktop_app.services.batch import Models, RunFolder, run_batch
from desktop_app.services.batch.ray_pool import actor_options
from desktop_app.services.batch.work import EngineSettings
from desktop_app.speakers.models import SpeakerModel
from tests.batch import faults
from tests.batch.conftest import options, write_recordings
from tests.speakers.conftest import ge2e_model, two_voices  # noqa: F401 (fixtures)

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.ray


@pytest.fixture(scope="module")
def ray_session() -> object:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def shard_texts(out: Path) -> dict[str, list[tuple]]:
    folder = RunFolder(out)
    return {
        Path(k).name: [
            (r["start_ms"], r["end_ms"], r["text"], r["confidence"], r["words"])
            for r in folder.read_shard(e.shard)
        ]
        for k, e in folder.load().files.items()
        if e.status == "done"
    }


def test_ray_actors_match_the_local_pool_and_survive_a_kill(
    ray_session: object, tmp_path: Path, tiny_registry: ModelRegistry
) -> None:
    folder = tmp_path / "archive"
    write_recordings(folder, 4)
    (folder / "broken.wav").write_bytes(b"not audio at all")
    markers = tmp_path / "markers"
    markers.mkdir()
    killer = functools.partial(faults.die_once_on, str(markers), "rec1.flac")
    on_ray = run_batch(
        folder, tmp_path / "ray", options(engine="ray"), registry=tiny_registry, task_fn=killer
    )
    assert len(list(markers.glob("killed-rec1.flac-*"))) == 1  # an actor really died
    assert on_ray.counts() == {"pending": 0, "done": 4, "failed": 1}
    assert on_ray.engine == "ray"
    local = run_batch(folder, tmp_path / "local", options(workers=1), registry=tiny_registry)
    assert local.counts() == on_ray.counts()
    assert shard_texts(tmp_path / "ray") == shard_texts(tmp_path / "local")


def test_actors_ask_for_gpus_only_where_there_are_some() -> None:
    cuda = EngineSettings("m", "id", "fast", "kk", device="cuda")
    cpu = EngineSettings("m", "id", "fast", "kk", device="cpu")
    assert actor_options(cuda, {"CPU": 8.0, "GPU": 2.0}, 1.0)["num_gpus"] == 1
    assert actor_options(cuda, {"CPU": 8.0}, 1.0)["num_gpus"] == 0  # the engine falls back
    assert actor_options(cpu, {"CPU": 8.0, "GPU": 2.0}, 2.0) == {
        "num_cpus": 2.0,
        "num_gpus": 0,
        "max_restarts": 2,
        "max_task_retries": 2,
    }


def test_ray_actors_share_the_pieces_of_a_long_file(
    ray_session: object,
    tmp_path: Path,
    tiny_registry: ModelRegistry,
    long_recording: tuple[Path, list[float]],
) -> None:
    folder = tmp_path / "archive"
    folder.mkdir()
    shutil.copy(long_recording[0], folder / "interview.wav")
    chunked = {"vad": True, "chunk_seconds": 15.0}
    on_ray = run_batch(
        folder, tmp_path / "ray", options(engine="ray", **chunked), registry=tiny_registry
    )
    entry = on_ray.files[str(folder / "interview.wav")]
    assert entry.status == "done" and entry.chunks and len(entry.chunks) >= 4
    local = run_batch(folder, tmp_path / "local", options(**chunked), registry=tiny_registry)
    spans = [(c["start_s"], c["end_s"]) for c in entry.chunks]
    assert spans == [(c["start_s"], c["end_s"]) for c in local.files[entry.path].chunks or []]
    assert shard_texts(tmp_path / "ray") == shard_texts(tmp_path / "local")


def test_diarize_task_on_ray_actors(
    ray_session: object,
    tmp_path: Path,
    ge2e_model: SpeakerModel,  # noqa: F811
    two_voices: tuple[Path, list[tuple[float, float, str]]],  # noqa: F811
) -> None:
    folder = tmp_path / "archive"
    folder.mkdir()
    shutil.copy(two_voices[0], folder / "a.wav")
    (folder / "broken.wav").write_bytes(b"not audio")
    models = Models(speakers=ge2e_model.folder.parent)
    on_ray = run_batch(
        folder, tmp_path / "ray", options(engine="ray", task="diarize"), models=models
    )
    local = run_batch(folder, tmp_path / "local", options(task="diarize"), models=models)
    assert on_ray.counts() == local.counts() == {"pending": 0, "done": 1, "failed": 1}
    rows = [
        RunFolder(tmp_path / d).read_shard(m.files[str(folder / "a.wav")].shard or "")
        for d, m in (("ray", on_ray), ("local", local))
    ]
    assert rows[0] == rows[1] and len({r["speaker"] for r in rows[0]}) >= 2
