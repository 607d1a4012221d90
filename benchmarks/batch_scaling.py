"""``jazba batch`` scaling: 1 vs 2 local workers, and Ray (local mode) with 2 actors.

An archive of ``--files`` recordings of about ``--seconds`` each is built from
the Kazakh sentences in ``shared/kk_sentences_dev.txt``, spoken by espeak-ng
in random order with pauses and sped up or slowed down a little by sox (so the
files differ), 16 kHz mono WAV. Each configuration transcribes the whole
archive into a fresh run folder with the active (default) model; wall time
counts everything a user waits for: starting the workers, loading the model
in each, decoding, writing shards and the manifest.

A fair comparison: every worker (local process or Ray actor) is single-threaded
in every configuration: ONNX Runtime with one intra-op and one inter-op thread
(``--threads 1``, the default) and ``OMP_NUM_THREADS=1`` (also OpenBLAS/MKL),
set here before anything is imported so that the spawned pool workers inherit
it, and passed to Ray's workers through the runtime environment.

``--long N`` adds N long files of ``--long-seconds`` each, which the batch
cuts at pauses into pieces of about ``--chunk-seconds`` spread across the
workers (the pieces of one file run in parallel).

Printed per configuration: wall seconds, audio hours per wall hour, the mean
per-file real-time factor inside the workers; then the scaling efficiency
from 1 to 2 local workers (throughput(2) / (2 × throughput(1)); goal ≥ 0.8)
and Ray's overhead against the local pool with as many workers
(throughput(local) / throughput(Ray) − 1; goal ≤ 10 %).

    .venv/bin/python benchmarks/batch_scaling.py --models ~/.local/share/jazba/models \
        --files 20 --seconds 60 --long 2 --long-seconds 600

Needs espeak-ng and sox, and the 'ray' extra for the Ray run (else skipped).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: One thread per worker in every configuration (set before numpy or ONNX Runtime load).
THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
os.environ.update(THREAD_ENV)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from desktop_app.asr.presets import DEFAULT_PRESET  # noqa: E402
from desktop_app.asr.registry import ModelRegistry  # noqa: E402
from desktop_app.core.paths import models_dir  # noqa: E402
from desktop_app.services.batch import BatchOptions, run_batch  # noqa: E402
from desktop_app.services.pieces import PIECE_S  # noqa: E402

SENTENCES = ROOT.parent / "shared" / "kk_sentences_dev.txt"


def build_archive(
    folder: Path, files: int, seconds: float, seed: int = 0, long: int = 0, long_s: float = 0.0
) -> float:
    """Write the archive (``files`` of ``seconds``, then ``long`` of ``long_s``);
    return its total duration in seconds."""
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed")
    lines = [s.strip() for s in SENTENCES.read_text(encoding="utf-8").splitlines() if s.strip()]
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    spoken = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, text in enumerate(lines):
            wav = Path(tmp) / f"s{i}.wav"
            subprocess.run(["espeak-ng", "-v", "kk", "-s", "150", "-w", str(wav), text], check=True)
            spoken.append(wav)
        silence = Path(tmp) / "pause.wav"
        subprocess.run(
            ["sox", "-n", "-r", "22050", "-c", "1", str(silence), "trim", "0", "0.6"], check=True
        )
        total = 0.0
        lengths = {str(w): _duration(w) for w in spoken}
        sizes = [seconds] * files + [long_s] * long
        for n, size in enumerate(sizes):
            parts: list[str] = []
            length = 0.0
            while length < size:
                wav = rng.choice(spoken)
                parts += [str(wav), str(silence)]
                length += lengths[str(wav)] + 0.6
            kind = "interview" if n < files else "long"
            out = folder / f"{kind}_{n:03d}.wav"
            tempo = f"{rng.uniform(0.9, 1.1):.3f}"
            subprocess.run(
                ["sox", *parts, "-r", "16000", "-c", "1", "-b", "16", str(out), "tempo", tempo],
                check=True,
            )
            total += _duration(out)
    return total


def _duration(path: Path) -> float:
    return float(subprocess.run(["soxi", "-D", str(path)], capture_output=True, text=True).stdout)


def run(name: str, archive: Path, work: Path, opts: BatchOptions, registry: ModelRegistry) -> dict:
    out = work / name
    t0 = time.perf_counter()
    manifest = run_batch(archive, out, opts, registry=registry)
    wall = time.perf_counter() - t0
    done = [e for e in manifest.files.values() if e.status == "done"]
    audio = sum(e.audio_s or 0 for e in done)
    rtf = sum((e.wall_s or 0) / (e.audio_s or 1) for e in done) / max(1, len(done))
    pieces = sum(len(e.chunks or []) for e in done)
    assert manifest.settings.get("threads") == 1 or opts.threads != 1
    row = {"name": name, "wall": wall, "audio": audio, "throughput": audio / wall, "rtf": rtf}
    print(
        f"{name:<16} {len(done):>3} files ({pieces} pieces of long files)  "
        f"{audio / 60:6.1f} min audio  {wall:7.1f} s wall  "
        f"{row['throughput']:6.2f} audio-h/wall-h  per-file RTF {rtf:.3f}",
        flush=True,
    )
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=Path, default=None, help="model registry folder")
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60.0, help="length of each file")
    ap.add_argument("--threads", type=int, default=1, help="ONNX threads per worker (keep 1)")
    ap.add_argument("--long", type=int, default=0, help="how many long files to add")
    ap.add_argument("--long-seconds", type=float, default=600.0, help="length of a long file")
    ap.add_argument(
        "--chunk-seconds", type=float, default=PIECE_S, help="piece length for long files"
    )
    ap.add_argument("--preset", default=DEFAULT_PRESET)
    ap.add_argument("--no-ray", action="store_true")
    ap.add_argument("--work", type=Path, default=None, help="keep the archive and runs here")
    args = ap.parse_args()
    registry = ModelRegistry(
        args.models or Path(os.environ.get("JAZBA_PREBUILT_MODELS") or models_dir())
    )
    if registry.active() is None:
        sys.exit("No model is installed: run 'jazba models install-default'.")
    work = args.work or Path(tempfile.mkdtemp(prefix="jazba-batch-bench-"))
    archive = work / "archive"
    total = build_archive(
        archive, args.files, args.seconds, long=args.long, long_s=args.long_seconds
    )
    print(
        f"archive: {args.files} files + {args.long} long ones, {total / 60:.1f} min; "
        f"model {registry.active_id()}, preset {args.preset}, {args.threads} ONNX thread(s) "
        f"per worker, OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}, {os.cpu_count()} CPUs"
    )
    base = {
        "preset": args.preset,
        "device": "cpu",
        "threads": args.threads,
        "chunk_seconds": args.chunk_seconds,
    }
    rows = [
        run("local 1 worker", archive, work, BatchOptions(workers=1, **base), registry),
        run("local 2 workers", archive, work, BatchOptions(workers=2, **base), registry),
    ]
    try:
        import ray

        have_ray = not args.no_ray
    except ImportError:
        have_ray = False
    if have_ray:
        # Two actors of one CPU each, single-threaded like the pool workers.
        ray.init(
            num_cpus=2,
            include_dashboard=False,
            log_to_driver=False,
            runtime_env={"env_vars": THREAD_ENV},
        )
        rows.append(
            run(
                "ray 2 actors",
                archive,
                work,
                BatchOptions(engine="ray", workers=2, **base),
                registry,
            )
        )
    one, two = rows[0]["throughput"], rows[1]["throughput"]
    print(
        f"scaling efficiency 1 -> 2 local workers: throughput(2) / (2 x throughput(1)) = "
        f"{two / (2 * one):.2f} (goal >= 0.8)"
    )
    if have_ray:
        overhead = rows[1]["throughput"] / rows[2]["throughput"] - 1
        print(f"Ray overhead vs the local pool (2 workers): {overhead * 100:+.1f} % (goal <= 10 %)")


if __name__ == "__main__":
    main()
