"""Dataset export at archive scale: hours of segments to hf, lhotse and webdataset.

A project of synthetic speech-like audio (noise shaped like syllables, several
speakers, kk/ru/mixed) is built once: ``--hours`` of audio in recordings of
``--recording-minutes``, cut into approved segments of ``--segment-seconds``.
Each format is then exported in a fresh process (so its peak memory is its
own) and the script prints, per format: wall minutes, peak resident memory
(the goal: at most 500 MB whatever the size, the export streams), bytes and
files written, and audio hours per minute::

    .venv/bin/python benchmarks/export_speed.py --hours 10
    .venv/bin/python benchmarks/export_speed.py --hours 0.2 --formats webdataset  # quick look

``--workdir`` keeps the project (and reuses it on the next run with the same size).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SR = 16_000
SPEAKERS = ("Айгерім", "Bolat", "Dana", "Ержан", "Gulnar", "Марат", "Nurlan", "Сәуле")
LANGS = ("kk", "kk", "kk", "ru", "mixed")


def _syllables(rng: np.random.Generator, seconds: float) -> np.ndarray:
    """Band-limited noise in 150-300 ms bursts with pauses: about as hard to compress
    as speech (a pure tone would flatter FLAC and the shard sizes)."""
    n = round(seconds * SR)
    noise = rng.standard_normal(n).astype(np.float32)
    noise = np.convolve(noise, np.ones(6, dtype=np.float32) / 6, mode="same")
    envelope = np.zeros(n, dtype=np.float32)
    pos = 0
    while pos < n:
        length = int(rng.uniform(0.15, 0.3) * SR)
        envelope[pos : pos + length] = np.hanning(length)[: n - pos] * rng.uniform(0.2, 0.6)
        pos += length + int(rng.uniform(0.02, 0.25) * SR)
    return noise * envelope


def build(folder: Path, hours: float, rec_minutes: float, seg_seconds: float) -> Path:
    from desktop_app.core.project import Project
    from desktop_app.core.services.recordings import RecordingService
    from desktop_app.core.services.segments import NewSegment, SegmentService
    from desktop_app.core.services.speakers import SpeakerService

    path = folder / f"bench-{hours:g}h.jazba"
    if path.exists():
        return path
    rng = np.random.default_rng(7)
    n_recs = max(1, round(hours * 60 / rec_minutes))
    rec_s = hours * 3600 / n_recs
    src = folder / "src"
    src.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with Project.create(path, name=f"Export benchmark ({hours:g} h)") as project:
        speakers = [SpeakerService(project).create(name).id for name in SPEAKERS]
        segs = SegmentService(project)
        for r in range(n_recs):
            wav = src / f"session_{r:03d}.wav"
            with sf.SoundFile(wav, "w", SR, 1, subtype="PCM_16") as out:
                for _ in range(int(rec_s // 60)):
                    out.write(_syllables(rng, 60.0))
                if rec_s % 60:
                    out.write(_syllables(rng, rec_s % 60))
            rid = RecordingService(project).import_file(wav).id
            wav.unlink()
            step = int(seg_seconds * 1000)
            total_ms = int(rec_s * 1000)
            new = [
                NewSegment(
                    start,
                    min(start + step - 200, total_ms),
                    f"сегмент {r} {start // step} сәлем досым",
                    speakers[(r + start // (step * 20)) % len(speakers)],
                    LANGS[(start // step) % len(LANGS)],
                )
                for start in range(0, total_ms - 500, step)
            ]
            segs.add_many(rid, new, status="approved", source="user")
            print(f"  recording {r + 1}/{n_recs} ({time.perf_counter() - t0:.0f} s)", flush=True)
    return path


def child(fmt: str, project_path: Path, out: Path) -> None:
    """One export in this process; prints a JSON line with its figures."""
    from desktop_app.core.interop.exporter import ExportOptions, export_project
    from desktop_app.core.interop.splits import SplitSpec
    from desktop_app.core.project import Project

    t0 = time.perf_counter()
    with Project.open(project_path) as project:
        opts = ExportOptions(fmt, audio="clips", splits=SplitSpec(0.8, 0.1, 0.1))
        result = export_project(project, out, opts)
    wall = time.perf_counter() - t0
    files = [p for p in out.rglob("*") if p.is_file()]
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
    print(
        json.dumps(
            {
                "format": fmt,
                "segments": result.segments,
                "minutes": round(wall / 60, 2),
                "peak_mb": round(peak_kb / 1024),
                "bytes": sum(p.stat().st_size for p in files),
                "files": len(files),
            }
        )
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=10.0)
    ap.add_argument("--recording-minutes", type=float, default=30.0)
    ap.add_argument("--segment-seconds", type=float, default=5.0)
    ap.add_argument("--formats", default="hf,lhotse,webdataset")
    ap.add_argument("--workdir", type=Path, help="keep the project here (reused next time)")
    ap.add_argument(
        "--child", nargs=3, metavar=("FORMAT", "PROJECT", "OUT"), help=argparse.SUPPRESS
    )
    args = ap.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return 0
    work = args.workdir or Path(tempfile.mkdtemp(prefix="jazba-export-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"Building {args.hours:g} h of segments in {work}", flush=True)
    t0 = time.perf_counter()
    project = build(work, args.hours, args.recording_minutes, args.segment_seconds)
    print(f"project ready in {(time.perf_counter() - t0) / 60:.1f} min", flush=True)
    rows = []
    for fmt in args.formats.split(","):
        out = work / f"out-{fmt}"
        shutil.rmtree(out, ignore_errors=True)
        cmd = [sys.executable, __file__, "--child", fmt, str(project), str(out)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            return 1
        row = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append(row)
        shutil.rmtree(out, ignore_errors=True)
    print(f"\n{args.hours:g} h of audio, {rows[0]['segments']} segments, 16 kHz clips:")
    print(
        f"{'format':<11} {'minutes':>8} {'peak MB':>8} {'GB written':>11} {'files':>7} {'h/min':>7}"
    )
    for r in rows:
        rate = args.hours / r["minutes"] if r["minutes"] else float("inf")
        print(
            f"{r['format']:<11} {r['minutes']:>8.2f} {r['peak_mb']:>8} "
            f"{r['bytes'] / 1e9:>11.2f} {r['files']:>7} {rate:>7.1f}"
        )
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
