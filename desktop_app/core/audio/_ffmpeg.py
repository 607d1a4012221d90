"""The FFmpeg (PyAV) back-end: MP4/M4A/AAC, WebM, video containers and anything
libsndfile refuses.

FFmpeg reads the file through :class:`_GuardedFile`, which counts what it
reads and how often it seeks: FFmpeg's parsers keep everything they read while
they look for the next frame, so a long run of junk (a file of zeros named
``.mp3``) would otherwise be read whole into memory, and its WAV reader walks
empty chunks one by one (a RIFF header followed by 2 GB of zeros took minutes).
After :data:`MAX_JUNK_BYTES` or :data:`MAX_IDLE_SEEKS` without a packet, the
file is refused.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import av
import av.error
import numpy as np

from desktop_app.core.audio._reader import (
    BLOCK_FRAMES,
    AudioInfo,
    AudioReader,
    block_size,
    fmt_bytes,
    fmt_time,
)
from desktop_app.core.errors import AudioImportError

log = logging.getLogger(__name__)

MAX_BAD_PACKETS = 50
"""Damaged packets PyAV may skip in one file before we give up on it."""

MAX_JUNK_BYTES = 64 << 20
"""Bytes FFmpeg may read to open a file, or between two packets, before we give up."""

MAX_IDLE_SEEKS = 50_000
"""Seeks FFmpeg may make to open a file, or between two packets (a real file needs
a few dozen), before we give up."""

_IO_BUFFER = 1 << 16

# What a damaged file can make PyAV raise besides its own errors (a frame whose
# format changes mid-stream, a field out of range, undecodable metadata).
_DECODER_ERRORS = (av.error.FFmpegError, OSError, ValueError, OverflowError, UnicodeError)


class _TooMuchJunk(Exception):
    """Raised from inside FFmpeg's read or seek callback; PyAV re-raises it to us."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class _GuardedFile(io.RawIOBase):
    """The source file as FFmpeg reads it, counting the bytes read since :meth:`progress`."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._fh = open(path, "rb", buffering=0)  # noqa: SIM115 - closed in close()
        self.name = str(path)  # FFmpeg guesses the format from the extension too
        self._read = 0
        self._mark = 0
        self._seeks = 0
        self._gave_up = False

    def progress(self) -> None:
        """FFmpeg produced something: restart the counts."""
        if not self._gave_up:
            self._mark = self._read
            self._seeks = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._read - self._mark > MAX_JUNK_BYTES:
            self._give_up(f"after reading {fmt_bytes(MAX_JUNK_BYTES)}")
        if self._gave_up:
            return b""  # end of file, from now on
        data = self._fh.read(size)
        self._read += len(data)
        return data

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._seeks += 1
        if self._seeks > MAX_IDLE_SEEKS:
            self._give_up(f"after {MAX_IDLE_SEEKS:,} jumps through the file")
        if self._gave_up:
            return -1  # a failed seek, from now on
        return self._fh.seek(offset, whence)

    def _give_up(self, detail: str) -> None:
        """Fail this call; PyAV keeps the exception and raises it when FFmpeg returns.

        Later calls fail quietly: some FFmpeg readers ignore a failed call and go
        on, and PyAV prints every exception it cannot pass on.
        """
        if not self._gave_up:
            self._gave_up = True
            raise _TooMuchJunk(detail)

    def tell(self) -> int:
        return self._fh.tell()

    def close(self) -> None:
        self._fh.close()
        super().close()


class AvReader(AudioReader):
    """The first audio stream, converted to packed float32."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = _GuardedFile(path)
        try:
            self._container = av.open(
                self._file, mode="r", metadata_errors="ignore", buffer_size=_IO_BUFFER
            )
        except _TooMuchJunk as exc:
            self._file.close()
            raise AudioImportError(
                path,
                f"no audio could be found in it {exc.detail}: it is not audio, or it is damaged",
            ) from None
        except _DECODER_ERRORS as exc:
            self._file.close()
            raise AudioImportError(
                path, "it is not a supported audio or video file (or it is damaged)"
            ) from exc
        try:
            self.info = self._describe()
        except BaseException:
            self.close()
            raise

    def _describe(self) -> AudioInfo:
        container = self._container
        if not container.streams.audio:
            kinds = sorted({s.type for s in container.streams})
            hint = f" (it holds only {', '.join(kinds)} streams)" if kinds else ""
            raise AudioImportError(self.path, f"it contains no audio stream{hint}")
        self._stream = stream = container.streams.audio[0]
        ctx = stream.codec_context
        if ctx is None:
            raise AudioImportError(
                self.path, "its audio codec is not supported (no decoder is available for it)"
            )
        rate = int(ctx.sample_rate or 0)
        channels = len(ctx.layout.channels) if ctx.layout else 0
        if rate <= 0 or channels <= 0:
            raise AudioImportError(
                self.path, "it is not valid audio (no sample rate or channel count could be read)"
            )
        seconds = 0.0
        if stream.duration and stream.time_base:
            seconds = float(stream.duration * stream.time_base)
        elif container.duration:
            seconds = container.duration / av.time_base
        # FFmpeg names demuxers by family ("mov,mp4,m4a,…"); prefer the member
        # matching the file's extension, as users know it.
        names = str(container.format.name).split(",")
        ext = self.path.suffix.lower().lstrip(".")
        fmt_name = (ext if ext in names else names[0]).upper()
        return AudioInfo(
            sample_rate=rate,
            channels=channels,
            frames=max(0, round(seconds * rate)),
            format=fmt_name,
            codec=str(ctx.name),
            backend="av",
            frames_exact=False,
        )

    def blocks(self, block_frames: int = BLOCK_FRAMES) -> Iterator[np.ndarray]:
        info = self.info
        layout = self._stream.codec_context.layout
        resampler = av.AudioResampler(format="flt", layout=layout, rate=info.sample_rate)
        buffer = _Rebuffer(block_size(block_frames, info.channels))
        done = 0
        try:
            for frame in self._frames():
                for out in resampler.resample(frame):
                    data = out.to_ndarray().reshape(-1, info.channels)
                    done += len(data)
                    yield from buffer.push(data)
            for out in resampler.resample(None):
                yield from buffer.push(out.to_ndarray().reshape(-1, info.channels))
        except _TooMuchJunk as exc:
            where = fmt_time(done / info.sample_rate)
            raise AudioImportError(
                self.path,
                f"the audio data is damaged near {where}: no more audio was found {exc.detail}",
            ) from None
        except _DECODER_ERRORS as exc:
            where = fmt_time(done / info.sample_rate)
            raise AudioImportError(
                self.path, f"the audio data is damaged near {where}{_reason(exc)}"
            ) from exc
        yield from buffer.flush()

    def _frames(self) -> Iterator[av.AudioFrame]:
        """Decoded frames of our stream, skipping a few damaged packets."""
        bad = 0
        index = self._stream.index
        # Demux every stream so that each packet (video too) counts as progress.
        for packet in self._container.demux():
            self._file.progress()
            if packet.stream.index != index:
                continue
            try:
                frames = packet.decode()
            except av.error.InvalidDataError:
                bad += 1
                if bad > MAX_BAD_PACKETS:
                    raise
                continue
            yield from frames
        if bad:
            log.warning("%s: skipped %d damaged audio packet(s)", self.path, bad)

    def close(self) -> None:
        try:
            self._container.close()
        finally:
            self._file.close()


def _reason(exc: Exception) -> str:
    """`` (what FFmpeg said)``, without file names or bare error numbers; or nothing."""
    text = str(getattr(exc, "strerror", None) or exc).strip()
    if not text or text.startswith("Error number"):
        return ""
    return f" ({text})"


class _Rebuffer:
    """Collects small decoder frames into blocks of a fixed size."""

    def __init__(self, block_frames: int) -> None:
        self._block = block_frames
        self._parts: list[np.ndarray] = []
        self._count = 0

    def push(self, data: np.ndarray) -> Iterator[np.ndarray]:
        self._parts.append(data)
        self._count += len(data)
        if self._count < self._block:
            return
        joined = np.concatenate(self._parts) if len(self._parts) > 1 else self._parts[0]
        full = len(joined) - len(joined) % self._block
        for start in range(0, full, self._block):
            yield joined[start : start + self._block]
        rest = joined[full:].copy()
        self._parts = [rest] if len(rest) else []
        self._count = len(rest)

    def flush(self) -> Iterator[np.ndarray]:
        if self._count:
            yield np.concatenate(self._parts) if len(self._parts) > 1 else self._parts[0]
        self._parts = []
        self._count = 0
