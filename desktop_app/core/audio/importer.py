"""Import a recording into a project folder, all or nothing.

``import_audio`` is a job function: it reports progress through ``state`` and
stops with :class:`~desktop_app.core.errors.Cancelled` when asked. It writes

* ``dest/audio/<name>`` — a byte-exact copy of the source (hashed on the way),
* ``dest/cache/<name>.16k.flac`` — 16 kHz mono audio for the models,
* ``dest/cache/<name>.peaks`` — the waveform's :class:`PeakPyramid`,

each under a hidden temporary name first, renamed only once everything
succeeded, to names reserved with an exclusive create (two processes importing
``interview.wav`` at once get ``interview.wav`` and ``interview-2.wav``). On any
failure, cancel included, every file (and every folder the import created) is
removed again; a process killed half-way leaves partial files that
:func:`~desktop_app.core.audio._storage.clean_partial_files` removes later.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from desktop_app.core.audio import _storage
from desktop_app.core.audio._reader import MAX_DURATION_S, check_duration
from desktop_app.core.audio._storage import (
    AUDIO_DIR,
    CACHE_DIR,
    Workspace,
    fsync_dir,
    fsync_file,
    reserve,
    storage_errors,
)
from desktop_app.core.audio.decode import (
    BLOCK_FRAMES,
    AudioInfo,
    check_readable,
    open_audio,
    probe,
)
from desktop_app.core.audio.filenames import name_candidates, safe_file_name
from desktop_app.core.audio.peaks import PeakPyramidBuilder
from desktop_app.core.audio.resample import MODEL_RATE, MonoResampler
from desktop_app.core.errors import AudioImportError, StorageError
from desktop_app.core.jobs import Progress

MODEL_SUFFIX = ".16k.flac"
PEAKS_SUFFIX = ".peaks"

COPY_SHARE = 0.1
"""Part of the progress bar given to copying and hashing (decoding gets the rest)."""

_COPY_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class ImportedAudio:
    """The files one import produced, and what the decoder found in the source.

    ``frames`` and ``duration_s`` are what was actually decoded at the source's
    ``sample_rate`` (not the header's estimate).
    """

    original_path: Path
    model_audio_path: Path
    peaks_path: Path
    sha256: str
    duration_s: float
    sample_rate: int
    channels: int
    frames: int
    format: str
    codec: str


def import_audio(
    src: str | os.PathLike[str],
    dest_dir: str | os.PathLike[str],
    state: Progress,
    *,
    block_frames: int = BLOCK_FRAMES,
) -> ImportedAudio:
    """Copy, decode and index ``src`` into ``dest_dir``; see the module docstring.

    Raises :class:`AudioImportError` for a source we cannot use,
    :class:`StorageError` when ``dest_dir`` cannot be written (read-only, disk
    full) and :class:`Cancelled` when ``state`` is cancelled.
    """
    src, dest = Path(src), Path(dest_dir)
    state.set_progress(0.0, f"Checking '{src.name}'…")
    probe(src)  # refuse bad input before copying a byte
    name = safe_file_name(src.name)
    work = Workspace()
    try:
        audio_dir = work.make_dir(dest / AUDIO_DIR)
        cache_dir = work.make_dir(dest / CACHE_DIR)
        work.hold_lock(audio_dir)
        suffix = Path(name).suffix
        copy = work.temp_path(audio_dir, suffix)
        sha256 = _copy_and_hash(src, copy, state)
        model = work.temp_path(cache_dir, ".flac")
        peaks = work.temp_path(cache_dir, PEAKS_SUFFIX)
        info, frames = _decode(src, copy, model, peaks, state, block_frames)
        state.set_progress(1.0, f"Imported '{src.name}'")
        final = _commit(work, name, audio_dir, cache_dir, (copy, model, peaks))
    except BaseException:
        work.rollback()
        raise
    work.release()
    return ImportedAudio(
        original_path=final[0],
        model_audio_path=final[1],
        peaks_path=final[2],
        sha256=sha256,
        duration_s=frames / info.sample_rate,
        sample_rate=info.sample_rate,
        channels=info.channels,
        frames=frames,
        format=info.format,
        codec=info.codec,
    )


def _copy_and_hash(src: Path, dst: Path, state: Progress) -> str:
    """Stream ``src`` into the new file ``dst``; return the SHA-256 of the bytes."""
    digest = hashlib.sha256()
    done = 0
    buf = bytearray(_COPY_CHUNK)
    view = memoryview(buf)
    status = f"Copying '{src.name}'…"
    try:
        fin = open(src, "rb")  # noqa: SIM115 - closed below, errors mapped per side
    except OSError as exc:
        raise AudioImportError(src, f"the file cannot be read ({exc.strerror})") from exc
    with fin:
        total = max(1, os.fstat(fin.fileno()).st_size)
        with storage_errors(dst.parent, f"a copy of '{src.name}'"):
            fout = _storage.open_new_file(dst)
        with fout:
            while True:
                state.check()
                try:
                    n = fin.readinto(buf)
                except OSError as exc:
                    raise AudioImportError(src, f"reading failed ({exc.strerror})") from exc
                if not n:
                    break
                digest.update(view[:n])
                with storage_errors(dst.parent, f"a copy of '{src.name}'"):
                    fout.write(view[:n])
                done += n
                state.set_progress(COPY_SHARE * done / total, status)
            with storage_errors(dst.parent, f"a copy of '{src.name}'"):
                fout.flush()
                os.fsync(fout.fileno())
    return digest.hexdigest()


def _decode(
    src: Path,
    copy: Path,
    model: Path,
    peaks: Path,
    state: Progress,
    block_frames: int,
) -> tuple[AudioInfo, int]:
    """One pass over ``copy``: write the 16 kHz model audio and the peak pyramid."""
    status = f"Decoding '{src.name}'…"
    what = f"the model audio of '{src.name}'"
    try:
        reader = open_audio(copy)
    except AudioImportError as exc:
        raise AudioImportError(src, exc.reason) from exc
    with reader:
        info = reader.info
        resampler = MonoResampler(info.sample_rate, MODEL_RATE)
        # Size the pyramid once when the length is known (+1 % and 1 s of slack),
        # never for more than the longest import, whatever a header estimates.
        announced = min(info.frames, MAX_DURATION_S * info.sample_rate)
        expected = int(announced * 1.01 * MODEL_RATE / info.sample_rate) + MODEL_RATE
        builder = PeakPyramidBuilder(MODEL_RATE, expected_samples=expected if info.frames else 0)
        with storage_errors(model.parent, what):
            writer = sf.SoundFile(model, "w", MODEL_RATE, 1, "PCM_16", format="FLAC")
        frames = 0
        try:
            for block in _blocks_named(reader.blocks(block_frames), src):
                state.check()
                frames += len(block)
                check_duration(src, frames, info.sample_rate, announced=False)
                _write(writer, builder, resampler.process(block), model, what)
                if info.frames:
                    share = min(0.99, frames / info.frames)
                    state.set_progress(COPY_SHARE + (1.0 - COPY_SHARE) * share, status)
            _write(writer, builder, resampler.flush(), model, what)
        except BaseException:
            with contextlib.suppress(Exception):
                writer.close()
            raise
        with storage_errors(model.parent, what):
            writer.close()
    if frames == 0:
        raise AudioImportError(src, "it contains no audio (0 samples)")
    with storage_errors(model.parent, what):
        fsync_file(model)
    with storage_errors(peaks.parent, f"the waveform of '{src.name}'"):
        builder.finish().save(peaks)
        fsync_file(peaks)
    return info, frames


def _blocks_named(blocks: Iterator[np.ndarray], src: Path) -> Iterator[np.ndarray]:
    """Re-raise decode errors about the temporary copy as errors about ``src``."""
    try:
        yield from blocks
    except AudioImportError as exc:
        raise AudioImportError(src, exc.reason) from exc


def _write(
    writer: sf.SoundFile,
    builder: PeakPyramidBuilder,
    mono: np.ndarray,
    model: Path,
    what: str,
) -> None:
    if not len(mono):
        return
    mono = np.clip(np.nan_to_num(mono, nan=0.0), -1.0, 1.0)
    with storage_errors(model.parent, what):
        writer.write(mono)
    builder.add(mono)


def _commit(
    work: Workspace, name: str, audio_dir: Path, cache_dir: Path, temps: tuple[Path, Path, Path]
) -> tuple[Path, Path, Path]:
    """Rename the temporary files to the first names no one else holds.

    Each candidate's three names are reserved at once (:func:`reserve`), so a
    name another process (or thread) holds, or is about to fill, is skipped,
    never overwritten.
    """

    def targets(candidate: str) -> tuple[Path, Path, Path]:
        return (
            audio_dir / candidate,
            cache_dir / (candidate + MODEL_SUFFIX),
            cache_dir / (candidate + PEAKS_SUFFIX),
        )

    for candidate in name_candidates(name):
        finals = targets(candidate)
        with storage_errors(audio_dir, f"'{candidate}'"):
            if reserve(finals):
                break
    for final in finals:
        work.track(final)
    for temp, final in zip(temps, finals, strict=True):
        with storage_errors(final.parent, f"'{final.name}'"):
            os.replace(temp, final)  # over our own empty reservation
    fsync_dir(audio_dir)
    fsync_dir(cache_dir)
    return finals


def load_model_audio(
    path: str | os.PathLike[str], start_s: float | None = None, end_s: float | None = None
) -> np.ndarray:
    """16 kHz mono float32 samples of a model audio file, or of ``[start_s, end_s)`` only.

    Times are clamped to the file; only the requested span is read.
    """
    p = Path(path)
    if start_s is not None and end_s is not None and end_s < start_s:
        raise ValueError(f"end_s ({end_s}) is before start_s ({start_s})")
    check_readable(p)
    try:
        with sf.SoundFile(p) as fh:
            if fh.samplerate != MODEL_RATE or fh.channels != 1:
                raise AudioImportError(
                    p, f"it is not {MODEL_RATE} Hz mono model audio; re-import the recording"
                )
            first = 0 if start_s is None else min(max(0, round(start_s * MODEL_RATE)), fh.frames)
            last = fh.frames if end_s is None else round(end_s * MODEL_RATE)
            last = min(max(first, last), fh.frames)
            if first:
                fh.seek(first)
            return fh.read(last - first, dtype="float32")
    except sf.LibsndfileError as exc:
        raise AudioImportError(p, f"the model audio is damaged ({exc.error_string})") from exc


def remove_imported(imported: ImportedAudio) -> None:
    """Delete the files of one import (those already gone are ignored).

    Raises :class:`StorageError` if a file exists but cannot be deleted; the
    others are still removed.
    """
    first_error: StorageError | None = None
    for path in (imported.original_path, imported.model_audio_path, imported.peaks_path):
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            if first_error is None:
                message = _storage.storage_message(path.parent, f"'{path.name}'", exc, "delete")
                first_error = StorageError(message)
    if first_error is not None:
        raise first_error
