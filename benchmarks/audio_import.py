"""Benchmark: import a long recording, then load and query its peak pyramid.

    .venv/bin/python benchmarks/audio_import.py                  # 2 h, 44.1 kHz stereo WAV
    .venv/bin/python benchmarks/audio_import.py --minutes 30 --format m4a

Reports generation and import time, the real-time factor (import time ÷ audio
duration; lower is better), peak memory (Python allocations traced by
tracemalloc, and the process's peak RSS), output sizes, and how long loading
the peak pyramid and drawing from it takes.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import soundfile as sf

from desktop_app.core.audio import PeakPyramid, import_audio
from desktop_app.core.jobs import JobState

_SF = {"wav": ("WAV", "PCM_16"), "flac": ("FLAC", "PCM_16"), "mp3": ("MP3", "MPEG_LAYER_III")}


def _chunks(seconds: int, rate: int, channels: int) -> Iterator[np.ndarray]:
    """Speech-like test signal, one second at a time: tones under a syllable-rate envelope."""
    rng = np.random.default_rng(0)
    for second in range(seconds):
        t = (np.arange(rate) + second * rate) / rate
        envelope = 0.3 + 0.3 * np.abs(np.sin(2 * np.pi * 2.5 * t))
        tone = np.sin(2 * np.pi * 180 * t) + 0.3 * np.sin(2 * np.pi * 1200 * t)
        mono = (envelope * tone * 0.6 + 0.01 * rng.standard_normal(rate)).astype(np.float32)
        yield np.repeat(mono[:, None], channels, axis=1)


def generate(path: Path, seconds: int, rate: int, channels: int) -> None:
    fmt = path.suffix[1:]
    if fmt in _SF:
        container, subtype = _SF[fmt]
        with sf.SoundFile(path, "w", rate, channels, subtype, format=container) as fh:
            for block in _chunks(seconds, rate, channels):
                fh.write(block)
        return
    layout = {1: "mono", 2: "stereo"}[channels]
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=rate, layout=layout)
        for i, block in enumerate(_chunks(seconds, rate, channels)):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(block.T), format="fltp", layout=layout
            )
            frame.sample_rate = rate
            frame.pts = i * rate
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def _mib(n: float) -> str:
    return f"{n / 2**20:.1f} MiB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=120.0)
    parser.add_argument("--format", choices=[*_SF, "m4a"], default="wav")
    parser.add_argument("--rate", type=int, default=44_100)
    parser.add_argument("--channels", type=int, choices=[1, 2], default=2)
    parser.add_argument("--workdir", type=Path, help="where to write (default: a temp folder)")
    args = parser.parse_args(argv)

    seconds = round(args.minutes * 60)
    work = Path(tempfile.mkdtemp(prefix="jazba-bench-", dir=args.workdir))
    try:
        src = work / f"long.{args.format}"
        t0 = time.perf_counter()
        generate(src, seconds, args.rate, args.channels)
        gen_s = time.perf_counter() - t0
        print(
            f"source      {src.name}: {seconds / 60:.0f} min, {args.rate} Hz, "
            f"{args.channels} ch, {_mib(src.stat().st_size)} (generated in {gen_s:.1f} s)"
        )

        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        tracemalloc.start()
        t0 = time.perf_counter()
        result = import_audio(src, work / "project", JobState())
        import_s = time.perf_counter() - t0
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

        print(
            f"import      {import_s:.2f} s  RTF {import_s / seconds:.5f} "
            f"({seconds / import_s:.0f}× real time)"
        )
        print(
            f"memory      traced peak {_mib(traced_peak)}; process peak RSS "
            f"{_mib(rss_after)} (was {_mib(rss_before)} before the import)"
        )
        print(
            f"outputs     model audio {_mib(result.model_audio_path.stat().st_size)}, "
            f"peaks {_mib(result.peaks_path.stat().st_size)}"
        )

        t0 = time.perf_counter()
        pyramid = PeakPyramid.load(result.peaks_path)
        load_ms = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        pyramid.query(0, pyramid.duration_s, 2000)
        whole_ms = (time.perf_counter() - t0) * 1000
        rng = np.random.default_rng(1)
        n = 1000
        t0 = time.perf_counter()
        for _ in range(n):
            start = float(rng.uniform(0, pyramid.duration_s - 1))
            length = float(10 ** rng.uniform(-1, np.log10(pyramid.duration_s - start)))
            pyramid.query(start, start + length, 2000)
        zoom_ms = (time.perf_counter() - t0) * 1000 / n
        print(
            f"peaks       load {load_ms:.2f} ms; query 2000 bins: whole file "
            f"{whole_ms:.2f} ms, random zoom {zoom_ms:.3f} ms each ({pyramid.n_levels} levels)"
        )
        assert abs(result.duration_s - seconds) < 0.5, result.duration_s
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
