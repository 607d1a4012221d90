"""The recorder in-process: throughput, drops, device loss, full disk, pause, markers."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from desktop_app.core.capture import (
    NO_DEVICE_MESSAGE,
    CaptureError,
    Journal,
    Recorder,
    RecorderOptions,
    SessionMeta,
    StopReason,
    SyntheticSource,
    finish_recording,
    list_input_devices,
    open_input,
    start_recording,
    synthetic_samples,
)
from desktop_app.core.capture import sources as sources_mod
from desktop_app.core.capture.levels import LiveVad
from desktop_app.core.errors import StorageError
from desktop_app.core.project import Project
from desktop_app.core.services.recordings import RecordingService
from tests.capture.conftest import FakeSoundDevice, assert_matches_signal, read_int16


def _recorder(tmp_path: Path, source: SyntheticSource, **options) -> Recorder:
    journal = Journal("t.wav", source.rate, source.channels, "2026-07-14T10:00:00")
    opts = RecorderOptions(**{"live_vad": False, **options})
    return Recorder(source, tmp_path / "t.wav", tmp_path / "t.json", journal, opts)


def test_one_hour_at_48k_drops_nothing(tmp_path: Path) -> None:
    """An hour of 48 kHz mono, 100 ms callbacks at 600x real time: every sample arrives."""
    rate, hour = 48_000, 48_000 * 3600
    source = SyntheticSource(rate, 1, block_frames=4800, speed=600.0, total_frames=hour)
    rec = _recorder(tmp_path, source, queue_seconds=1800.0, live_vad=True)
    t0 = time.monotonic()
    rec.start()
    result = rec.wait(120)
    wall = time.monotonic() - t0
    assert result is not None, "the recording did not finish"
    print(f"1 h at 48 kHz recorded in {wall:.1f} s; dropped {result.dropped_blocks}")
    assert result.stop_reason == StopReason.ENDED
    assert (result.dropped_blocks, result.dropped_frames, result.overflows) == (0, 0, 0)
    assert result.frames == hour
    assert os.path.getsize(tmp_path / "t.wav") == 44 + 2 * hour
    data = np.memmap(tmp_path / "t.wav", dtype="<i2", mode="r", offset=44).reshape(-1, 1)
    assert_matches_signal(data, rate)
    # the live VAD found the 3 s "utterances" of the test signal: 900 in an hour
    assert 890 <= len(result.utterances) <= 900


def test_dropped_callbacks_are_counted_and_the_timeline_kept(tmp_path: Path) -> None:
    """A writer that cannot keep up: the full queue drops blocks, counted, and
    silence of the same length keeps every later sample at its true time."""
    rate = 16_000
    source = SyntheticSource(rate, 1, block_frames=800, speed=0, total_frames=rate * 20)
    source.overflow_every = 50
    rec = _recorder(tmp_path, source, queue_seconds=1.0)
    slow_write = rec._write

    def write(block: np.ndarray) -> None:
        time.sleep(0.002)
        slow_write(block)

    rec._write = write  # type: ignore[method-assign]
    rec.start()
    result = rec.wait(60)
    assert result is not None
    assert result.dropped_blocks > 0
    assert result.dropped_frames == result.dropped_blocks * 800
    assert result.overflows == 20 * rate // 800 // 50
    journal = Journal.load(tmp_path / "t.json")
    assert journal.dropped_blocks == result.dropped_blocks
    data = read_int16(tmp_path / "t.wav")
    assert len(data) == rate * 20  # as long as the stream: drops became silence
    wrong = (data != synthetic_samples(0, len(data), rate)).any(axis=1)
    assert not data[wrong].any()  # every sample that differs is a filled-in zero
    assert 0 < wrong.sum() <= result.dropped_frames


def test_device_lost_stops_cleanly_keeping_everything(project: Project) -> None:
    rate = 16_000
    source = SyntheticSource(rate, 1, speed=8.0, fail_after_frames=rate * 2 + 123)
    rec = start_recording(project, source, SessionMeta(title="unplugged"))
    result = rec.wait(20)
    assert result is not None
    assert result.stop_reason == StopReason.DEVICE_LOST
    assert "unplugged" in (result.message or "")
    assert result.frames == rate * 2 + 123
    outcome = finish_recording(rec)
    assert outcome.info is not None and outcome.info.origin == "recorded"
    data = read_int16(project.abspath(outcome.info.audio_path))
    assert len(data) == rate * 2 + 123
    assert_matches_signal(data, rate)
    assert "stopped by itself (device_lost)" in (outcome.info.notes or "")


def test_a_silent_driver_counts_as_device_lost(tmp_path: Path) -> None:
    source = SyntheticSource(16_000, 1, speed=4.0, stall_after_frames=16_000)
    rec = _recorder(tmp_path, source, stall_timeout_s=0.4)
    rec.start()
    result = rec.wait(10)
    assert result is not None and result.stop_reason == StopReason.DEVICE_LOST
    assert result.frames == 16_000
    assert "No audio came" in (result.message or "")


def test_disk_full_keeps_what_was_written(project: Project) -> None:
    """The write that hits the end of the disk is cut there; the file keeps every
    whole frame before it and the recording is imported."""
    rate = 16_000
    limit = 44 + rate * 2 * 2 + 777  # room for 2 s and a bit
    source = SyntheticSource(rate, 1, speed=8.0)
    rec = start_recording(project, source, options=RecorderOptions(max_file_bytes=limit))
    result = rec.wait(20)
    assert result is not None and result.stop_reason == StopReason.DISK_FULL
    assert "disk is full" in (result.message or "")
    assert result.frames == (limit - 44) // 2
    outcome = finish_recording(rec)
    assert outcome.info is not None
    data = read_int16(project.abspath(outcome.info.audio_path))
    assert len(data) == (limit - 44) // 2
    assert_matches_signal(data, rate)


def test_low_disk_space_stops_before_the_disk_is_full(tmp_path: Path) -> None:
    free = [10**9]
    source = SyntheticSource(16_000, 1, speed=10.0)
    rec = _recorder(tmp_path, source, free_space=lambda _p: free[0], sync_interval_s=0.1)
    rec.start()
    time.sleep(0.5)
    free[0] = 1000
    result = rec.wait(10)
    assert result is not None and result.stop_reason == StopReason.DISK_FULL
    assert result.frames > 0
    assert_matches_signal(read_int16(tmp_path / "t.wav"), 16_000)


def test_no_room_to_start(project: Project) -> None:
    source = SyntheticSource(16_000, 1)
    with pytest.raises(StorageError, match=r"disk .* is full"):
        start_recording(project, source, options=RecorderOptions(free_space=lambda _p: 100))
    assert not list((project.path / "recordings-in-progress").glob("*.wav"))


def test_pause_resume_markers_levels_and_syncs(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    syncs: list[float] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (syncs.append(time.monotonic()), real_fsync(fd)))
    rate = 16_000
    source = SyntheticSource(rate, 2, block_frames=320, speed=1.0, gain=3)
    rec = start_recording(project, source, SessionMeta(place="Аул", speaker_ids=()))
    time.sleep(0.8)
    st = rec.status()
    assert st.running and st.frames > 0.5 * rate and st.channels == 2
    assert -12 < st.level.max_peak_db <= 0 and st.level.rms_db[0] > -30
    assert st.clipped_blocks > 0  # gain 3 drives the test signal into clipping
    assert st.free_bytes > 0 and st.seconds_left > 0
    rec.pause()
    time.sleep(0.2)
    paused_at = rec.status().frames
    time.sleep(0.4)
    assert rec.status().frames == paused_at and rec.status().paused
    rec.add_marker("while paused")
    rec.resume()
    time.sleep(0.4)
    assert rec.status().frames > paused_at
    rec.add_marker()
    t_stop = time.monotonic()
    outcome = finish_recording(rec)
    info = outcome.info
    assert info is not None and outcome.markers == 2
    data = read_int16(project.abspath(info.audio_path))
    # before the pause the audio is the signal from frame 0; after it, from a later frame
    assert_matches_signal(data[:paused_at], rate, gain=3)
    assert not np.array_equal(
        data[paused_at : paused_at + 100],
        synthetic_samples(paused_at, 100, rate, 2, 3),
    )
    # fsync at least every second while recording
    gaps = np.diff([t for t in syncs if t <= t_stop])
    assert len(gaps) >= 3 and gaps.max() < 1.0


def test_live_vad_marks_the_test_signals_utterances() -> None:
    rate = 16_000
    vad = LiveVad(rate)
    found = []
    for start in range(0, rate * 12, 1000):
        found += vad.add(synthetic_samples(start, 1000, rate))
    found += vad.finish()
    assert len(found) == 3
    for k, (a, b) in enumerate(found):  # speech is [4k, 4k + 3) seconds
        assert abs(a / rate - 4 * k) < 0.15 and abs(b / rate - (4 * k + 3)) < 0.15


def test_no_input_device_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    no_inputs = FakeSoundDevice([("speakers", 0)])
    monkeypatch.setattr(sources_mod, "_sounddevice", lambda: no_inputs)
    assert list_input_devices() == []
    with pytest.raises(CaptureError, match="No microphone") as err:
        open_input(None, 48_000, 1)
    assert str(err.value) == NO_DEVICE_MESSAGE


def test_no_device_on_this_machine_or_ci() -> None:
    """The real sound library: either there are inputs, or opening one says why not."""
    try:
        devices = list_input_devices()
    except CaptureError as exc:  # no PortAudio at all
        assert "sound library" in str(exc)
        return
    if devices:
        pytest.skip("this machine has an audio input")
    with pytest.raises(CaptureError, match="No microphone"):
        open_input(None, 16_000, 1)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(CaptureError, match="sample rate"):
        open_input(None, 22_050, 1)
    with pytest.raises(CaptureError, match="mono"):
        open_input(None, 16_000, 3)


def test_nothing_recorded_leaves_nothing(project: Project) -> None:
    source = SyntheticSource(16_000, 1, speed=1.0)
    rec = start_recording(project, source)
    rec.pause()
    outcome = finish_recording(rec)
    assert outcome.info is None
    assert RecordingService(project).list() == []
    assert not list((project.path / "recordings-in-progress").iterdir())
