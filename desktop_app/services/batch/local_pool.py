"""``--engine local``: a pool of worker processes on this machine.

Each worker loads the model once (the pool's initializer) and keeps it for
every work item it gets. Items are taken from the run's queue as workers
free up (a few in flight per worker), so pieces of a long file that the
driver puts at the front of the queue go next. A worker that dies (killed,
out of memory) breaks the pool: the items that had not come back are given to
a fresh pool, up to ``max_attempts`` times each; finished ones are never redone.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from desktop_app.services.batch import work
from desktop_app.services.batch.work import EngineSettings, FileResult, FileTask

log = logging.getLogger(__name__)

TaskFn = Callable[..., FileResult]  # (engine, settings, task) -> FileResult


def _call(task_fn: TaskFn, task: FileTask) -> FileResult:
    if work._worker is None:
        raise RuntimeError("init_worker was not called in this process")
    engine, settings = work._worker
    return task_fn(engine, settings, task)


IN_FLIGHT_PER_WORKER = 2  # one working, one queued: no idle gap between items


def died_result(task: FileTask, attempts: int) -> FileResult:
    return FileResult.of(
        task, reason=f"the worker process died while working on it ({attempts} attempts)"
    )


def run_local(
    queue: deque[FileTask],
    settings: EngineSettings,
    workers: int,
    *,
    task_fn: TaskFn = work.transcribe_task,
    max_attempts: int = 3,
) -> Iterator[FileResult]:
    """Yield one result per work item, in the order they finish.

    ``queue`` may grow while results are being yielded (a long file's pieces).
    """
    attempts: Counter[str] = Counter()
    context = mp.get_context("spawn")  # no forked ONNX Runtime or SQLite state
    workers = max(1, workers)
    while queue:
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=work.init_worker,
            initargs=(settings,),
        )
        in_flight: dict[Future[FileResult], FileTask] = {}
        retry: list[FileTask] = []
        broken = False
        try:
            while True:
                while queue and not broken and len(in_flight) < workers * IN_FLIGHT_PER_WORKER:
                    task = queue.popleft()
                    try:
                        in_flight[pool.submit(_call, task_fn, task)] = task
                    except BrokenProcessPool:
                        queue.appendleft(task)
                        broken = True
                if not in_flight:
                    break
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for fut in done:
                    task = in_flight.pop(fut)
                    try:
                        result = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        attempts[task.uid] += 1
                        if attempts[task.uid] >= max_attempts:
                            yield died_result(task, attempts[task.uid])
                        else:
                            retry.append(task)
                        continue
                    except Exception as exc:  # e.g. a result that cannot be sent back
                        log.exception("batch: %s failed in the pool", task.path)
                        yield FileResult.of(task, reason=f"{type(exc).__name__}: {exc}")
                        continue
                    yield result
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        if retry:
            log.warning("a batch worker died; %d item(s) go to a fresh pool", len(retry))
            queue.extendleft(reversed(retry))
