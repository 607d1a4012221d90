"""kill -9 Jazba at many random points and count what was lost (nothing, we hope).

    .venv/bin/python benchmarks/crash_kill.py                       # 60 kills per scenario
    .venv/bin/python benchmarks/crash_kill.py --kills 200 --jobs 2 --keep /tmp/crashworld
    .venv/bin/python benchmarks/crash_kill.py --scenario retranscribe-fast --kills 500

Runs the scenarios of ``tests/crash/harness.py`` (the CI test runs 59 kills of
them): the real ``jazba`` CLI transcribing (a tiny random Whisper, or a fast
fake model for many commits a second), re-transcribing over human work,
importing audio and ELAN files, exporting a dataset, and the desktop app
editing and typing while it transcribes. Each child is SIGKILLed at a seeded
random moment of its work; then the project is checked (see the harness).

Prints one row per scenario: kills, how many really cut the work (the rest
finished first), and the problems found by kind: the database (integrity or
opening), human work (a person's segment changed by anything but a person, a
confirmed edit or typed text missing), the draft (old segments after the
recorded cut touched, or before it kept, or new ones beyond it), imports (a
partial import, missing audio), exports; with the worst example of each.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.crash.harness import SCENARIOS, Outcome, build_world, kills

KINDS = {
    "database": ("integrity_check", "does not open"),
    "human work": ("human segment", "confirmed edit", "typed text"),
    "draft": ("old draft", "new segment"),
    "import": ("partial import", "recording #"),
    "export": ("export",),
    "child": ("failed by itself",),
}


def kind_of(problem: str) -> str:
    for kind, starts in KINDS.items():
        if any(s in problem for s in starts):
            return kind
    return "other"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--kills", type=int, default=60, help="kills per scenario")
    ap.add_argument("--scenario", action="append", choices=sorted(SCENARIOS))
    ap.add_argument("--jobs", type=int, default=2, help="children at a time")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", type=Path, help="build the world here once and reuse it")
    args = ap.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="jazba-crash-"))
    t0 = time.perf_counter()
    world = build_world(root / "world")
    print(f"world built in {time.perf_counter() - t0:.1f} s at {root}", flush=True)
    names = args.scenario or list(SCENARIOS)
    header = f"{'scenario':<30}{'kills':>6}{'cut':>6}" + "".join(f"{k:>12}" for k in KINDS)
    rows: list[str] = []
    examples: list[str] = []
    total = Counter()
    for name in names:
        t = time.perf_counter()
        outcomes: list[Outcome] = kills(
            world, {name: args.kills}, root / "runs", seed=args.seed, jobs=args.jobs
        )
        found = Counter(kind_of(p) for o in outcomes for p in o.problems)
        total.update(found)
        cut = sum(o.killed for o in outcomes)
        rows.append(
            f"{name:<30}{len(outcomes):>6}{cut:>6}"
            + "".join(f"{found.get(k, 0):>12}" for k in KINDS)
            + f"   {time.perf_counter() - t:6.0f} s"
        )
        print(rows[-1], flush=True)
        examples += [f"{name}: {o.problems[0]}" for o in outcomes if o.problems][:3]
    print()
    print(header)
    print("\n".join(rows))
    print(f"{'all':<42}" + "".join(f"{total.get(k, 0):>12}" for k in KINDS))
    for line in examples:
        print("  e.g.", line[:300])
    return 1 if sum(total.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
