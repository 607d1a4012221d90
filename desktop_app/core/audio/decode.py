"""Streaming decoders: read any audio (or video) file block by block.

Two back-ends sit behind one small interface:

* ``soundfile`` (libsndfile) for WAV, FLAC, OGG/Vorbis/Opus, MP3, AIFF, … —
  fast and exact frame counts;
* ``av`` (PyAV/FFmpeg, :mod:`._ffmpeg`) for MP4/M4A/AAC, WebM, video
  containers and anything libsndfile refuses.

Blocks are always float32 arrays shaped ``(frames, channels)`` at the file's
own sample rate; nothing ever holds the whole file in memory. Every failure a
user can hit (missing, empty, not audio, damaged, unsupported codec,
unreadable) comes out as :class:`~desktop_app.core.errors.AudioImportError`.

Nothing a header announces is taken on trust: a sample rate outside what audio
uses, or more audio than the file's size can hold, is refused (or, for a mere
estimate, ignored) before a byte is decoded.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Generator, Iterator
from pathlib import Path

import numpy as np
import soundfile as sf

from desktop_app.core.audio._ffmpeg import AvReader
from desktop_app.core.audio._reader import (
    BLOCK_FRAMES,
    AudioInfo,
    AudioReader,
    block_size,
    check_duration,
    check_sample_rate,
    overclaim,
)
from desktop_app.core.audio._reader import fmt_time as _fmt_time
from desktop_app.core.audio._wav import truncated_wav_bytes
from desktop_app.core.errors import AudioImportError

__all__ = [
    "BLOCK_FRAMES",
    "AudioInfo",
    "AudioReader",
    "check_readable",
    "iter_blocks",
    "open_audio",
    "probe",
]

log = logging.getLogger(__name__)

# libsndfile formats whose frame count is only an estimate.
_ESTIMATED_FORMATS = frozenset({"MP3"})
# libsndfile's frame count for streams that do not say how long they are.
_UNKNOWN_FRAMES = 2**62
# What soundfile raises for a file it cannot make sense of: its own errors, or a
# plain TypeError/ValueError (a ``.raw`` file without a header, a negative count).
_LIBSNDFILE_ERRORS = (sf.SoundFileError, RuntimeError, TypeError, ValueError, OverflowError)


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
    except _LIBSNDFILE_ERRORS as exc:
        log.debug("libsndfile cannot open %s (%s); trying FFmpeg", p, exc)
        return _checked(AvReader(p))
    reader = _checked(reader)
    if reader.info.frames > 0 or not reader.info.frames_exact:
        return reader
    # libsndfile says "no frames": a truly empty file, or a stream it cannot
    # measure (a cut-off Ogg). Ask FFmpeg before calling it empty.
    reader.close()
    try:
        fallback = _checked(AvReader(p))
    except AudioImportError:
        raise AudioImportError(
            p, "it contains no decodable audio (the file may be cut off or damaged)"
        ) from None
    if fallback.info.frames <= 0:
        fallback.close()
        raise AudioImportError(p, "it contains no audio (0 samples)")
    return fallback


def _checked(reader: AudioReader) -> AudioReader:
    """``reader``, unless its header announces what no real file holds.

    An exact length the file's size rules out, or one past the longest import,
    is refused; an estimate the size rules out is dropped (the length becomes
    unknown and decoding finds it).
    """
    info, path = reader.info, reader.path
    try:
        check_sample_rate(path, info.sample_rate)
        error = overclaim(path, info, path.stat().st_size)
        if error is not None and info.frames_exact:
            raise error
        if error is not None:
            log.info("%s: ignoring the estimated length (%s)", path, error.reason)
            reader.info = dataclasses.replace(info, frames=0)
        elif info.frames_exact:
            check_duration(path, info.frames, info.sample_rate, announced=True)
    except BaseException:
        reader.close()
        raise
    return reader


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


class _SoundFileReader(AudioReader):
    """libsndfile back-end (raises one of ``_LIBSNDFILE_ERRORS`` if it cannot open)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = sf.SoundFile(path)
        try:
            self.info = self._describe()
        except BaseException:
            self._file.close()
            raise

    def _describe(self) -> AudioInfo:
        fmt = str(self._file.format)
        frames = int(self._file.frames)
        known = 0 <= frames < _UNKNOWN_FRAMES
        info = AudioInfo(
            sample_rate=int(self._file.samplerate),
            channels=int(self._file.channels),
            frames=frames if known else 0,
            format=fmt,
            codec=str(self._file.subtype),
            backend="soundfile",
            frames_exact=known and fmt not in _ESTIMATED_FORMATS,
        )
        check_sample_rate(self.path, info.sample_rate)
        if fmt in ("WAV", "WAVEX"):
            _refuse_truncated_wav(self.path, info)
        return info

    def blocks(self, block_frames: int = BLOCK_FRAMES) -> Iterator[np.ndarray]:
        block_frames = block_size(block_frames, self.info.channels)
        done = 0
        while True:
            try:
                data = self._file.read(block_frames, dtype="float32", always_2d=True)
            except _LIBSNDFILE_ERRORS as exc:
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


def _refuse_truncated_wav(path: Path, info: AudioInfo) -> None:
    cut = truncated_wav_bytes(path)
    if cut is None:
        return
    declared, present = cut
    # libsndfile already counted only the frames present; scale for the rest.
    have = info.duration_s
    if not present or not have:
        raise AudioImportError(path, "the file is truncated: none of its audio is present")
    raise AudioImportError(
        path,
        "the file is truncated: its header announces "
        f"{_fmt_time(have * declared / present)} of audio but only "
        f"{_fmt_time(have)} is present",
    )


def _libsndfile_reason(exc: Exception) -> str:
    text = str(getattr(exc, "error_string", exc)).strip()
    text = text.removeprefix("Error :").strip().rstrip(".")
    return f"libsndfile: {text}" if text else "libsndfile could not decode it"
