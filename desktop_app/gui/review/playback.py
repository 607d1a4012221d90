"""Playback of a recording (its 16 kHz model copy) through a small output interface.

The :class:`Player` lives in the GUI thread; a plain feeder thread reads the
audio in chunks, changes its speed and writes blocks to an
:class:`OutputStream`. The real stream is ``sounddevice.OutputStream``;
tests pass a fake through ``output_factory``. The GUI polls the feeder's
position with a timer, so no Qt object is touched from the feeder thread.

Speed is changed by plain resampling, so the pitch changes with it (2x sounds
higher, 0.5x lower); the help panel says so.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from desktop_app.core.audio.importer import load_model_audio
from desktop_app.core.errors import JazbaError

log = logging.getLogger(__name__)

RATE = 16_000
BLOCK = 1024  # output frames per write (64 ms)
CHUNK_S = 10.0  # audio read from disk at a time
MIN_SPEED, MAX_SPEED = 0.5, 2.0


class PlaybackError(JazbaError):
    """Sound cannot be played (no device, no PortAudio, unreadable audio)."""


class OutputStream(Protocol):
    """What the player needs from an audio output (``sounddevice.OutputStream`` fits)."""

    @property
    def latency(self) -> float: ...

    def start(self) -> None: ...

    def write(self, data: np.ndarray) -> object: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...


OutputFactory = Callable[[int], OutputStream]


def sounddevice_output(rate: int) -> OutputStream:
    """The default output device, or a :class:`PlaybackError` saying why not."""
    try:
        import sounddevice as sd
    except OSError as exc:  # the PortAudio library itself is missing
        raise PlaybackError(
            "Cannot play sound: the PortAudio library is not installed "
            "(on Debian/Ubuntu: sudo apt install libportaudio2)."
        ) from exc
    try:
        stream = sd.OutputStream(samplerate=rate, channels=1, dtype="float32", latency="low")
    except Exception as exc:  # PortAudioError, ValueError for a missing device
        log.info("no audio output: %s", exc)
        raise PlaybackError(
            f"Cannot play sound: no usable audio output device ({exc}). "
            "Connect speakers or headphones, or check the system's sound settings."
        ) from exc
    return stream  # type: ignore[return-value]


def change_speed(block: np.ndarray, speed: float) -> np.ndarray:
    """Resample ``block`` to ``len / speed`` samples (linear; pitch changes)."""
    if speed == 1.0 or len(block) < 2:
        return block
    n_out = max(1, round(len(block) / speed))
    x = np.linspace(0.0, len(block) - 1, n_out)
    return np.interp(x, np.arange(len(block)), block).astype(np.float32)


class _Source:
    """Reads the model audio in chunks (never the whole file at once)."""

    def __init__(self, path: Path, n_samples: int) -> None:
        self.path = path
        self.n_samples = n_samples
        self._start = 0
        self._data = np.zeros(0, dtype=np.float32)

    def read(self, a: int, b: int) -> np.ndarray:
        if not (self._start <= a and b <= self._start + len(self._data)):
            end = min(self.n_samples, max(b, a + int(CHUNK_S * RATE)))
            self._data = load_model_audio(self.path, a / RATE, end / RATE)
            self._start = a
        return self._data[a - self._start : b - self._start]


class _Feeder(threading.Thread):
    def __init__(
        self,
        stream: OutputStream,
        source: _Source,
        start: int,
        end: int,
        loop: bool,
        speed: float,
    ) -> None:
        super().__init__(name="jazba-playback", daemon=True)
        self.stream, self.source = stream, source
        self.range_start, self.end, self.loop = start, end, loop
        self.speed = speed
        self.position = start  # samples of the recording, as heard (approximately)
        self.stop_event = threading.Event()
        self.reached_end = False
        self.error: str | None = None

    def run(self) -> None:
        pos = self.position
        try:
            self.stream.start()
            latency = float(getattr(self.stream, "latency", 0.0) or 0.0)
            while not self.stop_event.is_set():
                if pos >= self.end:
                    if not self.loop:
                        self.reached_end = True
                        break
                    pos = self.range_start
                speed = self.speed
                n = min(self.end - pos, max(1, int(BLOCK * speed)))
                block = self.source.read(pos, pos + n)
                if not len(block):
                    self.reached_end = True
                    break
                self.stream.write(change_speed(block, speed).reshape(-1, 1))
                pos += len(block)
                heard = pos - int(latency * RATE * speed)
                self.position = max(self.range_start, heard)
            if self.reached_end:
                self.position = self.end
        except JazbaError as exc:
            self.error = str(exc)
        except Exception as exc:
            log.exception("playback failed")
            self.error = f"Playback stopped: {exc}"
        finally:
            for fn in (self.stream.stop, self.stream.close):
                try:
                    fn()
                except Exception:
                    log.debug("closing the output stream failed", exc_info=True)


class Player(QObject):
    """Play/pause, play a range (segment), loop, speed; reports the position."""

    position_changed = Signal(int)  # ms
    playing_changed = Signal(bool)
    range_finished = Signal()  # a non-looping range reached its end by itself
    error = Signal(str)

    def __init__(self, output_factory: OutputFactory | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.output_factory = output_factory or sounddevice_output
        self._path: Path | None = None
        self._n_samples = 0
        self._source: _Source | None = None
        self._feeder: _Feeder | None = None
        self._position = 0  # samples
        self.speed = 1.0
        self._timer = QTimer(self)
        self._timer.setInterval(30)
        self._timer.timeout.connect(self._poll)

    # -- source --------------------------------------------------------------
    def set_source(self, path: Path | None, duration_ms: int) -> None:
        self.stop()
        self._path = path
        self._n_samples = int(duration_ms * RATE / 1000)
        self._source = _Source(path, self._n_samples) if path is not None else None
        self._position = 0
        self.position_changed.emit(0)

    @property
    def duration_ms(self) -> int:
        return self._n_samples * 1000 // RATE

    # -- state -----------------------------------------------------------------
    @property
    def is_playing(self) -> bool:
        return self._feeder is not None

    @property
    def position_ms(self) -> int:
        return self._position * 1000 // RATE

    def set_speed(self, speed: float) -> float:
        self.speed = float(min(MAX_SPEED, max(MIN_SPEED, speed)))
        if self._feeder is not None:
            self._feeder.speed = self.speed
        return self.speed

    # -- commands --------------------------------------------------------------
    def play(self, start_ms: int | None = None, end_ms: int | None = None, loop: bool = False):
        """Play from ``start_ms`` (default: the playhead) to ``end_ms`` (default: the end)."""
        if self._source is None:
            return
        self._halt()
        start = self._position if start_ms is None else int(start_ms * RATE / 1000)
        end = self._n_samples if end_ms is None else int(end_ms * RATE / 1000)
        end = min(end, self._n_samples)
        if start >= end - RATE // 100:  # at the end: start over
            start = 0 if end_ms is None else int((start_ms or 0) * RATE / 1000)
        try:
            stream = self.output_factory(RATE)
        except JazbaError as exc:
            self.error.emit(str(exc))
            return
        self._position = start
        self._feeder = _Feeder(stream, self._source, start, end, loop, self.speed)
        self._feeder.start()
        self._timer.start()
        self.playing_changed.emit(True)

    def pause(self) -> None:
        if self._halt():
            self.playing_changed.emit(False)
            self.position_changed.emit(self.position_ms)

    stop = pause

    def toggle(self) -> None:
        if self.is_playing:
            self.pause()
        else:
            self.play()

    def seek(self, ms: int) -> None:
        playing = self.is_playing
        self._halt()
        self._position = int(min(max(0, ms), self.duration_ms) * RATE / 1000)
        self.position_changed.emit(self.position_ms)
        if playing:
            self.play()

    # -- internals ---------------------------------------------------------------
    def _halt(self) -> bool:
        feeder, self._feeder = self._feeder, None
        self._timer.stop()
        if feeder is None:
            return False
        feeder.stop_event.set()
        feeder.join(timeout=2.0)
        self._position = feeder.position
        return True

    def _poll(self) -> None:
        feeder = self._feeder
        if feeder is None:
            return
        self._position = feeder.position
        self.position_changed.emit(self.position_ms)
        if feeder.is_alive():
            return
        self._feeder = None
        self._timer.stop()
        self.playing_changed.emit(False)
        if feeder.error:
            self.error.emit(feeder.error)
        elif feeder.reached_end and not feeder.loop:
            self.range_finished.emit()

    def shutdown(self) -> None:
        self._halt()
