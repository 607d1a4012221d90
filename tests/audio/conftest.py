"""Fixtures that synthesise audio files of every kind the importer meets."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

from desktop_app.core.jobs import JobState

_SF_FORMATS = {
    ".wav": ("WAV", "PCM_16"),
    ".flac": ("FLAC", "PCM_16"),
    ".ogg": ("OGG", "VORBIS"),
    ".mp3": ("MP3", "MPEG_LAYER_III"),
    ".aiff": ("AIFF", "PCM_16"),
}


def sine(seconds: float, rate: int, freq: float, amp: float, start: int = 0) -> np.ndarray:
    """``amp * sin(2π f t)`` as float32, for samples ``start .. start + seconds*rate``."""
    n = round(seconds * rate)
    t = (np.arange(n, dtype=np.float64) + start) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


class AudioFactory:
    """Writes test files under one folder; every method returns the new file's path."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def tone(
        self,
        name: str,
        seconds: float = 1.0,
        rate: int = 16_000,
        channels: int = 1,
        freq: float = 440.0,
        amps: tuple[float, ...] = (0.5,),
        subtype: str | None = None,
        block_seconds: float = 10.0,
    ) -> Path:
        """A sine (per-channel amplitude ``amps``, cycled) written through libsndfile, streamed."""
        path = self.root / name
        fmt, default_subtype = _SF_FORMATS[path.suffix.lower()]
        gains = np.array([amps[i % len(amps)] for i in range(channels)], dtype=np.float32)
        total = round(seconds * rate)
        step = max(1, round(block_seconds * rate))
        with sf.SoundFile(path, "w", rate, channels, subtype or default_subtype, format=fmt) as f:
            for start in range(0, total, step):
                mono = sine(min(step, total - start) / rate, rate, freq, 1.0, start)
                f.write(mono[:, None] * gains[None, :])
        return path

    def samples(self, name: str, data: np.ndarray, rate: int, subtype: str = "PCM_16") -> Path:
        """Exactly ``data`` (frames × channels) written as WAV/FLAC."""
        path = self.root / name
        fmt, _ = _SF_FORMATS[path.suffix.lower()]
        sf.write(path, data, rate, subtype=subtype, format=fmt)
        return path

    def encoded(
        self,
        name: str,
        codec: str = "aac",
        seconds: float = 1.0,
        rate: int = 48_000,
        channels: int = 2,
        freq: float = 440.0,
        amp: float = 0.5,
    ) -> Path:
        """A sine encoded with FFmpeg (``aac`` in .m4a/.mp4/.aac, ``libopus`` in .webm, …)."""
        path = self.root / name
        layout = {1: "mono", 2: "stereo"}[channels]
        signal = sine(seconds, rate, freq, amp)
        with av.open(str(path), "w") as container:
            stream = container.add_stream(codec, rate=rate, layout=layout)
            assert isinstance(stream, av.AudioStream)
            step = 1024
            for start in range(0, len(signal), step):
                chunk = np.repeat(signal[None, start : start + step], channels, axis=0)
                frame = av.AudioFrame.from_ndarray(
                    np.ascontiguousarray(chunk), format="fltp", layout=layout
                )
                frame.sample_rate = rate
                frame.pts = start
                for packet in stream.encode(frame):
                    container.mux(packet)
            for packet in stream.encode(None):
                container.mux(packet)
        return path

    def raw(self, name: str, data: bytes) -> Path:
        path = self.root / name
        path.write_bytes(data)
        return path

    def png(self, name: str = "picture.wav") -> Path:
        """A real 4×4 grey PNG image, under whatever name (a ``.wav`` by default)."""

        def chunk(kind: bytes, body: bytes) -> bytes:
            crc = zlib.crc32(kind + body) & 0xFFFFFFFF
            return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

        header = struct.pack(">IIBBBBB", 4, 4, 8, 0, 0, 0, 0)
        pixels = zlib.compress(b"".join(b"\x00" + b"\x80" * 4 for _ in range(4)))
        data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
        return self.raw(name, data + chunk(b"IEND", b""))

    def wav_with_codec_tag(self, name: str, tag: int, data_bytes: int = 8000) -> Path:
        """A RIFF/WAVE whose ``fmt`` chunk names codec ``tag`` (0x1234: no such codec)."""
        fmt = struct.pack("<HHIIHH", tag, 1, 16_000, 32_000, 2, 16)
        data = b"\x01\x00" * (data_bytes // 2)
        body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
        body += b"data" + struct.pack("<I", len(data)) + data
        return self.raw(name, b"RIFF" + struct.pack("<I", len(body)) + body)


@pytest.fixture
def audio(tmp_path: Path) -> AudioFactory:
    return AudioFactory(tmp_path / "src")


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    """A project folder to import into (created, empty)."""
    path = tmp_path / "project"
    path.mkdir()
    return path


@pytest.fixture
def state() -> JobState:
    return JobState(min_interval=0.0)


def tree(folder: Path) -> list[str]:
    """Every path under ``folder``, relative, sorted (hidden files included)."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture
def list_tree() -> Callable[[Path], list[str]]:
    return tree
