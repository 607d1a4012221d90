"""A WAV file written while it is being recorded, and its repair after a crash.

The file is a plain 44-byte PCM header followed by the samples. Samples are
appended as they come (they reach the operating system at once, so a killed
process loses nothing it had written); :meth:`WavAppender.sync` rewrites the
two size fields of the header and calls ``fsync`` — the recorder does that at
least every second, so after a power loss at most about a second is missing
and even the unrepaired header is at most a second behind.

:func:`repair_wav` makes an unfinished file whole again from its length.
"""

from __future__ import annotations

import errno
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HEADER_BYTES = 44
BIT_DEPTHS = (16, 24)
MAX_DATA_BYTES = 0xFFFF_FFFF - 36 - (1 << 20)  # what a RIFF size field can describe


def frame_bytes(channels: int, bits: int) -> int:
    """Bytes of one PCM frame (a sample of every channel)."""
    return channels * bits // 8


def sample_dtype(bits: int) -> str:
    """The integer type blocks of this depth come in: int16, or int32 for 24-bit
    (PortAudio's 32-bit samples with the converter's bits at the top)."""
    return "int16" if bits == 16 else "int32"


class FileLimitReached(OSError):
    """The file cannot grow: the disk is full or the WAV size limit is reached."""


def _header(rate: int, channels: int, data_bytes: int, bits: int = 16) -> bytes:
    align = frame_bytes(channels, bits)
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + data_bytes,
        b"WAVE",
        b"fmt ",
        16,
        1,  # WAVE_FORMAT_PCM
        channels,
        rate,
        rate * align,
        align,
        bits,
        b"data",
        data_bytes,
    )


def pcm_bytes(block: np.ndarray, bits: int) -> bytes:
    """Little-endian PCM of ``block``: int16 as is for 16 bits; for 24 bits, the
    top three bytes of each int32 sample (PortAudio puts a 24-bit converter's
    bits there)."""
    if bits == 16:
        return np.ascontiguousarray(block, dtype="<i2").tobytes()
    wide = np.ascontiguousarray(block, dtype="<i4").reshape(-1)
    return wide.view(np.uint8).reshape(-1, 4)[:, 1:].tobytes()


class WavAppender:
    """Append int16 (16-bit) or int32 (24-bit) frames to a new WAV file; see the
    module docstring.

    ``max_bytes`` caps the file size (tests use it to fake a full disk: the
    write that crosses it is cut there and fails with ``ENOSPC``, as a real
    full disk would).
    """

    def __init__(
        self,
        path: Path,
        rate: int,
        channels: int,
        *,
        bits: int = 16,
        max_bytes: int | None = None,
    ) -> None:
        if bits not in BIT_DEPTHS:
            raise ValueError(f"cannot write {bits}-bit WAV (16 or 24)")
        self.path = path
        self.rate = rate
        self.channels = channels
        self.bits = bits
        self.frame_bytes = frame_bytes(channels, bits)
        self.max_bytes = max_bytes
        self.data_bytes = 0
        self._synced_bytes = -1
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            self._write_all(_header(rate, channels, 0, bits), header=True)
            os.fsync(self.fd)
        except BaseException:
            os.close(self.fd)
            path.unlink(missing_ok=True)
            raise

    @property
    def frames(self) -> int:
        return self.data_bytes // self.frame_bytes

    def append(self, block: np.ndarray) -> None:
        """Write ``block`` (``(frames, channels)``). On a failed write the file
        keeps every whole frame written so far and the error is raised."""
        data = pcm_bytes(block, self.bits)
        room = MAX_DATA_BYTES - self.data_bytes
        if len(data) > room:
            self._write_all(data[: room - room % self.frame_bytes])
            raise FileLimitReached(errno.EFBIG, "the WAV size limit (4 GB) is reached")
        self._write_all(data)

    def _write_all(self, data: bytes, header: bool = False) -> None:
        view = memoryview(data)
        while view:
            size = HEADER_BYTES + self.data_bytes if not header else 0
            if self.max_bytes is not None and size + len(view) > self.max_bytes:
                allowed = max(0, self.max_bytes - size)
                if allowed:
                    self._write_all(bytes(view[:allowed]), header)
                raise FileLimitReached(errno.ENOSPC, os.strerror(errno.ENOSPC))
            try:
                n = os.write(self.fd, view)
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
                    raise FileLimitReached(exc.errno, exc.strerror) from exc
                raise
            if not header:
                self.data_bytes += n
            view = view[n:]

    def sync(self) -> None:
        """Make the header describe every whole frame written, and flush it all to disk."""
        whole = self.data_bytes - self.data_bytes % self.frame_bytes
        if whole != self._synced_bytes:
            os.pwrite(self.fd, struct.pack("<I", 36 + whole), 4)
            os.pwrite(self.fd, struct.pack("<I", whole), 40)
        os.fsync(self.fd)
        self._synced_bytes = whole

    def close(self) -> None:
        """Cut a partial last frame (after a failed write), sync and close."""
        if self.fd < 0:
            return
        try:
            extra = self.data_bytes % self.frame_bytes
            if extra:
                os.ftruncate(self.fd, HEADER_BYTES + self.data_bytes - extra)
                self.data_bytes -= extra
            self.sync()
        finally:
            os.close(self.fd)
            self.fd = -1


@dataclass(frozen=True)
class WavFacts:
    rate: int
    channels: int
    bits: int
    data_offset: int
    declared_bytes: int  # what the header's data size says
    present_frames: int  # whole frames actually in the file


def read_facts(path: Path) -> WavFacts:
    """What the header of a (possibly unfinished) PCM WAV says, and what is really there."""
    with open(path, "rb") as fh:
        head = fh.read(12)
        size = os.fstat(fh.fileno()).st_size
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise ValueError("not a RIFF/WAVE file")
        pos, fmt = 12, None
        while pos + 8 <= size:
            fh.seek(pos)
            chunk_id, length = struct.unpack("<4sI", fh.read(8))
            if chunk_id == b"fmt ":
                fmt = struct.unpack("<HHIIHH", fh.read(16))
            elif chunk_id == b"data":
                if fmt is None or fmt[0] != 1:
                    raise ValueError("not a PCM WAV file")
                channels, rate, bits = fmt[1], fmt[2], fmt[5]
                align = frame_bytes(channels, bits)
                present = (size - pos - 8) // align
                return WavFacts(rate, channels, bits, pos + 8, length, present)
            pos += 8 + length + (length & 1)
    raise ValueError("the WAV file has no audio data chunk")


def repair_wav(path: Path) -> WavFacts:
    """Fix the header sizes of an unfinished WAV from its length (cutting a partial
    last frame); returns the facts after the repair. Data is never touched."""
    facts = read_facts(path)
    align = frame_bytes(facts.channels, facts.bits)
    data_bytes = facts.present_frames * align
    fd = os.open(path, os.O_RDWR)
    try:
        end = facts.data_offset + data_bytes
        if os.fstat(fd).st_size != end:
            os.ftruncate(fd, end)
        os.pwrite(fd, struct.pack("<I", end - 8), 4)
        os.pwrite(fd, struct.pack("<I", data_bytes), facts.data_offset - 4)
        os.fsync(fd)
    finally:
        os.close(fd)
    return WavFacts(
        facts.rate, facts.channels, facts.bits, facts.data_offset, data_bytes, facts.present_frames
    )
