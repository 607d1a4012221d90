"""24-bit recording: the converter's extra 8 bits reach the WAV and the FLAC,
levels read the same as at 16 bits, and an unfinished 24-bit file is repaired."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from desktop_app.core.capture import (
    CaptureError,
    SyntheticSource,
    finish_recording,
    open_input,
    start_recording,
    synthetic_samples,
)
from desktop_app.core.capture.levels import LiveVad, measure
from desktop_app.core.capture.wavstream import WavAppender, repair_wav
from desktop_app.core.project import Project
from tests.capture.conftest import FakeSoundDevice

RATE = 16_000


def _read_int32(path: Path) -> tuple[np.ndarray, str]:
    data, _ = sf.read(path, dtype="int32", always_2d=True)
    return data, sf.info(path).subtype


def test_the_24_bit_signal_carries_detail_below_16_bits() -> None:
    wide = synthetic_samples(0, 4800, RATE, 2, bits=24)
    narrow = synthetic_samples(0, 4800, RATE, 2)
    assert wide.dtype == np.int32 and wide.shape == narrow.shape
    assert np.array_equal(wide >> 16, narrow)  # the same sound…
    assert ((wide >> 8) & 0xFF).any()  # …with bits a 16-bit file would drop
    assert not (wide & 0xFF).any()  # PortAudio int32: the lowest byte is empty


def test_levels_and_vad_read_24_bit_as_16_bit() -> None:
    wide = synthetic_samples(0, RATE * 4, RATE, 1, bits=24)
    narrow = synthetic_samples(0, RATE * 4, RATE, 1)
    for a, b in zip(measure(wide), measure(narrow), strict=True):
        assert np.allclose(a, b, atol=1e-4)
    loud = synthetic_samples(0, RATE, RATE, 1, gain=3, bits=24)
    assert measure(loud)[2]  # clipping is seen in int32 blocks too
    vad_wide, vad_narrow = LiveVad(RATE), LiveVad(RATE)
    vad_wide.add(wide)
    vad_narrow.add(narrow)
    assert vad_wide.utterances == vad_narrow.utterances and vad_wide.utterances


def test_appender_writes_24_bit_pcm_and_repair_reads_its_header(tmp_path: Path) -> None:
    wav = tmp_path / "r.wav"
    block = synthetic_samples(0, 1000, RATE, 2, bits=24)
    writer = WavAppender(wav, RATE, 2, bits=24)
    writer.append(block)
    writer.sync()
    # A crash mid-frame: half a frame more on disk, header still at 1000 frames.
    with open(wav, "ab") as fh:
        fh.write(b"\x01\x02\x03")
    facts = repair_wav(wav)
    assert (facts.bits, facts.present_frames) == (24, 1000)
    data, subtype = _read_int32(wav)
    assert subtype == "PCM_24" and np.array_equal(data, block)
    assert wav.stat().st_size == 44 + 1000 * 2 * 3
    with pytest.raises(ValueError, match="16 or 24"):
        WavAppender(tmp_path / "x.wav", RATE, 1, bits=20)


@pytest.mark.parametrize("final_format", ["wav", "flac"])
def test_a_24_bit_recording_keeps_24_bits_in_the_project(
    project: Project, final_format: str
) -> None:
    frames = RATE * 2 + 77
    source = SyntheticSource(RATE, 1, speed=0, total_frames=frames, bits=24)
    rec = start_recording(project, source, final_format=final_format)
    assert rec.wait(20) is not None
    assert rec.status().bits == 24
    outcome = finish_recording(rec)
    assert outcome.info is not None
    data, subtype = _read_int32(project.abspath(outcome.info.audio_path))
    assert subtype == "PCM_24"
    assert np.array_equal(data, synthetic_samples(0, frames, RATE, 1, bits=24))


def test_disk_estimate_counts_three_bytes_a_sample(project: Project) -> None:
    source = SyntheticSource(48_000, 2, speed=0, total_frames=4800, bits=24)
    rec = start_recording(project, source)
    rec.wait(20)
    st = rec.status()
    assert st.seconds_left == pytest.approx(st.free_bytes / (48_000 * 2 * 3))
    finish_recording(rec)


def test_unsupported_bit_depth_is_refused() -> None:
    with pytest.raises(CaptureError, match="16-bit or 24-bit"):
        open_input(None, 48_000, 1, bits=32)


def test_the_device_is_opened_as_int32_for_24_bit(monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop_app.core.capture import sources as sources_mod

    sd = FakeSoundDevice([("Zoom H5", 2)])
    monkeypatch.setattr(sources_mod, "_sounddevice", lambda: sd)
    source = open_input(None, 48_000, 2, bits=24)
    source.start(lambda block, overflow: None, lambda message: None)
    assert source.bits == 24 and sd.opened[0]["dtype"] == "int32"
    assert open_input(None, 48_000, 2).bits == 16

    sd.refuse = {"int32"}  # an interface without 24/32-bit input
    with pytest.raises(CaptureError, match=r"24-bit .*another sample rate or bit depth"):
        open_input(None, 48_000, 2, bits=24)
