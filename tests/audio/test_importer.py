"""Importing recordings: the files written, their content, progress and cancel."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from desktop_app.core.audio import (
    ImportedAudio,
    PeakPyramid,
    import_audio,
    load_model_audio,
    remove_imported,
)
from desktop_app.core.errors import Cancelled
from desktop_app.core.jobs import JobState


def _dominant_frequency(signal: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(signal * np.hanning(len(signal))))
    return float(np.fft.rfftfreq(len(signal), 1 / rate)[np.argmax(spectrum)])


@pytest.mark.parametrize(
    ("name", "rate", "channels", "fmt"),
    [
        ("talk.wav", 48_000, 2, "WAV"),
        ("talk.flac", 44_100, 1, "FLAC"),
        ("talk.ogg", 22_050, 2, "OGG"),
        ("talk.mp3", 44_100, 2, "MP3"),
    ],
)
def test_import_libsndfile_formats(audio, dest, state, name, rate, channels, fmt) -> None:
    src = audio.tone(name, seconds=2.0, rate=rate, channels=channels, freq=500.0)

    result = import_audio(src, dest, state)

    assert result.original_path == dest / "audio" / name
    assert result.model_audio_path == dest / "cache" / f"{name}.16k.flac"
    assert result.peaks_path == dest / "cache" / f"{name}.peaks"
    assert (result.sample_rate, result.channels, result.format) == (rate, channels, fmt)
    assert result.duration_s == pytest.approx(2.0, abs=0.06)
    assert result.frames == round(result.duration_s * rate)
    model, model_rate = sf.read(result.model_audio_path, dtype="float32")
    assert model_rate == 16_000 and model.ndim == 1
    assert len(model) == pytest.approx(32_000, abs=0.06 * 16_000)
    assert _dominant_frequency(model[2000:-2000], 16_000) == pytest.approx(500, abs=3)
    assert state.progress == 1.0


@pytest.mark.parametrize(("name", "codec"), [("voice.m4a", "aac"), ("clip.mp4", "aac")])
def test_import_aac_through_ffmpeg(audio, dest, state, name, codec) -> None:
    src = audio.encoded(name, codec=codec, seconds=2.0, rate=48_000, channels=2, freq=800.0)

    result = import_audio(src, dest, state)

    assert result.codec == "aac"
    assert result.format == Path(name).suffix[1:].upper()
    assert result.duration_s == pytest.approx(2.0, abs=0.05)
    model = load_model_audio(result.model_audio_path)
    assert _dominant_frequency(model[2000:-2000], 16_000) == pytest.approx(800, abs=3)
    amplitude = np.sqrt(2 * np.mean(model[2000:-2000].astype(np.float64) ** 2))
    assert amplitude == pytest.approx(0.5, rel=0.03)


def test_stereo_48k_becomes_16k_mono_sine(audio, dest, state) -> None:
    src = audio.tone("st.wav", seconds=3.0, rate=48_000, channels=2, freq=1000.0, amps=(0.8, 0.2))

    result = import_audio(src, dest, state)

    model = load_model_audio(result.model_audio_path)
    assert len(model) == 48_000
    middle = model[1600:-1600].astype(np.float64)
    assert _dominant_frequency(middle, 16_000) == pytest.approx(1000, abs=2)
    assert np.sqrt(2 * np.mean(middle**2)) == pytest.approx(0.5, rel=0.01)  # (0.8 + 0.2) / 2


def test_copy_is_byte_exact_and_hashed(audio, dest, state) -> None:
    src = audio.tone("memo.flac", seconds=1.0, rate=44_100, channels=2)

    result = import_audio(src, dest, state)

    assert result.original_path.read_bytes() == src.read_bytes()
    assert result.sha256 == hashlib.sha256(src.read_bytes()).hexdigest()
    assert src.exists()  # the source is never moved


def test_peaks_describe_the_model_audio(audio, dest, state) -> None:
    src = audio.tone("p.wav", seconds=4.0, rate=44_100, channels=1, amps=(0.3,))

    result = import_audio(src, dest, state)

    pyramid = PeakPyramid.load(result.peaks_path)
    model = load_model_audio(result.model_audio_path)
    assert pyramid.rate == 16_000
    assert pyramid.n_samples == len(model)
    assert pyramid.duration_s == pytest.approx(result.duration_s, abs=1e-3)
    mins, maxs = pyramid.query(0.5, 3.5, 100)
    np.testing.assert_allclose(maxs, 0.3, atol=0.01)
    np.testing.assert_allclose(mins, -0.3, atol=0.01)


def test_importing_the_same_name_twice_keeps_both(audio, dest, state) -> None:
    src = audio.tone("same.wav")

    first = import_audio(src, dest, state)
    second = import_audio(src, dest, JobState())

    assert first.original_path.name == "same.wav"
    assert second.original_path.name == "same-2.wav"
    assert second.model_audio_path.name == "same-2.wav.16k.flac"
    assert second.peaks_path.name == "same-2.wav.peaks"
    assert first.sha256 == second.sha256


def test_names_are_made_safe_but_stay_readable(audio, dest, state) -> None:
    src = audio.tone("Сұхбат: ауыл?.wav")

    result = import_audio(src, dest, state)

    assert result.original_path.name == "Сұхбат_ ауыл_.wav"
    assert result.original_path.exists()


def test_only_final_files_remain(audio, dest, state, list_tree) -> None:
    src = audio.tone("a.wav")
    import_audio(src, dest, state)
    assert list_tree(dest) == [
        "audio",
        "audio/a.wav",
        "cache",
        "cache/a.wav.16k.flac",
        "cache/a.wav.peaks",
    ]


def test_progress_rises_to_one(audio, dest) -> None:
    seen: list[float] = []
    state = JobState(on_progress=lambda f, _s: seen.append(f), min_interval=0.0)
    src = audio.tone("prog.wav", seconds=20.0, rate=16_000)

    import_audio(src, dest, state, block_frames=16_000)

    assert seen == sorted(seen)
    assert len({round(f, 3) for f in seen}) > 20
    assert seen[-1] == 1.0


@pytest.mark.parametrize("at", [0.05, 0.5, 0.95])
def test_cancel_mid_import_leaves_nothing(audio, tmp_path, at) -> None:
    src = audio.tone("big.wav", seconds=30.0, rate=44_100, channels=2)
    dest = tmp_path / "new-project"  # does not exist yet: created folders go too
    state = JobState(min_interval=0.0)
    state.on_progress = lambda f, _s: state.cancel() if f >= at else None

    with pytest.raises(Cancelled):
        import_audio(src, dest, state, block_frames=8192)

    assert not dest.exists()


def test_cancel_keeps_earlier_imports(audio, dest, list_tree) -> None:
    import_audio(audio.tone("keep.wav"), dest, JobState())
    before = list_tree(dest)
    state = JobState(min_interval=0.0)
    state.on_progress = lambda f, _s: state.cancel() if f > 0.3 else None

    with pytest.raises(Cancelled):
        import_audio(audio.tone("drop.wav", seconds=10.0), dest, state, block_frames=4096)

    assert list_tree(dest) == before


def test_load_model_audio_reads_spans(audio, dest, state) -> None:
    rng = np.random.default_rng(5)
    data = rng.uniform(-0.5, 0.5, size=(16_000 * 5, 1)).astype(np.float32)
    result = import_audio(audio.samples("n.flac", data, 16_000, subtype="PCM_24"), dest, state)

    whole = load_model_audio(result.model_audio_path)
    span = load_model_audio(result.model_audio_path, 1.25, 2.5)

    assert whole.dtype == np.float32 and whole.shape == (80_000,)
    np.testing.assert_allclose(whole, data[:, 0], atol=1 / 32_000)  # stored as 16-bit
    np.testing.assert_array_equal(span, whole[20_000:40_000])
    path = result.model_audio_path
    np.testing.assert_array_equal(load_model_audio(path, 4.5), whole[72_000:])
    np.testing.assert_array_equal(load_model_audio(path, None, 0.5), whole[:8000])
    assert len(load_model_audio(path, 6.0, 9.0)) == 0  # past the end
    assert len(load_model_audio(path, -1.0, 0.1)) == 1600  # clamped
    with pytest.raises(ValueError, match="before"):
        load_model_audio(path, 2.0, 1.0)


def test_remove_imported_deletes_all_three_files(audio, dest, state) -> None:
    result = import_audio(audio.tone("gone.wav"), dest, state)

    remove_imported(result)
    remove_imported(result)  # idempotent

    assert not result.original_path.exists()
    assert not result.model_audio_path.exists()
    assert not result.peaks_path.exists()


def test_imported_audio_is_frozen(audio, dest, state) -> None:
    result = import_audio(audio.tone("f.wav"), dest, state)
    assert isinstance(result, ImportedAudio)
    with pytest.raises(AttributeError):
        result.sha256 = "x"  # type: ignore[misc]


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_kazakh_speech_from_espeak(tmp_path, dest, state) -> None:
    wav = tmp_path / "сәлем.wav"
    text = "Сәлеметсіз бе! Бүгін ауа райы жақсы."
    subprocess.run(["espeak-ng", "-v", "kk", "-w", str(wav), text], check=True)

    result = import_audio(wav, dest, state)

    info = sf.info(wav)
    assert result.sample_rate == info.samplerate
    assert result.frames == info.frames
    model = load_model_audio(result.model_audio_path)
    assert len(model) == pytest.approx(info.frames * 16_000 / info.samplerate, abs=1)
    assert np.abs(model).max() > 0.05  # there is speech in it


def test_video_file_imports_its_audio_track(tmp_path, dest, state) -> None:
    import av

    path = tmp_path / "lecture.mp4"
    rate, seconds = 44_100, 2.0
    t = np.arange(round(rate * seconds)) / rate
    tone = (0.5 * np.sin(2 * np.pi * 600 * t)).astype(np.float32)
    with av.open(str(path), "w") as out:
        video = out.add_stream("mpeg4", rate=25)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        sound = out.add_stream("aac", rate=rate, layout="mono")
        for i in range(int(25 * seconds)):
            picture = np.full((48, 64, 3), i * 4, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format="yuv420p")
            frame.pts = i
            for packet in video.encode(frame):
                out.mux(packet)
        for start in range(0, len(tone), 1024):
            chunk = av.AudioFrame.from_ndarray(
                tone[None, start : start + 1024], format="fltp", layout="mono"
            )
            chunk.sample_rate, chunk.pts = rate, start
            for packet in sound.encode(chunk):
                out.mux(packet)
        for packet in [*video.encode(None), *sound.encode(None)]:
            out.mux(packet)

    result = import_audio(path, dest, state)

    assert (result.format, result.codec, result.channels) == ("MP4", "aac", 1)
    assert result.duration_s == pytest.approx(seconds, abs=0.05)
    model = load_model_audio(result.model_audio_path)
    assert _dominant_frequency(model[2000:-2000], 16_000) == pytest.approx(600, abs=3)
