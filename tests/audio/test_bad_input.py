"""Every way an import can fail: a clear error, and nothing left behind."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
import soundfile as sf

from desktop_app.core.audio import _storage, decode, import_audio, probe
from desktop_app.core.audio.peaks import PeakPyramid
from desktop_app.core.errors import AudioImportError, StorageError
from desktop_app.core.jobs import JobState

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _cut(path: Path, keep: float = 0.5) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def _expect_refusal(src: Path, dest: Path, reason: str) -> AudioImportError:
    before = sorted(dest.rglob("*"))
    with pytest.raises(AudioImportError) as caught:
        import_audio(src, dest, JobState())
    error = caught.value
    assert error.path == src
    assert f"'{src.name}'" in str(error)
    assert reason in error.reason
    assert sorted(dest.rglob("*")) == before, "an import that failed left files behind"
    return error


def test_missing_file(audio, dest) -> None:
    _expect_refusal(audio.root / "nowhere.wav", dest, "does not exist")


def test_folder_instead_of_file(audio, dest) -> None:
    folder = audio.root / "folder.wav"
    folder.mkdir()
    _expect_refusal(folder, dest, "folder")


def test_empty_file(audio, dest) -> None:
    _expect_refusal(audio.raw("empty.wav", b""), dest, "empty (0 bytes)")


def test_text_file_renamed_wav(audio, dest) -> None:
    src = audio.raw("notes.wav", "Бұл аудио емес.\n".encode() * 50)
    _expect_refusal(src, dest, "not a supported audio or video file")


def test_png_renamed_wav(audio, dest) -> None:
    _expect_refusal(audio.png("photo.wav"), dest, "no audio stream")


@pytest.mark.parametrize("name", ["cut.wav", "cut.flac", "cut.mp3"])
def test_truncated_file_is_refused(audio, dest, name) -> None:
    src = _cut(audio.tone(name, seconds=4.0, rate=44_100, channels=2))
    error = _expect_refusal(src, dest, "truncated")
    assert "0:04.0" in error.reason  # tells what the header promised


def test_truncated_ogg(audio, dest) -> None:
    src = _cut(audio.tone("cut.ogg", seconds=4.0, rate=44_100, channels=2))
    _expect_refusal(src, dest, "cut off or damaged")


def test_truncated_m4a(audio, dest) -> None:
    # MP4 keeps its index at the end: half a file cannot be opened at all.
    src = _cut(audio.encoded("cut.m4a", seconds=3.0))
    _expect_refusal(src, dest, "damaged")


def test_wav_with_damaged_middle(audio, dest) -> None:
    src = audio.tone("mid.flac", seconds=4.0, rate=44_100)
    data = bytearray(src.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 4000] = os.urandom(4000)
    src.write_bytes(bytes(data))
    _expect_refusal(src, dest, "damaged")


def test_header_without_frames(audio, dest) -> None:
    with sf.SoundFile(audio.root / "silent.wav", "w", 16_000, 1, "PCM_16"):
        pass
    _expect_refusal(audio.root / "silent.wav", dest, "no audio (0 samples)")


def test_flac_stream_without_frames(audio, dest) -> None:
    # A FLAC header announcing "length unknown", then nothing.
    fields = [(4096, 16), (4096, 16), (0, 24), (0, 24), (16_000, 20), (0, 3), (15, 5), (0, 36)]
    bits = 0
    for value, width in fields:
        bits = (bits << width) | value
    streaminfo = bits.to_bytes(18, "big") + bytes(16)
    header = b"fLaC" + bytes([0x80]) + len(streaminfo).to_bytes(3, "big") + streaminfo
    _expect_refusal(audio.raw("silent.flac", header), dest, "no audio could be decoded")


def test_unsupported_codec(audio, dest) -> None:
    src = audio.wav_with_codec_tag("odd.wav", 0x1234)
    _expect_refusal(src, dest, "codec is not supported")


@pytest.mark.skipif(IS_ROOT or os.name == "nt", reason="root can read any file")
def test_unreadable_file_permissions(audio, dest) -> None:
    src = audio.tone("locked.wav")
    src.chmod(0)
    try:
        _expect_refusal(src, dest, "permission denied")
    finally:
        src.chmod(0o644)


def test_unreadable_file_simulated(audio, dest, monkeypatch) -> None:
    def denied(path: Path) -> bytes:
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(decode, "_read_head", denied)
    _expect_refusal(audio.tone("locked.wav"), dest, "permission denied")


def test_probe_reports_the_same_errors(audio) -> None:
    with pytest.raises(AudioImportError, match="empty"):
        probe(audio.raw("e.wav", b""))
    with pytest.raises(AudioImportError, match="does not exist"):
        probe(audio.root / "missing.flac")


# --- the destination cannot be written ---------------------------------------------


def _expect_storage_error(src: Path, dest: Path, words: str) -> StorageError:
    before = sorted(dest.rglob("*")) if dest.exists() else None
    with pytest.raises(StorageError) as caught:
        import_audio(src, dest, JobState())
    assert words in str(caught.value)
    after = sorted(dest.rglob("*")) if dest.exists() else None
    assert after == before, "a failed import left files behind"
    return caught.value


def _disk_full(*_args: object, **_kwargs: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


class _FullFile:
    """A file whose writes fail as on a full disk (it still gets created)."""

    def __init__(self, path: Path) -> None:
        self._fh = open(path, "xb")  # noqa: SIM115 - closed in __exit__

    def write(self, _data: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    def __getattr__(self, name: str) -> object:
        return getattr(self._fh, name)

    def __enter__(self) -> _FullFile:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._fh.close()


def test_disk_full_while_copying(audio, dest, monkeypatch) -> None:
    monkeypatch.setattr(_storage, "open_new_file", _FullFile)
    error = _expect_storage_error(audio.tone("a.wav"), dest, "disk is full")
    assert "a.wav" in str(error)


def test_disk_full_while_writing_model_audio(audio, dest, monkeypatch) -> None:
    src = audio.tone("a.wav")
    monkeypatch.setattr(sf.SoundFile, "write", _disk_full)
    _expect_storage_error(src, dest, "disk is full")


def test_disk_full_while_writing_peaks(audio, dest, monkeypatch) -> None:
    monkeypatch.setattr(PeakPyramid, "save", _disk_full)
    _expect_storage_error(audio.tone("a.wav"), dest, "disk is full")


def test_libsndfile_short_write_is_a_storage_error(audio, dest, monkeypatch) -> None:
    def short_write(*_args: object) -> None:
        raise sf.LibsndfileError(1, "Error writing")

    src = audio.tone("a.wav")
    monkeypatch.setattr(sf.SoundFile, "write", short_write)
    _expect_storage_error(src, dest, "Cannot write the model audio")


def test_read_only_destination_simulated(audio, dest, monkeypatch) -> None:
    def read_only(path: Path) -> None:
        raise OSError(errno.EROFS, "Read-only file system", str(path))

    monkeypatch.setattr(_storage, "open_new_file", read_only)
    _expect_storage_error(audio.tone("a.wav"), dest, "read-only")


def test_folders_cannot_be_created(audio, tmp_path, monkeypatch) -> None:
    def denied(self: Path, *_args: object, **_kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", denied)
    _expect_storage_error(audio.tone("a.wav"), tmp_path / "nope", "read-only")


@pytest.mark.skipif(IS_ROOT or os.name == "nt", reason="root can write anywhere")
def test_read_only_destination_chmod(audio, dest) -> None:
    dest.chmod(0o555)
    try:
        _expect_storage_error(audio.tone("a.wav"), dest, "read-only")
    finally:
        dest.chmod(0o755)


def test_destination_is_a_file(audio, tmp_path) -> None:
    dest = tmp_path / "file"
    dest.write_text("I am not a folder")
    with pytest.raises(StorageError, match="not a folder"):
        import_audio(audio.tone("a.wav"), dest, JobState())
    assert dest.read_text() == "I am not a folder"


def test_rename_failure_rolls_back_the_files_already_renamed(audio, dest, monkeypatch) -> None:
    real_replace = os.replace
    calls: list[str] = []

    def flaky_replace(src: str | Path, dst: str | Path) -> None:
        calls.append(str(dst))
        if len(calls) == 3:
            raise OSError(errno.EIO, "Input/output error")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", flaky_replace)
    _expect_storage_error(audio.tone("a.wav"), dest, "Input/output error")
    assert len(calls) == 3


def test_truncated_compressed_wav_reports_durations(audio, dest) -> None:
    # IMA ADPCM: 4 bits a sample, so durations cannot come from PCM arithmetic.
    src = _cut(audio.tone("adpcm.wav", seconds=8.0, rate=16_000, subtype="IMA_ADPCM"))
    error = _expect_refusal(src, dest, "truncated")
    assert "0:08.0" in error.reason and "0:04.0" in error.reason


def test_durations_over_an_hour_read_naturally() -> None:
    assert decode._fmt_time(3 * 3600 + 5 * 60 + 7.25) == "3:05:07.2"
    assert decode._fmt_time(65.0) == "1:05.0"
