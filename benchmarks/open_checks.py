"""What the checks on opening a project cost, on a project of N segments.

Builds (once, into ``--dir``) a project with ``--segments`` segments spread over
``--recordings`` recordings, each written as the importers write them (one
revision per segment), then times, ``--repeat`` times each: ``PRAGMA
quick_check`` (run on every open), ``Project.open`` as a whole (identity,
quick check, migrations, open checks), and the full ``integrity_check`` that
``jazba project check`` runs; each with the file in the OS page cache (warm)
and dropped from it first (cold, as after a reboot). Prints the database size
and the median times:

    .venv/bin/python benchmarks/open_checks.py --segments 100000
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from desktop_app.core.project import Project
from desktop_app.core.services.segments import NewSegment, SegmentService
from desktop_app.core.store import database, maintenance
from desktop_app.core.store.schema import Recording

WORDS = [
    "сәлеметсіз",
    "бе",
    "менің",
    "атым",
    "айгүл",
    "бүгін",
    "ауа",
    "райы",
    "өте",
    "жақсы",
    "таудың",
    "басында",
    "қар",
    "жатыр",
]


def build(folder: Path, segments: int, recordings: int) -> Path:
    path = folder / "bench.jazba"
    if path.exists():
        return path
    per = segments // recordings
    with Project.create(folder / "bench") as project:
        for r in range(recordings):
            with project.unit() as s:
                rec = Recording(
                    title=f"rec{r}",
                    original_filename=f"rec{r}.wav",
                    audio_path=f"audio/rec{r}.wav",
                    model_audio_path=f"cache/rec{r}.flac",
                    peaks_path=f"cache/rec{r}.peaks.npy",
                    sha256=f"{r:064x}",
                    duration_ms=per * 3000,
                    sample_rate=16000,
                    channels=1,
                    frames=per * 3000 * 16,
                )
                s.add(rec)
                s.flush()
                rid = rec.id
            items = [
                NewSegment(
                    i * 3000,
                    i * 3000 + 2500,
                    " ".join(WORDS[(i + k) % len(WORDS)] for k in range(8)),
                    confidence=0.8,
                )
                for i in range(per)
            ]
            SegmentService(project).add_many(rid, items, status="auto", source="model")
    return path


def evict(path: Path) -> None:
    """Drop ``path`` from the OS page cache (as after a reboot), where the OS allows it."""
    if hasattr(os, "posix_fadvise"):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def timed(fn, repeat: int, cold: Path | None = None) -> float:
    times = []
    for _ in range(repeat):
        if cold is not None:
            evict(cold)
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--segments", type=int, default=100_000)
    ap.add_argument("--recordings", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--dir", type=Path, default=None, help="Where to build (kept; reused).")
    args = ap.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="jazba-open-"))
    root.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    folder = build(root, args.segments, args.recordings)
    print(f"project: {folder} (built in {time.perf_counter() - t0:.1f} s)")
    db = folder / "project.sqlite"
    print(f"database: {db.stat().st_size / 1e6:.1f} MB, {args.segments} segments")

    def open_close() -> None:
        Project.open(folder).close()

    rows = [
        ("PRAGMA quick_check (every open)", lambda: database.quick_check(db)),
        ("Project.open + close, all checks", open_close),
        ("PRAGMA integrity_check (project check)", lambda: maintenance.integrity_check(db)),
    ]
    print(f"{'':<42} {'warm cache':>12} {'cold file':>12}   (median of {args.repeat})")
    for label, fn in rows:
        warm = timed(fn, args.repeat) * 1000
        cold = timed(fn, args.repeat, db) * 1000
        print(f"{label:<42} {warm:9.0f} ms {cold:9.0f} ms")


if __name__ == "__main__":
    main()
