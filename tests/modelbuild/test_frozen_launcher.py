"""Job subprocesses from a frozen (PyInstaller) Jazba, where sys.executable is the app."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

from desktop_app.core.errors import ModelError
from desktop_app.core.jobs import JobState
from desktop_app.modelbuild import launcher
from desktop_app.modelbuild.launcher import RUN_MODULE_FLAG, job_command, run_modelbuild


@pytest.fixture
def frozen_app(tmp_path: Path) -> Path:
    """A stand-in for the bundled ``jazba`` program: it runs Jazba's entry point
    (``desktop_app/__main__.py``, as the bundle does) and, like the bundle,
    knows nothing of Python's ``-m``."""
    app = tmp_path / "jazba"
    app.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "-m" ]; then echo "jazba: unknown option -m" >&2; exit 2; fi\n'
        f'exec "{sys.executable}" -m desktop_app "$@"\n',
        encoding="utf-8",
    )
    app.chmod(app.stat().st_mode | stat.S_IXUSR)
    return app


def test_command_line_in_frozen_and_normal_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["export-onnx", "hf", "out"]
    assert job_command("desktop_app.modelbuild", args) == [
        sys.executable,
        "-m",
        "desktop_app.modelbuild",
        *args,
    ]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/jazba/jazba")
    assert job_command("desktop_app.training", args) == [
        "/opt/jazba/jazba",
        RUN_MODULE_FLAG,
        "desktop_app.training",
        *args,
    ]
    # an explicit interpreter (a separate training environment) is used as such
    assert job_command("desktop_app.modelbuild", args, python="/venv/bin/python")[:2] == [
        "/venv/bin/python",
        "-m",
    ]


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in app is a shell script")
def test_frozen_app_runs_the_job_module_and_reports_its_messages(
    monkeypatch: pytest.MonkeyPatch, frozen_app: Path, tmp_path: Path
) -> None:
    monkeypatch.setattr(sys, "executable", str(frozen_app))
    args = ["convert-ct2", str(tmp_path / "missing"), str(tmp_path / "out")]
    # without frozen mode the launcher would pass -m, which the app refuses
    with pytest.raises(ModelError, match="stopped unexpectedly"):
        run_modelbuild(args, JobState())
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    # the child started, spoke the JSON-lines protocol and its own error came back
    with pytest.raises(ModelError, match="is not a CTranslate2 model folder"):
        run_modelbuild(args, JobState())


def test_run_module_argv(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not launcher.run_module_argv(["jazba", "gui"])
    assert not launcher.run_module_argv(["jazba"])
    with pytest.raises(SystemExit, match="not a Jazba module"):
        launcher.run_module_argv(["jazba", RUN_MODULE_FLAG, "os", "x"])
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    ran: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(
        "runpy.run_module",
        lambda name, run_name, alter_sys: ran.append((name, list(sys.argv))),
    )
    assert launcher.run_module_argv(["jazba", RUN_MODULE_FLAG, "desktop_app.unitlm", "a", "b"])
    assert ran == [("desktop_app.unitlm", ["desktop_app.unitlm", "a", "b"])]
