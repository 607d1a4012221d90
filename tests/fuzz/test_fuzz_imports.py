"""A bounded fuzz run of the importers: no traceback, hang, memory blow-up or damage.

A few hundred mutants per annotation format (and fewer per audio format), a
fixed seed, two workers; each mutant is imported through the real import
path in a forked child with a memory cap and a timeout (see
:mod:`tests.fuzz.harness`). The whole module takes about 1.5 minutes on two
cores. ``benchmarks/fuzz_imports.py`` runs the same harness over 10,000+.
"""

from __future__ import annotations

import shutil
from collections import defaultdict

import pytest

from tests.fuzz import harness
from tests.fuzz.seeds import ANNOTATION_FORMATS, AUDIO_FORMATS

RUN_SEED = 2024
PLAN = {**{f: 200 for f in ANNOTATION_FORMATS}, **{f: 60 for f in AUDIO_FORMATS}}
FAILURES = ("traceback", "hang", "memory", "damage")
AUDIO_TOOLS = shutil.which("sox") is not None and shutil.which("espeak-ng") is not None


@pytest.fixture(scope="module")
def outcomes() -> dict[str, list[harness.Outcome]]:
    plan = PLAN if AUDIO_TOOLS else {f: PLAN[f] for f in ANNOTATION_FORMATS}
    by_format: dict[str, list[harness.Outcome]] = defaultdict(list)
    for o in harness.run(plan, run_seed=RUN_SEED, jobs=2, timeout=20, chunk=200):
        by_format[o.format].append(o)
    return by_format


def _report(found: list[harness.Outcome]) -> str:
    return "\n".join(
        f"  #{o.index} {o.seed} {o.mutation}: {o.kind}: {o.detail[:300]}" for o in found[:20]
    )


@pytest.mark.parametrize("fmt", ANNOTATION_FORMATS)
def test_annotation_mutants(outcomes: dict[str, list[harness.Outcome]], fmt: str) -> None:
    got = outcomes[fmt]
    assert len(got) == PLAN[fmt]
    bad = [o for o in got if o.kind in FAILURES]
    assert not bad, f"{len(bad)} of {len(got)} {fmt} mutants failed:\n{_report(bad)}"
    kinds = {o.kind for o in got}
    assert kinds == {"ok", "error"}, kinds  # the mutants reach both ends of the readers
    assert max(o.peak_rss_mb for o in got) < harness.RSS_LIMIT_MB


@pytest.mark.skipif(not AUDIO_TOOLS, reason="sox and espeak-ng make the audio seeds")
@pytest.mark.parametrize("fmt", AUDIO_FORMATS)
def test_audio_mutants(outcomes: dict[str, list[harness.Outcome]], fmt: str) -> None:
    got = outcomes[fmt]
    assert len(got) == PLAN[fmt]
    bad = [o for o in got if o.kind in FAILURES]
    assert not bad, f"{len(bad)} of {len(got)} {fmt} mutants failed:\n{_report(bad)}"
