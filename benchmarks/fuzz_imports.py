"""Fuzz the importers at scale: format × outcome table over 10,000+ mutants.

    .venv/bin/python benchmarks/fuzz_imports.py --mutants 10000 --jobs 2
    .venv/bin/python benchmarks/fuzz_imports.py --mutants 2000 --format eaf --format srt
    .venv/bin/python benchmarks/fuzz_imports.py --mutants 500 --keep /tmp/findings

The same harness as ``tests/fuzz/test_fuzz_imports.py`` (``tests/fuzz/harness.py``):
each mutant is imported through the real import path in a forked child with
a 1.5 GB address-space cap and a timeout, and classified as ok, clear error,
traceback, hang, memory (MemoryError, killed, or peak RSS over 500 MB) or
damage (integrity check, or a pre-existing segment or recording changed).
``--mutants`` is split evenly over the chosen formats (all annotation and
audio formats by default). Every non-ok, non-error outcome is listed with
its mutation; ``--keep`` also writes those mutants' bytes there to reproduce.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.fuzz import harness  # noqa: E402
from tests.fuzz.mutations import mutant  # noqa: E402
from tests.fuzz.seeds import (  # noqa: E402
    ANNOTATION_FORMATS,
    AUDIO_FORMATS,
    annotation_seeds,
    make_audio_seeds,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mutants", type=int, default=10_000, help="in all (default 10,000)")
    parser.add_argument("--jobs", type=int, default=1, help="workers at a time (default 1)")
    parser.add_argument("--format", action="append", dest="formats",
                        choices=(*ANNOTATION_FORMATS, *AUDIO_FORMATS))  # fmt: skip
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per mutant")
    parser.add_argument("--keep", type=Path, help="write failing mutants into this folder")
    args = parser.parse_args(argv)
    formats = args.formats or [*ANNOTATION_FORMATS, *AUDIO_FORMATS]
    per, extra = divmod(args.mutants, len(formats))
    plan = {f: per + (i < extra) for i, f in enumerate(formats)}
    print(f"{sum(plan.values()):,} mutants, seed {args.seed}, {args.jobs} job(s), "
          f"timeout {args.timeout:.0f} s", flush=True)  # fmt: skip
    started = time.perf_counter()
    outcomes = harness.run(
        plan, run_seed=args.seed, jobs=args.jobs, timeout=args.timeout, progress=True
    )
    elapsed = time.perf_counter() - started
    print(harness.table(outcomes))
    print(f"{len(outcomes):,} mutants in {elapsed / 60:.1f} min")
    found = [o for o in outcomes if o.kind not in ("ok", "error")]
    if found:
        print(f"\n{len(found)} finding(s), by kind and place:")
        places = Counter((o.format, o.kind, o.detail.split(" (")[0][:90]) for o in found)
        for (fmt, kind, detail), n in places.most_common():
            print(f"  {n:5}  {fmt:9} {kind:9} {detail}")
        print("\nExamples:")
        for o in found[:40]:
            print(f"  {o.format} #{o.index} {o.seed} {o.mutation}: {o.kind}: {o.detail[:240]}")
    if args.keep and found:
        args.keep.mkdir(parents=True, exist_ok=True)
        seeds = {f: annotation_seeds(f) for f in ANNOTATION_FORMATS}
        seeds |= make_audio_seeds(args.keep / "audio-seeds")
        for o in found:
            m = mutant(o.format, seeds[o.format], args.seed, o.index)
            (args.keep / f"{o.format}-{o.index}-{o.kind}{m.suffix}").write_bytes(m.data)
        print(f"\nThe failing mutants are in {args.keep}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
