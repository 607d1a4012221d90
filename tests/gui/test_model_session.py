"""The speech model is loaded once per app session, not per job, and the
window says what it is doing while it loads."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.fake_engine import FakeEngine, fake_registry


class CountingAsr:
    """An installed fake model whose engine takes ``load_s`` to build; counts builds."""

    def __init__(self, load_s: float = 0.4) -> None:
        self.load_s = load_s
        self.built: list[tuple] = []

    def install(self, monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
        from desktop_app.services import transcription

        folder.mkdir(exist_ok=True)
        outer = self

        def build(model_dir, device="auto", threads=None, quantized=False):
            time.sleep(outer.load_s)  # ONNX sessions take seconds to build
            outer.built.append((str(model_dir), device, threads, quantized))
            return FakeEngine()

        monkeypatch.setattr(transcription, "ModelRegistry", fake_registry(folder, "Fake model"))
        monkeypatch.setattr(transcription, "load_engine", build)
        monkeypatch.setattr(transcription, "_DEFAULT_CACHE", transcription.EngineCache())


@pytest.fixture
def asr(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CountingAsr:
    a = CountingAsr()
    a.install(monkeypatch, tmp_path / "fake-model")
    return a


def _transcribe(window, qtbot):
    messages: list[str] = []
    job = window.ops.transcribe_current()
    job.changed.connect(lambda: messages.append(job.message))
    qtbot.waitUntil(lambda: job.status.finished, timeout=15_000)
    assert job.status.value == "done", job.error
    return job, messages


def test_two_jobs_in_a_row_build_one_engine(window, qtbot, asr) -> None:
    """No model was installed when the window opened (no pre-load): the first
    job loads it and says so; the second reuses it."""
    from desktop_app.services import transcription

    first, messages = _transcribe(window, qtbot)
    assert len(asr.built) == 1
    assert "Loading Fake model… (once per session)" in messages
    second, messages = _transcribe(window, qtbot)
    assert len(asr.built) == 1  # the second job constructed no engine
    assert transcription.default_engines().loads == 1
    assert not any("once per session" in m for m in messages)
    assert second.result.added == first.result.added > 0


def test_the_model_is_preloaded_when_a_project_opens(make_window, project_path, qtbot, asr):
    window = make_window(project_path)
    assert window.statusBar().currentMessage() == "Loading Fake model… (once per session)"
    qtbot.waitUntil(lambda: len(asr.built) == 1, timeout=5000)
    qtbot.waitUntil(lambda: "is loaded and ready" in window.statusBar().currentMessage())
    _job, messages = _transcribe(window, qtbot)
    assert len(asr.built) == 1
    assert not any("once per session" in m for m in messages)  # nothing to wait for
    window.close()


def test_a_job_started_during_the_preload_waits_for_it(make_window, project_path, qtbot, asr):
    asr.load_s = 1.0
    window = make_window(project_path)
    _job, messages = _transcribe(window, qtbot)  # starts while the pre-load is running
    assert len(asr.built) == 1  # one load, shared
    assert "Loading Fake model… (once per session)" in messages
    window.close()


def test_switching_projects_keeps_the_engine(make_window, project_path, tmp_path, qtbot, asr):
    import shutil

    window = make_window(project_path)
    qtbot.waitUntil(lambda: len(asr.built) == 1, timeout=5000)
    other = tmp_path / "other.jazba"
    shutil.copytree(project_path, other)
    assert window.ops.open_project(other)
    _transcribe(window, qtbot)
    assert len(asr.built) == 1
    window.close()
