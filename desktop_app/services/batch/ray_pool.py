"""``--engine ray``: a pool of Ray actors, each with the model loaded once and kept warm.

Works on one machine (``ray.init(num_cpus=N)``) and on a cluster (``address``:
``auto`` on a cluster node, or ``ray://HOST:10001``). Every node must see the
input files at the same path (an archive on shared storage). Actors ask for
one GPU each when the run asks for CUDA. An actor that dies is restarted by
Ray and its call retried (``max_restarts``/``max_task_retries``); a file whose
actor is gone for good is put back in the queue for another one, up to
``max_attempts`` times.
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from collections.abc import Iterator
from typing import Any

from desktop_app.core.errors import JazbaError
from desktop_app.services.batch import work
from desktop_app.services.batch.local_pool import TaskFn, died_result
from desktop_app.services.batch.work import EngineSettings, FileResult, FileTask

log = logging.getLogger(__name__)

IN_FLIGHT_PER_ACTOR = 2  # one decoding, one queued: no idle gap between files


def import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise JazbaError(
            "Ray is not installed; install the 'ray' extra (pip install 'jazba[ray]')."
        ) from exc
    return ray


class Transcriber:
    """The actor: one model for its whole life (whatever the run's task)."""

    def __init__(self, settings: EngineSettings, task_fn: TaskFn) -> None:
        self.settings = settings
        self.task_fn = task_fn
        self.engine = work.open_engine(settings)

    def run(self, task: FileTask) -> FileResult:
        return self.task_fn(self.engine, self.settings, task)


def actor_options(
    settings: EngineSettings, resources: dict[str, float], cpus_per_actor: float
) -> dict[str, Any]:
    """What each actor asks Ray for: a GPU when CUDA is asked for and the cluster
    has any (else the engine falls back to the CPU and says so), and restarts."""
    gpus = 1 if settings.device == "cuda" and resources.get("GPU", 0) >= 1 else 0
    return {
        "num_cpus": cpus_per_actor,
        "num_gpus": gpus,
        "max_restarts": 2,
        "max_task_retries": 2,
    }


def ensure_ray(address: str | None, workers: int) -> Any:
    """Connect to ``address``, or start a local Ray with ``workers`` CPUs."""
    ray = import_ray()
    if not ray.is_initialized():
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=max(1, workers), include_dashboard=False, log_to_driver=False)
    return ray


def run_ray(
    queue: deque[FileTask],
    settings: EngineSettings,
    workers: int,
    *,
    address: str | None = None,
    task_fn: TaskFn = work.transcribe_task,
    max_attempts: int = 3,
    cpus_per_actor: float = 1.0,
) -> Iterator[FileResult]:
    """Yield one result per work item, in the order they finish.

    ``queue`` may grow while results are being yielded (a long file's pieces).
    """
    if not queue:
        return
    ray = ensure_ray(address, workers)
    opts = actor_options(settings, ray.cluster_resources(), cpus_per_actor)
    if settings.device == "cuda" and not opts["num_gpus"]:
        log.warning("CUDA was asked for, but the Ray cluster has no GPU: actors use the CPU")
    actor_cls = ray.remote(**opts)(Transcriber)
    actors = [actor_cls.remote(settings, task_fn) for _ in range(max(1, workers))]
    attempts: Counter[str] = Counter()
    in_flight: dict[Any, tuple[Any, FileTask]] = {}

    def feed(actor: Any) -> None:
        if queue:
            task = queue.popleft()
            in_flight[actor.run.remote(task)] = (actor, task)

    def top_up() -> None:
        """Every live actor gets work up to IN_FLIGHT_PER_ACTOR while the queue has some."""
        busy = Counter(a for a, _t in in_flight.values())
        for actor in actors:
            while queue and busy[actor] < IN_FLIGHT_PER_ACTOR:
                feed(actor)
                busy[actor] += 1

    top_up()
    try:
        while in_flight:
            ready, _ = ray.wait(list(in_flight), num_returns=1)
            ref = ready[0]
            actor, task = in_flight.pop(ref)
            try:
                result = ray.get(ref)
            except (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError):
                attempts[task.uid] += 1
                log.warning("batch actor died on %s (attempt %d)", task.uid, attempts[task.uid])
                if attempts[task.uid] >= max_attempts:
                    yield died_result(task, attempts[task.uid])
                else:
                    queue.append(task)
                if actor in actors:  # not yet replaced for another call it had
                    _replacement(actor, actors, actor_cls, settings, task_fn)
                top_up()
                continue
            except ray.exceptions.RayError as exc:  # not a death: retrying would fail again
                log.warning("batch: %s failed on Ray: %s", task.uid, exc)
                yield FileResult.of(task, reason=str(exc).splitlines()[0])
                top_up()
                continue
            yield result
            top_up()
    finally:
        for ref in in_flight:
            ray.cancel(ref, force=True)
        for actor in actors:
            ray.kill(actor, no_restart=True)


def _replacement(
    actor: Any, actors: list[Any], actor_cls: Any, settings: EngineSettings, task_fn: TaskFn
) -> Any:
    """A fresh actor in place of ``actor``, which Ray gave up restarting."""
    ray = import_ray()
    ray.kill(actor, no_restart=True)
    fresh = actor_cls.remote(settings, task_fn)
    actors[actors.index(actor)] = fresh
    return fresh
