"""Offline model bundles: pack on one computer, install on another with no network."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from desktop_app.asr.bundles import HEADER, SUFFIX
from desktop_app.asr.registry import ModelRegistry
from desktop_app.cli.main import app
from desktop_app.core.errors import ModelError
from desktop_app.core.jobs import JobState


@pytest.fixture
def source(tmp_path: Path, tiny_onnx: Path) -> tuple[ModelRegistry, str]:
    reg = ModelRegistry(tmp_path / "online" / "models")
    manifest = reg.import_onnx_dir(tiny_onnx, name="Tiny kk", extra_text={"model_card.md": "# c"})
    return reg, manifest.id


@pytest.fixture
def bundle(source: tuple[ModelRegistry, str], tmp_path: Path) -> Path:
    reg, model_id = source
    return reg.pack(model_id, tmp_path / "tiny", JobState())


def offline(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(tmp_path / "laptop" / "models")


def test_pack_and_install_keep_the_version_whole(
    bundle: Path, source: tuple[ModelRegistry, str], tmp_path: Path
) -> None:
    _reg, model_id = source
    assert bundle.name == "tiny" + SUFFIX
    laptop = offline(tmp_path)
    seen: list[str] = []
    manifest = laptop.install_bundle(bundle, JobState(on_progress=lambda f, t: seen.append(t)))
    assert manifest.id == model_id  # same id: projects that name it find it
    assert laptop.active_id() == model_id
    laptop.verify(model_id)
    assert (laptop.path(model_id) / "model_card.md").read_text() == "# c"
    assert seen[-1] == "Installed Tiny kk"
    with pytest.raises(ModelError, match="already installed"):
        laptop.install_bundle(bundle, JobState())


def _leftovers(reg: ModelRegistry) -> list[Path]:
    staging = reg.root / ".staging"
    return [p for p in staging.iterdir()] if staging.exists() else []


def test_a_truncated_bundle_is_refused_and_leaves_nothing(bundle: Path, tmp_path: Path) -> None:
    data = bundle.read_bytes()
    with tarfile.open(bundle) as tar:
        last = tar.getmembers()[-1]
    # In the table of contents, in the weights, in the middle of the last file.
    for cut in (100, len(data) // 3, last.offset_data + last.size // 2):
        broken = tmp_path / f"cut{cut}{SUFFIX}"
        broken.write_bytes(data[:cut])
        laptop = offline(tmp_path)
        with pytest.raises(ModelError, match="not a usable model bundle"):
            laptop.install_bundle(broken, JobState())
        assert laptop.versions() == [] and _leftovers(laptop) == []


def test_a_flipped_byte_is_refused(bundle: Path, tmp_path: Path) -> None:
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0xFF  # inside the weights
    broken = tmp_path / f"flipped{SUFFIX}"
    broken.write_bytes(bytes(data))
    laptop = offline(tmp_path)
    with pytest.raises(ModelError, match="does not match its checksum"):
        laptop.install_bundle(broken, JobState())
    assert laptop.versions() == [] and _leftovers(laptop) == []


def test_entries_outside_the_folder_are_refused(bundle: Path, tmp_path: Path) -> None:
    evil = tmp_path / f"evil{SUFFIX}"
    with tarfile.open(bundle) as src, tarfile.open(evil, "w") as dst:
        for member in src:
            dst.addfile(member, src.extractfile(member))
        info = tarfile.TarInfo("model/../../escaped.txt")
        info.size = 0
        dst.addfile(info)
    laptop = offline(tmp_path)
    with pytest.raises(ModelError, match="unexpected entry"):
        laptop.install_bundle(evil, JobState())
    assert not (tmp_path / "laptop" / "escaped.txt").exists()
    assert laptop.versions() == []


def test_not_a_bundle_at_all(tmp_path: Path) -> None:
    junk = tmp_path / f"junk{SUFFIX}"
    junk.write_bytes(b"PK\x03\x04 this is a zip, not a bundle" * 100)
    with pytest.raises(ModelError, match="not a usable model bundle"):
        offline(tmp_path).install_bundle(junk, JobState())


def test_a_damaged_version_is_not_packed(source: tuple[ModelRegistry, str], tmp_path: Path) -> None:
    reg, model_id = source
    (reg.path(model_id) / "config.json").write_text("{}")
    with pytest.raises(ModelError, match="damaged"):
        reg.pack(model_id, tmp_path / "x", JobState())
    assert not list(tmp_path.glob("*" + SUFFIX)) and not list(tmp_path.glob(".*part"))


def test_the_header_lists_every_file_with_its_checksum(bundle: Path) -> None:
    with tarfile.open(bundle) as tar:
        header = json.loads(tar.extractfile(tar.next()).read())  # type: ignore[union-attr]
        members = [m.name for m in tar.getmembers()]
    assert members[0] == HEADER
    names = members[1:]
    assert sorted("model/" + f["name"] for f in header["files"]) == sorted(names)
    assert all(len(f["sha256"]) == 64 for f in header["files"])


def test_cli_pack_then_install_offline(
    source: tuple[ModelRegistry, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _reg, model_id = source
    runner = CliRunner()
    monkeypatch.setenv("JAZBA_DATA_DIR", str(tmp_path / "online"))
    out = tmp_path / f"carry{SUFFIX}"
    result = runner.invoke(app, ["models", "pack", model_id, str(out)])
    assert result.exit_code == 0, result.output
    assert "jazba models install carry.jazba-model" in result.output
    monkeypatch.setenv("JAZBA_DATA_DIR", str(tmp_path / "laptop"))
    result = runner.invoke(app, ["models", "install", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Installed {model_id}" in result.output
    result = runner.invoke(app, ["models", "list"])
    assert model_id in result.output


def test_cli_catalog_lists_the_kazakh_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("JAZBA_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["models", "catalog", "--language", "kk"])
    assert result.exit_code == 0, result.output
    assert "whisper-base-kk" in result.output and "WER 15.36 %" in result.output
    assert "unverified" in result.output  # the KRASR figure is a quotation
    russian = CliRunner().invoke(app, ["models", "catalog", "--language", "ru"]).output
    assert "whisper-turbo-kk-ru" in russian and "whisper-base-kk" not in russian
