"""A synthetic input: exact, reproducible samples for tests, demos and dry runs.

The signal is integer arithmetic only, so the sample at any frame index can be
recomputed bit for bit (tests compare recovered files against it). It sounds
like a buzzy voice: 3 s of a ~220 Hz triangle wave with a changing loudness,
then 1 s of near-silence, over and over; a small offset that changes every
4 s makes each period distinct, so a misplaced block cannot go unnoticed.

:class:`SyntheticSource` calls the capture callback exactly as the
sounddevice stream would, from its own thread, at real time or faster.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable

import numpy as np

from desktop_app.core.capture.sources import BlockCallback, StopCallback

PERIOD_S = 4  # 3 s of "speech", 1 s of pause
VOICED_S = 3


@functools.lru_cache(maxsize=8)
def _period_table(rate: int, channels: int, gain: int) -> np.ndarray:
    """One period (``PERIOD_S`` seconds) of the signal, int64, shape (frames, channels)."""
    i = np.arange(rate * PERIOD_S, dtype=np.int64)
    out = np.empty((len(i), channels), dtype=np.int64)
    voiced = i < rate * VOICED_S
    for c in range(channels):
        phase = ((i * (220 + 55 * c) * 65536) // rate) % 65536
        tri = np.abs(phase - 32768) - 16384  # -16384..16384 (-6 dBFS)
        env = 4 + (i // (rate // 5)) % 5  # loudness 4..8 (of 8), changing every 200 ms
        noise = ((i * 1103515245 + 12345 + 7919 * c) >> 16) % 512 - 256
        out[:, c] = np.where(voiced, tri * env * gain // 8, 0) + noise // 8
    out.setflags(write=False)
    return out


def synthetic_samples(
    start: int, frames: int, rate: int, channels: int = 1, gain: int = 1, bits: int = 16
) -> np.ndarray:
    """Frames ``[start, start + frames)`` of the test signal as int16 ``(frames, channels)``.

    ``gain`` > 1 drives the loud parts into clipping (to test the clip flag).
    With ``bits=24`` the samples are int32 as a 24-bit converter delivers them
    through PortAudio: the 16-bit signal in the top bits and finer detail (a
    pattern only 24-bit storage keeps) in the 8 bits below.
    """
    if bits == 24:
        coarse = synthetic_samples(start, frames, rate, channels, gain).astype(np.int32)
        pos = np.arange(start, start + frames)[:, None] + np.arange(channels)
        return ((coarse << 16) | ((pos * 37 % 256) << 8)).astype(np.int32)
    table = _period_table(rate, channels, gain)
    period = len(table)
    out = np.empty((frames, channels), dtype=np.int16)
    pos = 0
    while pos < frames:  # contiguous runs inside one period each
        k, offset = divmod(start + pos, period)
        n = min(frames - pos, period - offset)
        run = table[offset : offset + n] + (k * 37 % 64 - 32)
        np.clip(run, -32768, 32767, out=run)
        out[pos : pos + n] = run
        pos += n
    return out


class SyntheticSource:
    """A capture source that generates :func:`synthetic_samples`.

    ``speed`` is the pace relative to real time (1.0 = real time, 100 = a
    hundred times faster, 0 = as fast as possible). ``total_frames`` ends the
    stream normally; ``fail_after_frames`` makes it fail like an unplugged
    device; ``stall_after_frames`` makes it go silent without an error (a
    driver that just stops calling back).
    """

    def __init__(
        self,
        rate: int = 48_000,
        channels: int = 1,
        *,
        block_frames: int = 1024,
        speed: float = 1.0,
        gain: int = 1,
        total_frames: int | None = None,
        fail_after_frames: int | None = None,
        stall_after_frames: int | None = None,
        overflow_every: int = 0,
        bits: int = 16,
        name: str = "Test signal (synthetic)",
    ) -> None:
        self.rate = rate
        self.channels = channels
        self.bits = bits
        self.block_frames = block_frames
        self.speed = speed
        self.gain = gain
        self.total_frames = total_frames
        self.fail_after_frames = fail_after_frames
        self.stall_after_frames = stall_after_frames
        self.overflow_every = overflow_every
        self.name = name
        self.produced = 0
        self.on_block: Callable[[int], None] | None = None  # called after each block (tests)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, callback: BlockCallback, on_stop: StopCallback) -> None:
        self._thread = threading.Thread(
            target=self._run, args=(callback, on_stop), name="synthetic-source", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(5.0)

    def close(self) -> None:
        self.stop()

    def _limit(self) -> int | None:
        limits = [
            x
            for x in (self.total_frames, self.fail_after_frames, self.stall_after_frames)
            if x is not None
        ]
        return min(limits) if limits else None

    def _run(self, callback: BlockCallback, on_stop: StopCallback) -> None:
        t0 = time.monotonic()
        limit = self._limit()
        n = 0
        while not self._stop.is_set():
            frames = self.block_frames
            if limit is not None:
                frames = min(frames, limit - self.produced)
                if frames <= 0:
                    break
            if self.speed > 0:
                due = t0 + (self.produced + frames) / (self.rate * self.speed)
                delay = due - time.monotonic()
                if delay > 0 and self._stop.wait(delay):
                    break
            block = synthetic_samples(
                self.produced, frames, self.rate, self.channels, self.gain, self.bits
            )
            n += 1
            overflow = bool(self.overflow_every) and n % self.overflow_every == 0
            callback(block, overflow)
            self.produced += frames
            if self.on_block is not None:
                self.on_block(self.produced)
        if self._stop.is_set():
            return
        if self.fail_after_frames is not None and self.produced >= self.fail_after_frames:
            on_stop(f"The input device '{self.name}' stopped delivering audio (unplugged?).")
        elif self.stall_after_frames is not None and self.produced >= self.stall_after_frames:
            self._stop.wait()  # silent: no more callbacks, no error
        else:
            on_stop(None)
