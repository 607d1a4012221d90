"""Decoding: probe and block-wise reading through libsndfile and FFmpeg."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from desktop_app.core.audio.decode import AudioInfo, iter_blocks, open_audio, probe


@pytest.mark.parametrize(
    ("name", "rate", "channels", "fmt", "backend"),
    [
        ("a.wav", 44_100, 2, "WAV", "soundfile"),
        ("a.flac", 22_050, 1, "FLAC", "soundfile"),
        ("a.ogg", 48_000, 2, "OGG", "soundfile"),
        ("a.mp3", 44_100, 2, "MP3", "soundfile"),
        ("a.aiff", 8_000, 1, "AIFF", "soundfile"),
    ],
)
def test_libsndfile_formats(audio, name, rate, channels, fmt, backend) -> None:
    path = audio.tone(name, seconds=1.5, rate=rate, channels=channels)

    info = probe(path)
    blocks = list(iter_blocks(path, block_frames=4096))

    assert (info.sample_rate, info.channels, info.format, info.backend) == (
        rate,
        channels,
        fmt,
        backend,
    )
    assert info.duration_s == pytest.approx(1.5, abs=0.01)
    assert all(b.dtype == np.float32 and b.ndim == 2 and b.shape[1] == channels for b in blocks)
    assert all(len(b) == 4096 for b in blocks[:-1])
    assert sum(len(b) for b in blocks) == pytest.approx(1.5 * rate, abs=0.01 * rate)


@pytest.mark.parametrize(
    ("name", "codec", "fmt", "codec_name"),
    [
        ("a.m4a", "aac", "M4A", "aac"),
        ("a.mp4", "aac", "MP4", "aac"),
        ("a.aac", "aac", "AAC", "aac"),
        ("a.webm", "libopus", "WEBM", "opus"),
        ("a.mka", "pcm_s16le", "MATROSKA", "pcm_s16le"),
    ],
)
def test_ffmpeg_formats(audio, name, codec, fmt, codec_name) -> None:
    path = audio.encoded(name, codec=codec, seconds=2.0, rate=48_000, channels=2)

    info = probe(path)
    blocks = list(iter_blocks(path, block_frames=10_000))

    assert info.backend == "av"
    assert (info.sample_rate, info.channels, info.format, info.codec) == (
        48_000,
        2,
        fmt,
        codec_name,
    )
    assert info.duration_s == pytest.approx(2.0, abs=0.1)
    assert all(b.dtype == np.float32 and b.shape[1] == 2 for b in blocks)
    # FFmpeg's small frames are regrouped into full blocks.
    assert all(len(b) == 10_000 for b in blocks[:-1])
    assert sum(len(b) for b in blocks) == pytest.approx(96_000, abs=2048)


def test_pcm_samples_come_back_exactly(audio) -> None:
    rng = np.random.default_rng(1)
    data = rng.uniform(-0.9, 0.9, size=(30_001, 3)).astype(np.float32)
    path = audio.samples("three.wav", data, 32_000, subtype="FLOAT")

    decoded = np.concatenate(list(iter_blocks(path, block_frames=1000)))

    np.testing.assert_array_equal(decoded, data)


def test_ffmpeg_pcm_samples_come_back_exactly(audio, tmp_path) -> None:
    # A 6-channel PCM Matroska goes through FFmpeg; values must survive the
    # conversion to packed float32 unchanged, channel order included.
    import av

    rng = np.random.default_rng(2)
    data = rng.integers(-20_000, 20_000, size=(6, 4800), dtype=np.int16)
    path = tmp_path / "six.mka"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=24_000, layout="5.1")
        frame = av.AudioFrame.from_ndarray(data, format="s16p", layout="5.1")
        frame.sample_rate = 24_000
        frame.pts = 0
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)

    decoded = np.concatenate(list(iter_blocks(path)))

    assert probe(path).channels == 6
    np.testing.assert_allclose(decoded, data.T / 32768.0, atol=1e-6)


@pytest.mark.parametrize("rate", [8_000, 11_025, 96_000])
def test_any_sample_rate(audio, rate) -> None:
    path = audio.tone(f"r{rate}.flac", seconds=0.5, rate=rate, channels=1)
    assert probe(path).sample_rate == rate
    assert sum(len(b) for b in iter_blocks(path)) == rate // 2


def test_reader_is_a_context_manager_and_info_is_frozen(audio) -> None:
    path = audio.tone("a.wav")
    with open_audio(path) as reader:
        info = reader.info
        first = next(reader.blocks(100))
    assert isinstance(info, AudioInfo)
    assert first.shape == (100, 1)
    with pytest.raises(AttributeError):
        info.frames = 3  # type: ignore[misc]


def test_stopping_early_reads_no_further(audio, monkeypatch) -> None:
    path = audio.tone("long.wav", seconds=5.0)
    reads: list[int] = []
    real_read = sf.SoundFile.read

    def counting_read(self, frames=-1, *args, **kwargs):  # type: ignore[no-untyped-def]
        reads.append(frames)
        return real_read(self, frames, *args, **kwargs)

    monkeypatch.setattr(sf.SoundFile, "read", counting_read)
    blocks = iter_blocks(path, block_frames=1000)
    next(blocks)
    blocks.close()

    assert reads == [1000]  # streaming: never a whole-file read
