"""Fixtures that synthesise audio files of every kind the importer meets."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
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

    def pcm_wav(self, name: str, rate: int, channels: int, data: bytes) -> Path:
        """16-bit PCM written by hand, with header values libsndfile would refuse to write."""
        return self.raw(name, _riff_wave(1, channels, rate, data))

    def sparse_wav(self, name: str, data_bytes: int, rate: int = 16_000) -> Path:
        """A mono 16-bit WAV of ``data_bytes`` of silence, sparse: it takes no disk space."""
        path = self.pcm_wav(name, rate, 1, b"")
        with open(path, "r+b") as fh:
            fh.seek(4)
            fh.write(struct.pack("<I", 36 + data_bytes))
            fh.seek(40)
            fh.write(struct.pack("<I", data_bytes))
            fh.truncate(44 + data_bytes)
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
        return self.raw(name, _riff_wave(tag, 1, 16_000, b"\x01\x00" * (data_bytes // 2)))


def _riff_wave(tag: int, channels: int, rate: int, data: bytes) -> bytes:
    """A RIFF/WAVE file of 16-bit samples: ``fmt`` chunk with codec ``tag``, then ``data``."""
    fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * 2 * channels, 2 * channels, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


class PythonChild:
    """Runs Python code in a fresh interpreter that imports this checkout's ``desktop_app``.

    For what one process cannot show about itself: its peak memory, a kill -9,
    two processes at once.
    """

    root = Path(__file__).resolve().parents[2]

    def env(self) -> dict[str, str]:
        paths = [str(self.root), *filter(None, [os.environ.get("PYTHONPATH")])]
        return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}

    def start(self, code: str, *args: object, **popen: object) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-c", code, *map(str, args)],
            env=self.env(),
            text=True,
            **popen,  # type: ignore[arg-type]
        )

    def run(self, code: str, *args: object, timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", code, *map(str, args)],
            env=self.env(),
            text=True,
            capture_output=True,
            timeout=timeout,
            check=False,
        )

    def import_each(
        self, dest: Path, sources: list[Path], *, timeout: float
    ) -> list[dict[str, object]]:
        """Import ``sources`` one after another in one child process.

        Returns, for each, ``outcome`` (``imported``, the :class:`JazbaError`
        subclass, or ``crashed: <exception type>``), ``message``, ``seconds``
        and ``peak_mb``, the child's peak resident memory so far. A source the
        child hangs on, or dies of, fails the test naming it.
        """
        try:
            done = self.run(_IMPORT_EACH, dest, *sources, timeout=timeout)
            out, err = done.stdout, done.stderr
        except subprocess.TimeoutExpired as exc:
            out, err = _text(exc.stdout), _text(exc.stderr)
        results = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        if len(results) < len(sources):
            stuck = sources[len(results)]
            pytest.fail(f"importing {stuck.name} hung or killed the process:\n{err[-3000:]}")
        return results


def _text(data: bytes | str | None) -> str:
    return data.decode(errors="replace") if isinstance(data, bytes) else data or ""


_IMPORT_EACH = """
import json, resource, sys, time
# A safety net for the machine running the tests: past this a bomb fails, not swaps.
resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
from desktop_app.core.audio import import_audio
from desktop_app.core.errors import JazbaError
from desktop_app.core.jobs import JobState

def peak_bytes():
    # VmHWM is this process's own peak; ru_maxrss on Linux also counts the
    # parent's peak at fork time (the pytest process).
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale

for src in sys.argv[2:]:
    started = time.perf_counter()
    try:
        import_audio(src, sys.argv[1], JobState())
        outcome, message = "imported", ""
    except JazbaError as exc:
        outcome, message = type(exc).__name__, str(exc)
    except BaseException as exc:
        outcome, message = "crashed: " + type(exc).__name__, str(exc)
    print(json.dumps({"file": src, "outcome": outcome, "message": message,
                      "seconds": time.perf_counter() - started,
                      "peak_mb": peak_bytes() / 2**20}), flush=True)
"""


@pytest.fixture
def python_child() -> PythonChild:
    return PythonChild()


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
