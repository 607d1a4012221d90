"""What a header announces is checked against what the file can hold.

A damaged or hostile header (a sample rate of 1 Hz, 2^36 frames in a 30 KB
FLAC, a thousand channels, an MP3 claiming days) must be refused, or its claim
ignored, at once: never turned into gigabytes of memory or hours of decoding.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from desktop_app.core.audio import _reader, import_audio, iter_blocks, probe
from desktop_app.core.audio._ffmpeg import MAX_JUNK_BYTES
from desktop_app.core.errors import AudioImportError
from desktop_app.core.jobs import JobState


def _refused(src: Path, dest: Path) -> AudioImportError:
    before = sorted(dest.rglob("*"))
    started = time.perf_counter()
    with pytest.raises(AudioImportError) as caught:
        import_audio(src, dest, JobState())
    assert time.perf_counter() - started < 5, "refusing a bad header must be quick"
    assert f"'{src.name}'" in str(caught.value)
    assert sorted(dest.rglob("*")) == before, "a refused import left files behind"
    return caught.value


def _flac_with_total_frames(path: Path, total: int) -> Path:
    """Rewrite the 36-bit "total samples" field of a FLAC file's STREAMINFO."""
    data = bytearray(path.read_bytes())
    assert data[:4] == b"fLaC" and data[4] & 0x7F == 0  # STREAMINFO comes first
    offset = 8 + 10  # after the block header, the block and frame sizes
    fields = int.from_bytes(data[offset : offset + 8], "big")
    fields = (fields & ~((1 << 36) - 1)) | total
    data[offset : offset + 8] = fields.to_bytes(8, "big")
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("rate", [1, 34, 999, 768_001, 2_000_000_000])
def test_sample_rates_no_audio_uses_are_refused(audio, dest, rate) -> None:
    # The case: 64 KB at 1 Hz was taken for an 18-hour recording (17 GB RSS).
    src = audio.pcm_wav("odd.wav", rate, 1, bytes(65_536))
    error = _refused(src, dest)
    assert f"{rate:,} Hz" in error.reason
    assert "1,000–768,000 Hz" in error.reason


@pytest.mark.parametrize("rate", [1_000, 768_000])
def test_the_edges_of_the_sample_rate_range_import(audio, dest, rate) -> None:
    samples = (np.sin(np.arange(rate // 2) / 5.0) * 8000).astype("<i2")
    result = import_audio(audio.pcm_wav("edge.wav", rate, 1, samples.tobytes()), dest, JobState())
    assert (result.sample_rate, result.frames) == (rate, rate // 2)


def test_flac_announcing_2_36_frames_is_refused_at_once(audio, dest) -> None:
    # The case: "Unable to allocate 126 TiB" for the waveform's peaks.
    src = _flac_with_total_frames(audio.tone("huge.flac", seconds=1.0), (1 << 36) - 1)
    error = _refused(src, dest)
    assert "announces 50 days of audio" in error.reason
    assert "more than a file of" in error.reason and "damaged" in error.reason


def test_flac_announcing_more_than_a_day_is_refused_before_decoding(audio, dest) -> None:
    noise = np.random.default_rng(0).uniform(-0.5, 0.5, 5 * 16_000).astype(np.float32)
    src = audio.samples("noise.flac", noise, 16_000)
    assert src.stat().st_size > 25 * 3600  # big enough that 25 h passes the size check
    _flac_with_total_frames(src, 25 * 3600 * 16_000)
    error = _refused(src, dest)
    assert "25:00:00.0 of audio" in error.reason and "up to 24 hours" in error.reason


def test_decoded_audio_past_the_longest_import_is_refused(audio, dest, monkeypatch) -> None:
    # An MP3's length is only an estimate: the limit holds while decoding too.
    monkeypatch.setattr(_reader, "MAX_DURATION_S", 2)
    error = _refused(audio.tone("long.mp3", seconds=3.0, rate=44_100), dest)
    assert "more than 2 seconds of audio" in error.reason
    error = _refused(audio.tone("long.wav", seconds=3.0), dest)
    assert "announces 0:03.0 of audio" in error.reason and "up to 2 seconds" in error.reason


def test_an_estimate_the_file_cannot_hold_is_ignored(audio, dest) -> None:
    src = audio.tone("xing.mp3", seconds=3.0, rate=44_100)
    data = bytearray(src.read_bytes())
    xing = data.find(b"Xing")
    assert xing > 0, "libsndfile's MP3 encoder writes a Xing header"
    data[xing + 8 : xing + 12] = (2**31 - 1).to_bytes(4, "big")  # frames: 2.5e12 samples
    src.write_bytes(bytes(data))

    assert probe(src).frames == 0  # unknown, not 2.5e12
    result = import_audio(src, dest, JobState())
    assert result.duration_s == pytest.approx(3.0, abs=0.1)


def test_a_raw_file_without_header_is_refused(audio, dest) -> None:
    # soundfile wants a sample rate for ".raw" and raised TypeError.
    _refused(audio.raw("capture.raw", bytes(range(256)) * 64), dest)


def test_blocks_of_a_thousand_channels_stay_small(audio) -> None:
    channels, frames = 1024, 3000
    data = np.zeros((frames, channels), dtype="<i2")
    src = audio.pcm_wav("wide.wav", 8_000, channels, data.tobytes())

    blocks = list(iter_blocks(src, block_frames=65_536))

    assert sum(len(b) for b in blocks) == frames
    assert max(b.size for b in blocks) <= _reader.MAX_BLOCK_SAMPLES
    assert all(b.shape[1] == channels for b in blocks)


def test_junk_before_the_audio_is_refused_after_a_bounded_read(audio, dest) -> None:
    # FFmpeg's MP3 parser keeps all it reads while it hunts for a frame: 1 GB of
    # zeros before the audio was read whole into memory (2.1 GB RSS, 18 s).
    tone = audio.tone("t.mp3", seconds=1.0, rate=44_100).read_bytes()
    src = audio.root / "junk.mp3"
    with open(src, "wb") as fh:
        fh.truncate(MAX_JUNK_BYTES + (16 << 20))  # sparse: costs no disk
        fh.seek(0, 2)
        fh.write(tone)
    error = _refused(src, dest)
    assert "no audio could be found in it after reading 64.0 MB" in error.reason


def test_a_wav_header_followed_by_nothing_is_refused_quickly(audio, dest) -> None:
    # libsndfile finds no data chunk and hands over to FFmpeg, whose WAV reader
    # walks the zeros as empty chunks, 8 bytes at a time: minutes for 2 GB.
    src = audio.pcm_wav("empty-chunks.wav", 16_000, 1, b"")
    with open(src, "r+b") as fh:
        fh.truncate(36)  # no data chunk: the fmt chunk, then
        fh.truncate(256 << 20)  # sparse zeros that cost no disk
    error = _refused(src, dest)
    assert "after 50,000 jumps through the file" in error.reason


def test_a_normal_recording_is_not_affected(audio, dest) -> None:
    src = audio.tone("speech.flac", seconds=2.0, rate=48_000, channels=2)
    result = import_audio(src, dest, JobState())
    assert result.frames == 96_000
    assert sf.info(result.model_audio_path).frames == 32_000
