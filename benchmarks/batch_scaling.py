"""``jazba batch`` scaling: 1 vs 2 local workers, and Ray (local mode) with 2 actors.

An archive of ``--files`` recordings of about ``--seconds`` each is built from
the Kazakh sentences in ``shared/kk_sentences_dev.txt``, spoken by espeak-ng
in random order with pauses and sped up or slowed down a little by sox (so the
files differ), 16 kHz mono WAV. Each configuration transcribes the whole
archive into a fresh run folder with the active (default) model; wall time
counts everything a user waits for: starting the workers, loading the model
in each, decoding, writing shards and the manifest.

Printed per configuration: wall seconds, audio hours per wall hour, the mean
per-file real-time factor inside the workers; then the scaling efficiency
from 1 to 2 local workers (throughput ratio / 2; goal ≥ 0.8) and Ray's
overhead against the local pool with as many workers (goal ≤ 10 %).

    .venv/bin/python benchmarks/batch_scaling.py --models ~/.local/share/jazba/models \
        --files 20 --seconds 60 --threads 1

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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from desktop_app.asr.presets import DEFAULT_PRESET  # noqa: E402
from desktop_app.asr.registry import ModelRegistry  # noqa: E402
from desktop_app.core.paths import models_dir  # noqa: E402
from desktop_app.services.batch import BatchOptions, run_batch  # noqa: E402

SENTENCES = ROOT.parent / "shared" / "kk_sentences_dev.txt"


def build_archive(folder: Path, files: int, seconds: float, seed: int = 0) -> float:
    """Write the archive; return its total duration in seconds."""
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
        for n in range(files):
            parts: list[str] = []
            length = 0.0
            while length < seconds:
                wav = rng.choice(spoken)
                parts += [str(wav), str(silence)]
                length += _duration(wav) + 0.6
            out = folder / f"interview_{n:03d}.wav"
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
    row = {"name": name, "wall": wall, "audio": audio, "throughput": audio / wall, "rtf": rtf}
    print(
        f"{name:<16} {len(done):>3} files  {audio / 60:6.1f} min audio  {wall:7.1f} s wall  "
        f"{row['throughput']:6.2f} audio-h/wall-h  per-file RTF {rtf:.3f}",
        flush=True,
    )
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=Path, default=None, help="model registry folder")
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60.0, help="length of each file")
    ap.add_argument("--threads", type=int, default=1, help="ONNX threads per worker")
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
    total = build_archive(archive, args.files, args.seconds)
    print(
        f"archive: {args.files} files, {total / 60:.1f} min; model {registry.active_id()}, "
        f"preset {args.preset}, {args.threads} thread(s) per worker, {os.cpu_count()} CPUs"
    )
    base = {"preset": args.preset, "device": "cpu", "threads": args.threads}
    rows = [
        run("local 1 worker", archive, work, BatchOptions(workers=1, **base), registry),
        run("local 2 workers", archive, work, BatchOptions(workers=2, **base), registry),
    ]
    try:
        import ray  # noqa: F401

        have_ray = not args.no_ray
    except ImportError:
        have_ray = False
    if have_ray:
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
    print(f"scaling efficiency 1 -> 2 local workers: {two / one / 2:.2f} (goal >= 0.8)")
    if have_ray:
        overhead = rows[1]["throughput"] / rows[2]["throughput"] - 1
        print(f"Ray overhead vs the local pool (2 workers): {overhead * 100:+.1f} % (goal <= 10 %)")


if __name__ == "__main__":
    main()
