"""The model registry: installing, checksums, active version, bad inputs, cancel."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from desktop_app.asr.manifest import REQUIRED_FILES, ModelSource, sha256_file
from desktop_app.asr.registry import ModelRegistry
from desktop_app.core.errors import Cancelled, ModelError
from desktop_app.core.jobs import JobState
from desktop_app.modelbuild import launcher


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(tmp_path / "models")


def _recording_state() -> tuple[JobState, list[tuple[float, str]]]:
    seen: list[tuple[float, str]] = []
    return JobState(on_progress=lambda f, t: seen.append((f, t)), min_interval=0.0), seen


def _leftovers(registry: ModelRegistry) -> list[Path]:
    staging = registry.root / ".staging"
    return list(staging.iterdir()) if staging.exists() else []


def test_default_root_follows_jazba_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JAZBA_DATA_DIR", str(tmp_path / "data"))
    assert ModelRegistry().root == tmp_path / "data" / "models"
    assert ModelRegistry().versions() == []


def test_import_onnx_dir_writes_manifest_with_checksums(
    registry: ModelRegistry, tiny_onnx: Path
) -> None:
    manifest = registry.import_onnx_dir(tiny_onnx, name="Tiny test", notes="random weights")
    folder = registry.path(manifest.id)
    assert manifest.id.startswith("tiny-test-")
    assert manifest.source == ModelSource.ONNX_DIR == "onnx-dir"
    assert manifest.source_ref == str(tiny_onnx.resolve())
    assert manifest.languages == ["en", "kk", "ru"]
    assert {f.name for f in manifest.files} >= set(REQUIRED_FILES)
    for entry in manifest.files:
        assert entry.sha256 == sha256_file(folder / entry.name)
        assert entry.size == (folder / entry.name).stat().st_size
    on_disk = json.loads((folder / "manifest.json").read_text())
    assert on_disk["id"] == manifest.id and on_disk["parent_id"] is None
    assert on_disk["created_at"].endswith("+00:00")
    assert registry.get(manifest.id) == manifest
    assert [m.id for m in registry.versions()] == [manifest.id]
    assert registry.active_id() == manifest.id  # the first model becomes active
    assert registry.verify(manifest.id) == manifest
    assert _leftovers(registry) == []


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda p: p.write_bytes(p.read_bytes()[:-1] + b"x"), "'config.json' does not match"),
        (lambda p: p.unlink(), "'config.json' is missing"),
    ],
)
def test_verify_names_the_damaged_file(
    registry: ModelRegistry, tiny_onnx: Path, damage: Any, message: str
) -> None:
    manifest = registry.import_onnx_dir(tiny_onnx)
    damage(registry.path(manifest.id) / "config.json")
    with pytest.raises(ModelError, match=message):
        registry.verify(manifest.id)


def test_active_rollback_and_remove(registry: ModelRegistry, tiny_onnx: Path) -> None:
    base = registry.import_onnx_dir(tiny_onnx, name="base")
    tuned = registry.import_onnx_dir(
        tiny_onnx, name="tuned", parent_id=base.id, metrics={"wer_kk": 0.41}
    )
    other = registry.import_onnx_dir(tiny_onnx, name="other")
    assert tuned.parent_id == base.id and tuned.metrics == {"wer_kk": 0.41}
    registry.set_active(other.id)
    registry.set_active(tuned.id)
    assert registry.active_id() == tuned.id
    assert registry.rollback().id == base.id  # the parent wins over the previous one
    assert registry.rollback().id == other.id  # base has no parent: previous active

    with pytest.raises(ModelError, match="in use"):
        registry.remove(other.id)
    registry.remove(tuned.id)
    assert {m.id for m in registry.versions()} == {base.id, other.id}
    with pytest.raises(ModelError, match="No installed model"):
        registry.get(tuned.id)
    registry.update(base.id, metrics={"wer_en": 0.1}, notes="checked")
    assert registry.get(base.id).metrics == {"wer_en": 0.1}
    assert _leftovers(registry) == []


def test_unknown_parent_is_refused(registry: ModelRegistry, tiny_onnx: Path) -> None:
    with pytest.raises(ModelError, match="No installed model has the id 'nope'"):
        registry.import_onnx_dir(tiny_onnx, parent_id="nope")
    assert registry.versions() == []


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda d: (d / "decoder_model_merged.onnx").unlink(), "decoder_model_merged.onnx missing"),
        (
            lambda d: (d / "encoder_model.onnx").write_bytes(b"garbage"),
            "'encoder_model.onnx' is not",
        ),
        (lambda d: (d / "tokenizer.json").write_text("{"), "'tokenizer.json' is not a valid"),
        (lambda d: (d / "config.json").write_text("[1]"), "'config.json' is not a JSON object"),
    ],
)
def test_bad_onnx_dirs_are_refused(
    registry: ModelRegistry, tiny_onnx: Path, tmp_path: Path, breakage: Any, message: str
) -> None:
    folder = shutil.copytree(tiny_onnx, tmp_path / "bad")
    breakage(folder)
    with pytest.raises(ModelError, match=message):
        registry.import_onnx_dir(folder)
    assert registry.versions() == []


def test_unsupported_model_type_is_named(
    registry: ModelRegistry, tiny_hf: Path, tiny_onnx: Path, tmp_path: Path, json_edit: Any
) -> None:
    for src in (tiny_hf, tiny_onnx):
        folder = shutil.copytree(src, tmp_path / src.name)
        json_edit(folder / "config.json", model_type="bert")
        importer = registry.import_onnx_dir if src is tiny_onnx else None
        with pytest.raises(ModelError, match="model type is 'bert'"):
            if importer is not None:
                importer(folder)
            else:
                registry.import_hf_dir(folder, JobState())


def test_missing_inputs_fail_before_any_subprocess(
    registry: ModelRegistry, tiny_hf: Path, tiny_ct2: Path, tmp_path: Path
) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        registry.import_hf_dir(tmp_path / "nowhere", JobState())
    hf = shutil.copytree(tiny_hf, tmp_path / "hf")
    (hf / "model.safetensors").unlink()
    with pytest.raises(ModelError, match="no model weights"):
        registry.import_hf_dir(hf, JobState())
    ct2 = shutil.copytree(tiny_ct2, tmp_path / "ct2")
    (ct2 / "model.bin").unlink()
    with pytest.raises(ModelError, match=r"model\.bin missing"):
        registry.import_ct2_dir(ct2, JobState())


def test_import_hf_dir_builds_in_a_subprocess(registry: ModelRegistry, tiny_hf: Path) -> None:
    state, seen = _recording_state()
    manifest = registry.import_hf_dir(tiny_hf, state, name="Tiny HF")
    assert manifest.source == "hf-local-dir"
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any("ONNX" in text for _, text in seen)
    registry.verify(manifest.id)
    assert _leftovers(registry) == []


def test_import_ct2_dir_converts_and_exports(registry: ModelRegistry, tiny_ct2: Path) -> None:
    manifest = registry.import_ct2_dir(tiny_ct2, JobState())
    assert manifest.source == "ct2-dir" and manifest.languages == ["en", "kk", "ru"]
    registry.verify(manifest.id)


def test_build_failure_leaves_nothing(
    registry: ModelRegistry, tiny_ct2: Path, tmp_path: Path
) -> None:
    ct2 = shutil.copytree(tiny_ct2, tmp_path / "ct2")
    data = (ct2 / "model.bin").read_bytes()
    (ct2 / "model.bin").write_bytes(data[: len(data) // 3])
    with pytest.raises(ModelError, match=r"'model\.bin' is truncated or corrupt"):
        registry.import_ct2_dir(ct2, JobState())
    assert registry.versions() == [] and _leftovers(registry) == []


def test_cancel_kills_the_build_and_leaves_nothing(
    registry: ModelRegistry, tiny_ct2: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[subprocess.Popen[str]] = []
    real_popen = subprocess.Popen

    def recording_popen(*args: Any, **kwargs: Any) -> subprocess.Popen[str]:
        started.append(real_popen(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(launcher.subprocess, "Popen", recording_popen)
    state = JobState(min_interval=0.0)
    state.on_progress = lambda _f, _t: state.cancel()  # cancel on the first progress line
    with pytest.raises(Cancelled):
        registry.import_ct2_dir(tiny_ct2, state)
    assert len(started) == 1 and started[0].poll() is not None
    assert registry.versions() == [] and _leftovers(registry) == []


def test_hub_snapshot_in_onnx_layout(
    registry: ModelRegistry, tiny_onnx: Path, tmp_path: Path
) -> None:
    """What ``import_hub`` does after the download (the download itself needs the network)."""
    snapshot = tmp_path / "snapshot"
    (snapshot / "onnx").mkdir(parents=True)
    for path in tiny_onnx.iterdir():
        target = snapshot / "onnx" if path.suffix == ".onnx" else snapshot
        shutil.copyfile(path, target / path.name)
    manifest = registry.install_snapshot(snapshot, JobState(), "org/tiny", "org/tiny@main")
    assert (manifest.source, manifest.source_ref) == ("hf-hub", "org/tiny@main")


def test_hub_download_failure_is_a_model_error(
    registry: ModelRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelError, match="HF_HUB_OFFLINE is set"):
        registry.import_hub("org/does-not-exist", JobState())
    assert registry.versions() == [] and _leftovers(registry) == []


def test_registry_import_loads_no_torch() -> None:
    code = (
        "import sys, desktop_app.asr.registry;"
        "print(','.join(m for m in ('torch', 'transformers', 'optimum') if m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
