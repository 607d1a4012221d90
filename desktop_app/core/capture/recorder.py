"""The recorder: source callback -> queue -> writer thread -> WAV + journal.

The audio callback does nothing but copy the block into a bounded queue
(with the block's position in the stream); when the queue is full the block
is dropped and counted, never waited for. The writer thread appends blocks
to the WAV file, measures levels, runs the live VAD, and at least every
``sync_interval_s`` rewrites the header, fsyncs and replaces the journal.
A gap in the stream positions (dropped blocks) is filled with silence, so
times after it stay right; the gap is counted and reported.

The recorder stops cleanly, keeping everything captured, when asked to, when
the source ends or fails (device unplugged), when no audio arrived for
``stall_timeout_s``, or when the disk is (nearly) full.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import logging
import queue
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from desktop_app.core.capture.journal import Journal, Marker, SessionMeta
from desktop_app.core.capture.levels import Level, LevelAccumulator, LiveVad
from desktop_app.core.capture.sources import CaptureError, CaptureSource
from desktop_app.core.capture.wavstream import (
    FileLimitReached,
    WavAppender,
    frame_bytes,
    sample_dtype,
)

log = logging.getLogger(__name__)


class StopReason(enum.StrEnum):
    USER = "user"  # stopped on purpose
    ENDED = "ended"  # the source ended by itself
    DURATION = "duration"  # the requested length was reached
    DEVICE_LOST = "device_lost"
    DISK_FULL = "disk_full"
    SIZE_LIMIT = "size_limit"
    ERROR = "error"


@dataclass(frozen=True)
class RecorderOptions:
    sync_interval_s: float = 0.5  # header rewrite + fsync + journal, at most this far apart
    queue_seconds: float = 30.0  # audio the queue holds before blocks are dropped
    min_free_bytes: int = 32 << 20  # stop cleanly when the disk has less than this left
    stall_timeout_s: float = 3.0  # no audio for this long while recording = device lost
    max_file_bytes: int | None = None  # tests: pretend the disk fills at this file size
    max_frames: int | None = None  # stop after exactly this many recorded frames
    live_vad: bool = True
    free_space: Callable[[Path], int] | None = None  # tests: fake free space


@dataclass(frozen=True)
class RecorderStatus:
    """A snapshot for meters and status lines (safe to read from any thread)."""

    running: bool
    paused: bool
    frames: int  # recorded frames (pauses excluded)
    rate: int
    channels: int
    level: Level
    clipped_blocks: int
    free_bytes: int
    dropped_blocks: int
    dropped_frames: int
    overflows: int
    markers: int
    utterances: int
    stop_reason: StopReason | None
    message: str | None
    bits: int = 16

    @property
    def elapsed_s(self) -> float:
        return self.frames / self.rate

    @property
    def seconds_left(self) -> float:
        """How long the free disk space lasts at this rate, channel count and bit depth."""
        return self.free_bytes / (self.rate * frame_bytes(self.channels, self.bits))


@dataclass(frozen=True)
class RecordingResult:
    wav_path: Path
    journal_path: Path
    frames: int
    rate: int
    channels: int
    markers: tuple[Marker, ...]
    utterances: tuple[tuple[int, int], ...]
    dropped_blocks: int
    dropped_frames: int
    overflows: int
    stop_reason: StopReason
    message: str | None

    @property
    def duration_s(self) -> float:
        return self.frames / self.rate


class Recorder:
    """Records ``source`` into ``wav_path`` with a journal at ``journal_path``.

    ``journal`` is the initial journal (format and metadata); the recorder
    keeps it up to date. Call :meth:`start`, then :meth:`stop` (or
    :meth:`wait` when the source ends by itself).
    """

    def __init__(
        self,
        source: CaptureSource,
        wav_path: Path,
        journal_path: Path,
        journal: Journal,
        options: RecorderOptions | None = None,
    ) -> None:
        self.source = source
        self.wav_path = wav_path
        self.journal_path = journal_path
        self.options = options or RecorderOptions()
        self.bits = source.bits
        self._dtype = sample_dtype(self.bits)
        self._journal = journal
        self._lock = threading.Lock()
        block = getattr(source, "block_frames", 1024) or 1024
        size = max(16, int(self.options.queue_seconds * source.rate / block) + 1)
        self._queue: queue.Queue[tuple[int, np.ndarray] | None] = queue.Queue(size)
        self._next_index = 0  # stream position of the next callback block
        self._dropped_blocks = 0
        self._overflows = 0
        self._dropped_frames = 0
        self._paused = False
        self._running = False
        self._stop_reason: StopReason | None = None
        self._message: str | None = None
        self._frames = 0
        self._free = self._free_bytes()
        self._level = Level.silent(source.channels)
        self._meter = LevelAccumulator(source.channels)
        self._vad = LiveVad(source.rate) if self.options.live_vad else None
        self._last_audio = time.monotonic()
        self._writer: WavAppender | None = None
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self._result: RecordingResult | None = None

    # -- control (any thread) -------------------------------------------------------------
    def start(self) -> None:
        """Create the files and start capturing; :class:`CaptureError` if the source fails."""
        self._writer = WavAppender(
            self.wav_path,
            self.source.rate,
            self.source.channels,
            bits=self.bits,
            max_bytes=self.options.max_file_bytes,
        )
        self._journal.save(self.journal_path)
        self._running = True
        self._last_audio = time.monotonic()
        self._thread = threading.Thread(target=self._write_loop, name="recorder-writer")
        self._thread.start()
        try:
            self.source.start(self._callback, self._source_stopped)
        except BaseException as exc:
            self._request_stop(StopReason.ERROR, str(exc))
            self.wait()
            self.wav_path.unlink(missing_ok=True)  # nothing was recorded
            self.journal_path.unlink(missing_ok=True)
            raise

    def pause(self) -> None:
        with self._lock:
            self._paused = True

    def resume(self) -> None:
        with self._lock:
            self._paused = False

    @property
    def paused(self) -> bool:
        return self._paused

    def add_marker(self, label: str | None = None) -> Marker:
        """A marker at the current recorded position (saved at the next sync)."""
        with self._lock:
            n = len(self._journal.markers) + 1
            marker = Marker(self._frames, label or f"Marker {n}")
            self._journal.markers.append(marker)
        return marker

    def set_meta(self, meta: SessionMeta) -> None:
        """Change the session metadata while recording (saved at the next sync)."""
        with self._lock:
            self._journal.meta = meta

    def status(self) -> RecorderStatus:
        with self._lock:
            level = self._meter.take()
            if level is not None:
                self._level = level
            elif self._paused or not self._running:
                self._level = Level.silent(self.source.channels)
            return RecorderStatus(
                running=self._running,
                paused=self._paused,
                frames=self._frames,
                rate=self.source.rate,
                channels=self.source.channels,
                level=self._level,
                clipped_blocks=self._meter.clipped_blocks,
                free_bytes=self._free,
                dropped_blocks=self._dropped_blocks,
                dropped_frames=self._dropped_frames,
                overflows=self._overflows,
                markers=len(self._journal.markers),
                utterances=len(self._journal.utterances),
                stop_reason=self._stop_reason,
                message=self._message,
                bits=self.bits,
            )

    def stop(self, timeout: float | None = None) -> RecordingResult:
        """Stop capturing, write out everything queued, close the files."""
        self._request_stop(StopReason.USER, None)
        result = self.wait(timeout)
        if result is None:
            raise CaptureError("The recording did not stop in time; its file is kept.")
        return result

    def wait(self, timeout: float | None = None) -> RecordingResult | None:
        """Wait until the recording has stopped (by itself or by :meth:`stop`)."""
        if not self._done.wait(timeout):
            return None
        if self._thread is not None:
            self._thread.join()
        return self._result

    @property
    def finished(self) -> bool:
        return self._done.is_set()

    # -- the audio thread: copy and go -------------------------------------------------
    def _callback(self, block: np.ndarray, overflow: bool) -> None:
        index = self._next_index
        self._next_index += len(block)
        if overflow:
            self._overflows += 1
        try:
            self._queue.put_nowait((index, block.copy()))
        except queue.Full:
            self._dropped_blocks += 1
            self._dropped_frames += len(block)

    def _source_stopped(self, error: str | None) -> None:
        if error is None:
            self._request_stop(StopReason.ENDED, None)
        else:
            self._request_stop(StopReason.DEVICE_LOST, error)

    def _request_stop(self, reason: StopReason, message: str | None) -> None:
        with self._lock:
            if self._stop_reason is None:
                self._stop_reason, self._message = reason, message
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)  # wake the writer (it also polls the reason)

    # -- the writer thread ---------------------------------------------------------------
    def _write_loop(self) -> None:
        assert self._writer is not None
        expected = 0  # stream position the writer has reached
        last_sync = time.monotonic()
        try:
            while True:
                try:
                    item = self._queue.get(timeout=0.05)
                except queue.Empty:
                    item = None
                if item is not None:
                    index, block = item
                    self._last_audio = time.monotonic()
                    gap = index - expected
                    expected = index + len(block)
                    self._take_block(gap, block)
                if self._stop_reason is not None:
                    self.source.stop()
                    self._drain(expected)
                    break
                silent_s = time.monotonic() - self._last_audio
                if item is None and silent_s > self.options.stall_timeout_s:
                    self._request_stop(
                        StopReason.DEVICE_LOST,
                        f"No audio came from '{self.source.name}' for "
                        f"{self.options.stall_timeout_s:g} s (was it unplugged?).",
                    )
                now = time.monotonic()
                if now - last_sync >= self.options.sync_interval_s:
                    self._sync()
                    last_sync = now
        except FileLimitReached as exc:
            self.source.stop()
            if exc.errno == errno.EFBIG:  # our own 4 GB WAV limit
                reason, what = StopReason.SIZE_LIMIT, "The recording reached the 4 GB file limit"
            else:
                reason, what = StopReason.DISK_FULL, "The disk is full"
            self._request_stop(reason, f"{what}; it was stopped and everything so far was kept.")
        except Exception as exc:  # a failed write: keep what is on disk
            log.exception("recording writer failed")
            self.source.stop()
            self._request_stop(StopReason.ERROR, f"Writing the recording failed: {exc}")
        finally:
            self._finish()

    def _drain(self, expected: int) -> None:
        """Write what is still queued after the source stopped; blocks dropped at
        the very end become silence too, so the file is as long as the stream."""
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                continue
            index, block = item
            self._take_block(index - expected, block)
            expected = index + len(block)
        tail = self._next_index - expected
        if tail > 0:
            self._take_block(tail, np.zeros((0, self.source.channels), dtype=self._dtype))

    def _take_block(self, gap: int, block: np.ndarray) -> None:
        assert self._writer is not None
        with self._lock:
            paused = self._paused
        if paused or self._stop_reason == StopReason.DURATION:
            return
        if gap > 0:  # blocks were dropped: keep the timeline, fill with silence
            block = np.concatenate([np.zeros((gap, block.shape[1]), dtype=self._dtype), block])
        limit = self.options.max_frames
        if limit is not None and self._writer.frames + len(block) >= limit:
            block = block[: limit - self._writer.frames]
            self._request_stop(StopReason.DURATION, None)
        if len(block):
            self._write(block)

    def _write(self, block: np.ndarray) -> None:
        assert self._writer is not None
        self._writer.append(block)
        utterances = self._vad.add(block) if self._vad is not None else []
        with self._lock:
            self._frames = self._writer.frames
            self._meter.add(block)
            self._journal.utterances.extend(utterances)

    def _free_bytes(self) -> int:
        probe = self.options.free_space or (lambda p: shutil.disk_usage(p).free)
        try:
            return int(probe(self.wav_path.parent))
        except OSError:
            return 0

    def _sync(self) -> None:
        assert self._writer is not None
        self._writer.sync()
        with self._lock:
            self._free = self._free_bytes()
            journal = replace(
                self._journal,
                frames=self._writer.frames,
                markers=list(self._journal.markers),
                utterances=list(self._journal.utterances),
                dropped_frames=self._dropped_frames,
                dropped_blocks=self._dropped_blocks,
                overflows=self._overflows,
            )
        journal.save(self.journal_path)
        if self._free < self.options.min_free_bytes and self._stop_reason is None:
            self._request_stop(
                StopReason.DISK_FULL,
                "The disk is almost full; the recording was stopped and everything so far "
                "was kept.",
            )

    def _finish(self) -> None:
        writer = self._writer
        assert writer is not None
        self.source.close()
        try:
            writer.close()
        except OSError:
            log.exception("closing the recording failed")
        if self._vad is not None:
            tail = self._vad.finish()
            with self._lock:
                self._journal.utterances.extend(tail)
        with self._lock:
            reason = self._stop_reason or StopReason.ERROR
            self._journal.state = "stopped"
            self._journal.stop_reason = str(reason)
            self._running = False
            self._free = self._free_bytes()
            journal = replace(
                self._journal,
                frames=writer.frames,
                markers=[m for m in self._journal.markers if m.frame <= writer.frames],
                dropped_frames=self._dropped_frames,
                dropped_blocks=self._dropped_blocks,
                overflows=self._overflows,
            )
        try:
            journal.save(self.journal_path)
        except OSError:  # a full disk: the WAV alone is still recoverable
            log.exception("saving the final journal failed")
        self._result = RecordingResult(
            wav_path=self.wav_path,
            journal_path=self.journal_path,
            frames=writer.frames,
            rate=self.source.rate,
            channels=self.source.channels,
            markers=tuple(journal.markers),
            utterances=tuple(journal.utterances),
            dropped_blocks=journal.dropped_blocks,
            dropped_frames=journal.dropped_frames,
            overflows=journal.overflows,
            stop_reason=reason,
            message=self._message,
        )
        self._done.set()
