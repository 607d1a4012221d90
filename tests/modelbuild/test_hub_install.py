"""Installing from a (local, fake) Hub end to end: download → convert → install → transcribe.

The download runs in the build subprocess as it does for users; the fake Hub
(:mod:`tests.hub_server`) serves a tiny random Whisper the tests made.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from desktop_app.asr import hub_install
from desktop_app.asr.catalog import get_entry
from desktop_app.asr.registry import ModelRegistry
from desktop_app.core.errors import Cancelled, ModelError
from desktop_app.core.jobs import JobState
from tests.hub_server import LFS_THRESHOLD, FakeHub, FakeRepo

REPO = "org/tiny-whisper-kk"


@pytest.fixture
def hub(tiny_hf: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeHub]:
    server = FakeHub({REPO: FakeRepo.from_folder(tiny_hf)}).start()
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    yield server
    server.stop()


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(tmp_path / "models")


@pytest.fixture
def catalog_entry(monkeypatch: pytest.MonkeyPatch):
    """The catalog's Kazakh Whisper entry, pointed at the fake Hub's tiny model."""
    entry = replace(get_entry("whisper-base-kk"), repo_id=REPO, revision=None)
    monkeypatch.setattr(hub_install, "get_entry", lambda _id: entry)
    return entry


def _state() -> tuple[JobState, list[tuple[float, str]]]:
    seen: list[tuple[float, str]] = []
    return JobState(on_progress=lambda f, t: seen.append((f, t)), min_interval=0.0), seen


def test_catalog_install_downloads_converts_and_records_checksums(
    hub: FakeHub, registry: ModelRegistry, catalog_entry, tiny_hf: Path
) -> None:
    state, seen = _state()
    manifest = registry.install_catalog(catalog_entry.id, state)
    assert manifest.catalog_id == "whisper-base-kk"
    assert manifest.source_ref == f"{REPO}@{hub.repos[REPO].commit}"
    # Large (LFS) files against the Hub's sha256, small ones against their git blob id.
    for f in manifest.source_files:
        lfs = f["size"] >= LFS_THRESHOLD
        assert f["checked_against"] == ("hub-sha256" if lfs else "git-blob-sha1"), f
    assert {"model.safetensors", "config.json"} <= {f["name"] for f in manifest.source_files}
    assert any(f["checked_against"] == "git-blob-sha1" for f in manifest.source_files)
    assert registry.installed_catalog() == {"whisper-base-kk": manifest.id}
    card = (registry.path(manifest.id) / "model_card.md").read_text("utf-8")
    assert "| WER | 15.36 % | KSC2 test | yes |" in card and hub.repos[REPO].commit in card
    assert any(t.startswith("Downloading model.safetensors:") for _, t in seen)
    assert seen[-1][0] == 1.0
    # The download folder goes once the model is installed; the version works.
    assert hub_install.partial_bytes(registry, catalog_entry.id) == 0
    registry.verify(manifest.id)
    # The checkpoint stays with the version, so the learning loop can fine-tune it.
    from desktop_app.services.learning_loop import base_checkpoint

    hf, rebuild = base_checkpoint(registry, manifest)
    assert hf == registry.path(manifest.id) / "hf" and not rebuild
    assert (hf / "model.safetensors").read_bytes() == (tiny_hf / "model.safetensors").read_bytes()
    assert not (hf / ".jazba-download.json").exists()
    from desktop_app.asr.transcribe import WhisperOnnx

    engine = WhisperOnnx(registry.path(manifest.id))
    segments, info = engine.transcribe(np.zeros(16000, np.float32))
    list(segments)
    assert info.duration == 1.0


def test_cancel_keeps_the_partial_download_and_a_second_install_resumes(
    hub: FakeHub, registry: ModelRegistry, catalog_entry
) -> None:
    hub.throttle_s = 0.05
    state, seen = _state()
    folder = hub_install.download_dir(registry, catalog_entry.id)

    def cancel_when_some_arrived() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            part = folder / "model.safetensors.part"
            if part.is_file() and part.stat().st_size > 100_000:
                state.cancel()
                return
            time.sleep(0.02)

    watcher = threading.Thread(target=cancel_when_some_arrived)
    watcher.start()
    with pytest.raises(Cancelled):
        registry.install_catalog(catalog_entry.id, state)
    watcher.join()
    kept = registry.partial_download(catalog_entry.id)
    assert kept > 100_000 and registry.versions() == []

    hub.throttle_s = 0.0
    hub.requests.clear()
    state, seen = _state()
    manifest = registry.install_catalog(catalog_entry.id, state)
    assert seen[0][1].startswith("Resuming the download")
    ranges = [r for m, p, r in hub.requests if p.endswith("model.safetensors") and m == "GET"]
    assert len(ranges) == 1 and ranges[0] != "bytes=0-"
    assert registry.installed_catalog() == {catalog_entry.id: manifest.id}


def test_killed_download_subprocess_resumes(hub: FakeHub, tmp_path: Path) -> None:
    """kill -9 of the build subprocess mid-file; the next run fetches only the rest."""
    hub.throttle_s = 0.05
    out = tmp_path / "dl"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    cmd = [sys.executable, "-m", "desktop_app.modelbuild", "download-hub", REPO, str(out)]
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    part = out / "model.safetensors.part"
    deadline = time.monotonic() + 60
    while not (part.is_file() and part.stat().st_size > 100_000) and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    have = part.stat().st_size
    hub.throttle_s = 0.0
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    size = len(hub.repos[REPO].files["model.safetensors"])
    assert (out / "model.safetensors").read_bytes() == hub.repos[REPO].files["model.safetensors"]
    ranges = [r for m, p, r in hub.requests if p.endswith("model.safetensors") and m == "GET"]
    assert ranges[-1] == f"bytes={have}-" and have < size


def test_a_bad_checksum_installs_nothing(
    hub: FakeHub, registry: ModelRegistry, catalog_entry
) -> None:
    hub.corrupt.add("model.safetensors")
    with pytest.raises(ModelError, match="does not match the checksum"):
        registry.install_catalog(catalog_entry.id, JobState())
    assert registry.versions() == []


def test_gated_model_needs_and_takes_a_token(
    hub: FakeHub, registry: ModelRegistry, catalog_entry
) -> None:
    hub.repos[REPO].gated = True
    with pytest.raises(ModelError, match=r"gated.*token"):
        registry.install_catalog(catalog_entry.id, JobState())
    manifest = registry.install_catalog(catalog_entry.id, JobState(), token=hub.token)
    assert manifest.catalog_id == catalog_entry.id


def test_any_hub_id_installs_too(hub: FakeHub, registry: ModelRegistry) -> None:
    manifest = registry.import_hub(REPO, JobState())
    assert manifest.source == "hf-hub" and manifest.catalog_id is None
    assert {f["name"] for f in manifest.source_files} >= {"config.json", "model.safetensors"}


def make_tiny_lora(base: Path, out: Path) -> Path:
    """A LoRA adapter for the tiny Whisper whose update is not zero (so merging shows)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import WhisperForConditionalGeneration

    torch.manual_seed(1)
    model = WhisperForConditionalGeneration.from_pretrained(base)
    peft_model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj"]))
    with torch.no_grad():
        for name, param in peft_model.named_parameters():
            if "lora_B" in name:
                param.normal_(0.0, 0.2)
    peft_model.save_pretrained(out)
    return out


def test_merge_lora_folds_the_update_into_the_base(tiny_hf: Path, tmp_path: Path) -> None:
    import torch
    from transformers import WhisperForConditionalGeneration

    from desktop_app.modelbuild.lora_merge import merge_lora

    adapter = make_tiny_lora(tiny_hf, tmp_path / "adapter")
    merged_dir = merge_lora(tiny_hf, adapter, tmp_path / "merged")
    base = WhisperForConditionalGeneration.from_pretrained(tiny_hf).state_dict()
    merged = WhisperForConditionalGeneration.from_pretrained(merged_dir).state_dict()
    key = "model.encoder.layers.0.self_attn.q_proj.weight"
    assert not torch.allclose(base[key], merged[key])
    same = "model.encoder.layers.0.self_attn.k_proj.weight"  # not adapted: unchanged
    assert torch.equal(base[same], merged[same])
    assert (merged_dir / "tokenizer.json").is_file()  # the base's processor files came along


def test_an_adapter_entry_downloads_its_base_and_installs_the_merge(
    hub: FakeHub,
    registry: ModelRegistry,
    tiny_hf: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    adapter = make_tiny_lora(tiny_hf, tmp_path / "adapter")
    hub.repos["org/tiny-lora"] = FakeRepo.from_folder(adapter)
    entry = replace(
        get_entry("whisper-turbo-kk-ru"),
        repo_id="org/tiny-lora",
        revision=None,
        base_repo=REPO,
        base_revision=None,
    )
    monkeypatch.setattr(hub_install, "get_entry", lambda _id: entry)
    manifest = registry.install_catalog(entry.id, JobState())
    assert manifest.catalog_id == "whisper-turbo-kk-ru"
    assert {f["name"] for f in manifest.source_files} >= {"adapter_model.safetensors"}
    assert hub_install.partial_bytes(registry, entry.id) == 0
    registry.verify(manifest.id)
    merged = registry.path(manifest.id) / "hf"  # the merged checkpoint, for fine-tuning
    assert (merged / "model.safetensors").is_file() and (merged / "tokenizer.json").is_file()


def test_a_kept_download_can_be_discarded(registry: ModelRegistry) -> None:
    folder = hub_install.download_dir(registry, "whisper-base-kk")
    folder.mkdir(parents=True)
    (folder / "model.safetensors.part").write_bytes(b"x" * 1000)
    assert registry.partial_download("whisper-base-kk") == 1000
    registry.discard_download("whisper-base-kk")
    assert registry.partial_download("whisper-base-kk") == 0 and not folder.exists()


def test_the_mms_entry_fetches_only_its_adapter_and_transcribes(
    hub: FakeHub,
    registry: ModelRegistry,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The catalog's MMS entry on a tiny MMS: the Kazakh adapter only, language kk, word times."""
    from desktop_app.asr.engines import load_engine
    from tests.asr.ctc_model import build_tiny_mms_hf

    hub.repos["org/tiny-mms"] = FakeRepo.from_folder(build_tiny_mms_hf(tmp_path / "mms"))
    entry = replace(get_entry("mms-1b-all-kaz"), repo_id="org/tiny-mms", revision=None)
    monkeypatch.setattr(hub_install, "get_entry", lambda _id: entry)
    manifest = registry.install_catalog(entry.id, JobState())
    fetched = {f["name"] for f in manifest.source_files}
    assert "adapter.kaz.safetensors" in fetched and "adapter.eng.safetensors" not in fetched
    assert manifest.format == "ctc-onnx/1" and manifest.languages == ["kk"]
    assert (registry.path(manifest.id) / "hf" / "adapter.kaz.safetensors").is_file()
    engine = load_engine(registry.path(manifest.id), device="cpu")
    rng = np.random.default_rng(0)
    segments, info = engine.transcribe(rng.normal(0, 0.1, 32000).astype(np.float32))
    assert info.language == "kk" and info.duration == 2.0
    for seg in list(segments):
        assert seg.language == "kk"
        assert all(not w.estimated for w in seg.words)
