"""Playback against a fake output stream: ranges, speed, loop, pause, no device."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_app.core.project import Project
from desktop_app.core.services.recordings import RecordingService
from desktop_app.gui.review.playback import (
    RATE,
    PlaybackError,
    Player,
    change_speed,
    sounddevice_output,
)


@pytest.fixture
def player(qtbot, project_path, fake_output):
    with Project.open(project_path) as project:
        info = RecordingService(project).get(1)
        audio = project.abspath(info.model_audio_path)
    p = Player(fake_output)
    p.set_source(audio, info.duration_ms)
    yield p
    p.shutdown()


def wait_stopped(qtbot, player: Player) -> None:
    qtbot.waitUntil(lambda: not player.is_playing, timeout=10_000)


def test_play_segment_writes_exactly_its_samples(qtbot, player, fake_output) -> None:
    with qtbot.waitSignal(player.range_finished, timeout=10_000):
        player.play(600, 3232)
    wait_stopped(qtbot, player)
    stream = fake_output.last
    assert stream.started and stream.closed
    assert stream.frames == (3232 - 600) * RATE // 1000
    assert player.position_ms == 3232
    # real audio, not silence
    assert np.abs(np.concatenate(stream.first)).max() > 0.05


def test_double_speed_halves_the_output(qtbot, player, fake_output) -> None:
    player.set_speed(2.0)
    with qtbot.waitSignal(player.range_finished, timeout=10_000):
        player.play(1000, 3000)
    frames = fake_output.last.frames
    assert abs(frames - RATE) < 1024  # 2 s of audio in about 1 s
    assert player.set_speed(5.0) == 2.0 and player.set_speed(0.1) == 0.5


def test_change_speed_resamples() -> None:
    block = np.sin(np.linspace(0, 20, 1000)).astype(np.float32)
    assert len(change_speed(block, 0.5)) == 2000
    assert len(change_speed(block, 2.0)) == 500
    assert change_speed(block, 1.0) is block


def test_pause_keeps_the_position_and_resume_continues(qtbot, player, fake_output) -> None:
    fake_output.pace = 1.0  # "plays" in real time
    player.play()
    qtbot.waitUntil(lambda: player.position_ms > 300, timeout=5000)
    player.pause()
    assert not player.is_playing
    paused_at = player.position_ms
    assert 300 < paused_at < 6935
    with qtbot.waitSignal(player.playing_changed, timeout=5000):
        player.play()
    assert player.is_playing
    player.pause()
    assert player.position_ms >= paused_at


def test_loop_repeats_until_paused(qtbot, player, fake_output) -> None:
    fake_output.pace = 0.02
    player.play(600, 800, loop=True)
    segment = 200 * RATE // 1000
    qtbot.waitUntil(lambda: fake_output.last.frames > 3 * segment, timeout=5000)
    assert player.is_playing
    player.pause()
    assert not player.is_playing


def test_seek_moves_the_playhead(qtbot, player) -> None:
    with qtbot.waitSignal(player.position_changed) as blocker:
        player.seek(2500)
    assert blocker.args == [2500]
    player.seek(99_999)
    assert player.position_ms == player.duration_ms


def test_no_output_device_is_a_message_not_a_crash(qtbot, player) -> None:
    def no_device(rate: int):
        raise PlaybackError("Cannot play sound: no usable audio output device (test).")

    player.output_factory = no_device
    with qtbot.waitSignal(player.error) as blocker:
        player.play()
    assert "no usable audio output device" in blocker.args[0]
    assert not player.is_playing


def test_real_output_or_clear_error() -> None:
    """On a machine without sound the real factory says so in words."""
    try:
        stream = sounddevice_output(RATE)
    except PlaybackError as exc:
        assert str(exc).startswith("Cannot play sound")
    else:
        stream.close()


def test_window_plays_segment_and_follows_playhead(window, qtbot, fake_output) -> None:
    window.recordings.select(2)  # three segments
    window.settings.auto_advance = True
    window.transcript.select_row(0)
    fake_output.pace = 0.05
    window.actions["next_segment"].trigger()  # auto-advance: plays the new segment
    assert window.player.is_playing
    qtbot.waitUntil(lambda: not window.player.is_playing, timeout=10_000)
    seg = window.segment_model.segment(1)
    assert fake_output.last.frames == (seg.end_ms - seg.start_ms) * RATE // 1000
    assert abs(window.waveform.playhead_ms() - seg.end_ms) <= 1
    # playing the whole recording moves the selection with the playhead
    window.transcript.select_row(0)
    window.actions["play_pause"].trigger()
    qtbot.waitUntil(lambda: not window.player.is_playing, timeout=10_000)
    assert window.transcript.current_segment().id == window.segment_model.segment(2).id


def test_window_reports_missing_device_in_status_bar(window, qtbot) -> None:
    def no_device(rate: int):
        raise PlaybackError("Cannot play sound: no usable audio output device (test).")

    window.player.output_factory = no_device
    window.actions["replay"].trigger()
    assert "no usable audio output device" in window.statusBar().currentMessage()
