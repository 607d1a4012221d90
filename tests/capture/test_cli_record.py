"""``jazba record``: headless capture, Ctrl+C, recovery, no device."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from desktop_app.cli.main import app
from desktop_app.core.capture import Journal, recording_speakers, synthetic_samples
from desktop_app.core.capture import sources as sources_mod
from desktop_app.core.capture.project_recording import IN_PROGRESS_DIR
from desktop_app.core.capture.wavstream import WavAppender
from desktop_app.core.project import Project
from desktop_app.core.services.recordings import RecordingService
from tests.capture.conftest import assert_matches_signal, read_int16

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    with Project.create(tmp_path / "field") as project:
        return project.path


def test_record_for_a_duration_as_flac(folder: Path) -> None:
    result = runner.invoke(
        app,
        [
            "record",
            str(folder),
            "--test-signal",
            "--rate",
            "16000",
            "--duration",
            "1.25",
            "--format",
            "flac",
            "--speaker",
            "Айгүл",
            "--speaker",
            "Ерлан",
            "--place",
            "Алматы",
            "--consent",
            "oral, on tape",
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Saved #1" in result.output and "dropped 0 block(s)" in result.output
    with Project.open(folder) as project:
        (rec,) = RecordingService(project).list()
        assert rec.duration_ms == 1250 and rec.format == "FLAC" and rec.origin == "recorded"
        assert (rec.place, rec.consent) == ("Алматы", "oral, on tape")
        assert recording_speakers(project, rec.id) == ["Айгүл", "Ерлан"]
        assert_matches_signal(read_int16(project.abspath(rec.audio_path)), 16_000)
        assert not list((folder / IN_PROGRESS_DIR).iterdir())


def test_ctrl_c_stops_and_saves(folder: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "desktop_app.cli.main", "record", str(folder), "--test-signal"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 30
    while not list((folder / IN_PROGRESS_DIR).glob("*.wav")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Saved #1" in out
    with Project.open(folder) as project:
        (rec,) = RecordingService(project).list()
        assert 800 <= rec.duration_ms <= 5000
        assert_matches_signal(read_int16(project.abspath(rec.audio_path)), 48_000)


def test_recover_imports_what_a_crash_left(folder: Path) -> None:
    (folder / IN_PROGRESS_DIR).mkdir()
    wav = folder / IN_PROGRESS_DIR / "rec-20260714-101500-abcdef.wav"
    writer = WavAppender(wav, 16_000, 1)
    writer.append(synthetic_samples(0, 20_000, 16_000))
    os.close(writer.fd)  # killed before any header sync
    Journal(wav.name, 16_000, 1, "2026-07-14T10:15:00").save(wav.with_suffix(".json"))
    result = runner.invoke(app, ["record", str(folder), "--recover", "-q"])
    assert result.exit_code == 0, result.output
    assert "Recovered unfinished recording 'rec-20260714-101500-abcdef.wav' as #1" in result.output
    with Project.open(folder) as project:
        (rec,) = RecordingService(project).list()
        assert rec.origin == "recovered" and rec.duration_ms == 1250
        assert rec.recorded_on == "2026-07-14"


def test_no_input_device(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class NoDevices:
        default = type("D", (), {"device": [-1, -1]})()
        query_devices = staticmethod(list)
        query_hostapis = staticmethod(list)

    monkeypatch.setattr(sources_mod, "_sounddevice", lambda: NoDevices)
    result = runner.invoke(app, ["record", str(folder)])
    assert result.exit_code == 1
    assert "No microphone or other audio input was found" in result.output
    listed = runner.invoke(app, ["record", str(folder), "--list-devices"])
    assert "No audio input device found." in listed.output
    assert not list((folder / IN_PROGRESS_DIR).glob("*.wav"))


def test_record_24_bit(folder: Path) -> None:
    result = runner.invoke(
        app, ["record", str(folder), "--test-signal", "--rate", "16000", "--bits", "24",
              "--duration", "0.5", "-q"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with Project.open(folder) as project:
        (rec,) = RecordingService(project).list()
        path = project.abspath(rec.audio_path)
        assert sf.info(path).subtype == "PCM_24"
        data, _ = sf.read(path, dtype="int32", always_2d=True)
        assert np.array_equal(data, synthetic_samples(0, 8000, 16_000, 1, bits=24))


def test_bad_options(folder: Path) -> None:
    result = runner.invoke(app, ["record", str(folder), "--rate", "22050", "--test-signal"])
    assert result.exit_code == 2 and "16000" in result.output
    result = runner.invoke(app, ["record", str(folder), "--bits", "20", "--test-signal"])
    assert result.exit_code == 2 and "16 or 24" in result.output
