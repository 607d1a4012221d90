"""``jazba models`` over the registry: install a local folder, list, refuse a non-model."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from desktop_app.cli.main import app

runner = CliRunner()


def test_install_local_onnx_folder_then_list(tiny_onnx: Path) -> None:
    res = runner.invoke(app, ["models", "install", str(tiny_onnx), "--name", "tiny", "-q"])
    assert res.exit_code == 0, res.output
    assert "Installed" in res.output and "(tiny)" in res.output
    listed = runner.invoke(app, ["models", "list"]).output
    assert "* " in listed and "tiny" in listed


def test_install_folder_without_a_model_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("no model here")
    res = runner.invoke(app, ["models", "install", str(tmp_path)])
    assert res.exit_code == 1
    assert "holds no Whisper model" in res.output and "Traceback" not in res.output
