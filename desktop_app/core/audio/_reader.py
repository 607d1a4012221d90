"""What the decoder back-ends share: the facts a file announces, the reader
interface, and the limits that keep a damaged or hostile header from costing
gigabytes of memory or hours of work.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

import numpy as np

from desktop_app.core.errors import AudioImportError

BLOCK_FRAMES = 65_536
"""Default block size in frames (about 1.4 s at 48 kHz)."""

MAX_BLOCK_SAMPLES = 1 << 20
"""At most this many samples (frames × channels, 4 MiB of float32) in one block."""

MIN_SAMPLE_RATE = 1_000
MAX_SAMPLE_RATE = 768_000
"""Sample rates real audio uses; a header outside them is damaged or not audio."""

MAX_DURATION_S = 24 * 3600
"""The longest recording one import takes. The waveform's peaks (about 230 MB a
day of audio while they are built) and the decoding time grow with the length,
and a few kilobytes of compressed silence can announce weeks of it."""

MIN_BYTES_PER_SECOND = 1
"""No compressed audio holds more than one second per byte of file (FLAC of
digital silence at 8 kHz, the most compact real case, takes about 24 bytes a
second); a header announcing more is damaged."""

_PCM_BYTES = {
    "PCM_S8": 1,
    "PCM_U8": 1,
    "ULAW": 1,
    "ALAW": 1,
    "PCM_16": 2,
    "PCM_24": 3,
    "PCM_32": 4,
    "FLOAT": 4,
    "DOUBLE": 8,
}
"""Bytes a sample of each uncompressed libsndfile subtype takes."""
_PCM_CONTAINERS = frozenset({"WAV", "WAVEX", "RF64", "W64", "AIFF", "AU", "CAF"})
"""libsndfile formats whose PCM subtypes are stored as is (FLAC says ``PCM_16`` too)."""


@dataclass(frozen=True, slots=True)
class AudioInfo:
    """What a file announces about its audio.

    ``frames`` is exact when ``frames_exact`` is true (PCM, FLAC, …); for
    compressed streams read through FFmpeg it is estimated from the container's
    duration, and may be 0 when the container does not say (or says something
    the file's size rules out).
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


def fmt_time(seconds: float) -> str:
    """``m:ss.s``, or ``h:mm:ss.s`` from an hour on, or ``N days`` from two days on."""
    if seconds >= 2 * 86_400:
        return f"{seconds / 86_400:,.0f} days"
    minutes, secs = divmod(max(0.0, seconds), 60.0)
    hours, minutes = divmod(int(minutes), 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:04.1f}"
    return f"{minutes}:{secs:04.1f}"


def fmt_bytes(n: int) -> str:
    """``512 bytes``, ``30.0 KB``, ``2.0 GB`` (powers of 1024, as file managers show them)."""
    if n < 1024:
        return f"{n} bytes"
    size = float(n)
    for unit in ("KB", "MB", "GB", "TB"):
        size /= 1024
        if size < 1024 or unit == "TB":
            break
    return f"{size:.1f} {unit}"


def block_size(block_frames: int, channels: int) -> int:
    """``block_frames``, fewer if that many frames of ``channels`` would pass
    :data:`MAX_BLOCK_SAMPLES` (a header may claim a thousand channels)."""
    return max(1, min(block_frames, MAX_BLOCK_SAMPLES // max(1, channels)))


def check_sample_rate(path: Path, rate: int) -> None:
    """Refuse a sample rate no real audio uses."""
    if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise AudioImportError(
            path,
            f"its header gives a sample rate of {rate:,} Hz, outside the "
            f"{MIN_SAMPLE_RATE:,}–{MAX_SAMPLE_RATE:,} Hz that audio uses: "
            "the file is damaged or is not audio",
        )


def check_duration(path: Path, frames: int, rate: int, *, announced: bool) -> None:
    """Refuse audio past :data:`MAX_DURATION_S` (announced by a header, or decoded)."""
    if frames <= MAX_DURATION_S * rate:
        return
    hours, rest = divmod(MAX_DURATION_S, 3600)
    longest = f"{MAX_DURATION_S} seconds" if rest else f"{hours} hours"
    what = (
        f"its header announces {fmt_time(frames / rate)} of audio"
        if announced
        else f"it holds more than {longest} of audio"
    )
    raise AudioImportError(
        path,
        f"{what}; Jazba imports recordings of up to {longest}. "
        "Split it into shorter parts (e.g. with Audacity, sox or ffmpeg) and import those",
    )


def max_frames(info: AudioInfo, file_bytes: int) -> int:
    """The most frames a file of ``file_bytes`` can hold in ``info``'s encoding."""
    uncompressed = info.backend == "soundfile" and info.format in _PCM_CONTAINERS
    sample_bytes = _PCM_BYTES.get(info.codec) if uncompressed else None
    if sample_bytes:
        return file_bytes // (sample_bytes * max(1, info.channels))
    return file_bytes // MIN_BYTES_PER_SECOND * info.sample_rate


def overclaim(path: Path, info: AudioInfo, file_bytes: int) -> AudioImportError | None:
    """The error to raise if ``info.frames`` is more than the file can hold, else ``None``."""
    if info.frames <= max_frames(info, file_bytes):
        return None
    return AudioImportError(
        path,
        f"its header announces {fmt_time(info.duration_s)} of audio, more than a file "
        f"of {fmt_bytes(file_bytes)} can hold: the header is damaged",
    )
