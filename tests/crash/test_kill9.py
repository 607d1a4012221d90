"""kill -9 at >= 50 random points of transcribe, re-transcribe, import, export and
the app's own worker: the database stays intact and nothing a person did is lost.

See :mod:`tests.crash.harness` for the scenarios and what is checked after
each kill; ``benchmarks/crash_kill.py`` runs many more and prints a table.
"""

from __future__ import annotations

import pytest

from tests.crash.harness import World, build_world, kills

pytestmark = pytest.mark.slow

#: kills per scenario in CI (59 in all, about 2-3 minutes on two cores)
PLAN = {
    "retranscribe-fast": 14,
    "transcribe-fast": 8,
    "retranscribe-tiny": 5,
    "import-audio": 10,
    "import-eaf": 8,
    "export": 8,
    "gui-edit-while-transcribing": 6,
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    pytest.importorskip("optimum")  # the tiny model is built with it
    return build_world(tmp_path_factory.mktemp("crash_world"))


def test_plan_has_at_least_fifty_kill_points() -> None:
    assert sum(PLAN.values()) >= 50


@pytest.mark.parametrize("scenario", list(PLAN))
def test_kill9_loses_nothing(world: World, scenario: str, tmp_path) -> None:
    outcomes = kills(world, {scenario: PLAN[scenario]}, tmp_path, seed=16)
    failures = [
        f"after {o.delay:.2f} s ({o.phase}): {'; '.join(o.problems)}" for o in outcomes if not o.ok
    ]
    assert not failures, "\n".join(failures)
    assert sum(o.killed for o in outcomes) >= len(outcomes) // 3  # many runs were really cut
