"""Streaming decoders: read any audio (or video) file block by block.

Two back-ends sit behind one small interface:

* ``soundfile`` (libsndfile) for WAV, FLAC, OGG/Vorbis/Opus, MP3, AIFF, … —
  fast and exact frame counts;
* ``av`` (PyAV/FFmpeg) for MP4/M4A/AAC, WebM, video containers and anything
  libsndfile refuses.

Blocks are always float32 arrays shaped ``(frames, channels)`` at the file's
own sample rate; nothing ever holds the whole file in memory. Every failure a
user can hit (missing, empty, not audio, damaged, unsupported codec,
unreadable) comes out as :class:`~desktop_app.core.errors.AudioImportError`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

import av
import av.error
import numpy as np
import soundfile as sf

from desktop_app.core.audio._wav import truncated_wav_bytes
from desktop_app.core.errors import AudioImportError

log = logging.getLogger(__name__)

BLOCK_FRAMES = 65_536
"""Default block size in frames (about 1.4 s at 48 kHz)."""

MAX_BAD_PACKETS = 50
"""Damaged packets PyAV may skip in one file before we give up on it."""

# libsndfile formats whose frame count is only an estimate.
_ESTIMATED_FORMATS = frozenset({"MP3"})
# libsndfile's frame count for streams that do not say how long they are.
_UNKNOWN_FRAMES = 2**62


@dataclass(frozen=True, slots=True)
class AudioInfo:
    """What a file announces about its audio.

    ``frames`` is exact when ``frames_exact`` is true (PCM, FLAC, …); for
    compressed streams read through FFmpeg it is estimated from the container's
    duration, and may be 0 when the container does not say.
    """

    sample_rate: int
    channels: int
    frames: int
    format: str
    codec: str
    backend: str
    frames_exact: bool

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate


class AudioReader:
    """An open audio file. Use as a context manager; iterate :meth:`blocks` once."""

    path: Path
    info: AudioInfo

    def blocks(self, block_frames: int = BLOCK_FRAMES) -> Iterator[np.ndarray]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def probe(path: str | os.PathLike[str]) -> AudioInfo:
    """Open ``path`` just long enough to read what it announces."""
    with open_audio(path) as reader:
        return reader.info


def iter_blocks(
    path: str | os.PathLike[str], block_frames: int = BLOCK_FRAMES
) -> Generator[np.ndarray, None, None]:
    """Yield float32 blocks shaped ``(frames, channels)``; the last may be shorter.

    A generator: errors surface on the first ``next()``, and ``close()`` (or
    simply dropping it) closes the file.
    """
    with open_audio(path) as reader:
        yield from reader.blocks(block_frames)


def open_audio(path: str | os.PathLike[str]) -> AudioReader:
    """Open ``path`` with the first back-end that understands it.

    Raises :class:`AudioImportError` when the file is missing, empty,
    unreadable, not audio, truncated, holds no samples or uses a codec we
    cannot decode.
    """
    p = Path(path)
    check_readable(p)
    try:
        reader: AudioReader = _SoundFileReader(p)
    except sf.LibsndfileError as exc:
        log.debug("libsndfile cannot open %s (%s); trying FFmpeg", p, exc)
        return _AvReader(p)
    if reader.info.frames > 0 or not reader.info.frames_exact:
        return reader
    # libsndfile says "no frames": a truly empty file, or a stream it cannot
    # measure (a cut-off Ogg). Ask FFmpeg before calling it empty.
    reader.close()
    try:
        fallback = _AvReader(p)
    except AudioImportError:
        raise AudioImportError(
            p, "it contains no decodable audio (the file may be cut off or damaged)"
        ) from None
    if fallback.info.frames <= 0:
        fallback.close()
        raise AudioImportError(p, "it contains no audio (0 samples)")
    return fallback


def check_readable(path: Path) -> None:
    """Raise :class:`AudioImportError` unless ``path`` is a non-empty readable file."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise AudioImportError(path, "the file does not exist") from None
    except OSError as exc:
        raise AudioImportError(path, f"cannot access the file ({exc.strerror})") from exc
    if path.is_dir():
        raise AudioImportError(path, "it is a folder, not a file")
    if st.st_size == 0:
        raise AudioImportError(path, "the file is empty (0 bytes)")
    try:
        _read_head(path)
    except PermissionError:
        raise AudioImportError(path, "permission denied: the file cannot be read") from None
    except OSError as exc:
        raise AudioImportError(path, f"the file cannot be read ({exc.strerror})") from exc


def _read_head(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(16)


def _fmt_time(seconds: float) -> str:
    """``m:ss.s``, or ``h:mm:ss.s`` from an hour on."""
    minutes, secs = divmod(max(0.0, seconds), 60.0)
    hours, minutes = divmod(int(minutes), 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:04.1f}"
    return f"{minutes}:{secs:04.1f}"


class _Rebuffer:
    """Collects small decoder frames into blocks of a fixed size."""

    def __init__(self, block_frames: int, channels: int) -> None:
        self._block = block_frames
        self._channels = channels
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


class _SoundFileReader(AudioReader):
    """libsndfile back-end (raises ``sf.LibsndfileError`` if it cannot open)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = sf.SoundFile(path)
        fmt = str(self._file.format)
        frames = int(self._file.frames)
        known = 0 <= frames < _UNKNOWN_FRAMES
        self.info = AudioInfo(
            sample_rate=int(self._file.samplerate),
            channels=int(self._file.channels),
            frames=frames if known else 0,
            format=fmt,
            codec=str(self._file.subtype),
            backend="soundfile",
            frames_exact=known and fmt not in _ESTIMATED_FORMATS,
        )
        if fmt in ("WAV", "WAVEX"):
            self._refuse_truncated_wav()

    def _refuse_truncated_wav(self) -> None:
        cut = truncated_wav_bytes(self.path)
        if cut is None:
            return
        declared, present = cut
        # libsndfile already counted only the frames present; scale for the rest.
        have = self.info.duration_s
        self.close()
        if not present or not have:
            raise AudioImportError(self.path, "the file is truncated: none of its audio is present")
        raise AudioImportError(
            self.path,
            "the file is truncated: its header announces "
            f"{_fmt_time(have * declared / present)} of audio but only "
            f"{_fmt_time(have)} is present",
        )

    def blocks(self, block_frames: int = BLOCK_FRAMES) -> Iterator[np.ndarray]:
        done = 0
        while True:
            try:
                data = self._file.read(block_frames, dtype="float32", always_2d=True)
            except sf.LibsndfileError as exc:
                where = (
                    f"near {_fmt_time(done / self.info.sample_rate)}{self._of_total()}"
                    if done
                    else "from its start: no audio could be decoded"
                )
                raise AudioImportError(
                    self.path,
                    f"the audio data is damaged or truncated {where} ({_libsndfile_reason(exc)})",
                ) from exc
            if not len(data):
                break
            done += len(data)
            yield data
        self._check_complete(done)

    def _of_total(self) -> str:
        if not self.info.frames:
            return ""
        return f" of {_fmt_time(self.info.duration_s)}"

    def _check_complete(self, done: int) -> None:
        expected = self.info.frames
        slack = 0 if self.info.frames_exact else int(expected * 0.01) + self.info.sample_rate
        if done + slack < expected:
            rate = self.info.sample_rate
            raise AudioImportError(
                self.path,
                "the file is truncated or damaged: its header announces "
                f"{_fmt_time(expected / rate)} of audio but only "
                f"{_fmt_time(done / rate)} could be decoded",
            )

    def close(self) -> None:
        self._file.close()


def _libsndfile_reason(exc: sf.LibsndfileError) -> str:
    text = str(exc.error_string).strip().removeprefix("Error :").strip().rstrip(".")
    return f"libsndfile: {text}" if text else "libsndfile could not decode it"


class _AvReader(AudioReader):
    """FFmpeg back-end: the first audio stream, converted to packed float32."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._container = av.open(str(path), mode="r", metadata_errors="ignore")
        except (av.error.FFmpegError, OSError) as exc:
            raise AudioImportError(
                path, "it is not a supported audio or video file (or it is damaged)"
            ) from exc
        try:
            self.info = self._describe()
        except BaseException:
            self._container.close()
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
        buffer = _Rebuffer(block_frames, info.channels)
        bad = 0
        done = 0
        try:
            for packet in self._container.demux(self._stream):
                try:
                    frames = packet.decode()
                except av.error.InvalidDataError:
                    bad += 1
                    if bad > MAX_BAD_PACKETS:
                        raise
                    continue
                for frame in frames:
                    for out in resampler.resample(frame):
                        data = out.to_ndarray().reshape(-1, info.channels)
                        done += len(data)
                        yield from buffer.push(data)
            for out in resampler.resample(None):
                yield from buffer.push(out.to_ndarray().reshape(-1, info.channels))
        except av.error.FFmpegError as exc:
            raise AudioImportError(
                self.path,
                "the audio data is damaged near "
                f"{_fmt_time(done / info.sample_rate)} ({exc.strerror or exc})",
            ) from exc
        if bad:
            log.warning("%s: skipped %d damaged audio packet(s)", self.path, bad)
        yield from buffer.flush()

    def close(self) -> None:
        self._container.close()
