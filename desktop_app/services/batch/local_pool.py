"""``--engine local``: a pool of worker processes on this machine.

Each worker loads the model once (the pool's initializer) and keeps it for
every file it gets. A worker that dies (killed, out of memory) breaks the
pool: the files that had not come back are given to a fresh pool, up to
``max_attempts`` times each; finished files are never redone.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
from collections import Counter
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


def died_result(task: FileTask, attempts: int) -> FileResult:
    return FileResult(
        task.key,
        ok=False,
        reason=f"the worker process died while transcribing it ({attempts} attempts)",
    )


def run_local(
    tasks: list[FileTask],
    settings: EngineSettings,
    workers: int,
    *,
    task_fn: TaskFn = work.transcribe_task,
    max_attempts: int = 3,
) -> Iterator[FileResult]:
    """Yield one result per task, in the order they finish."""
    pending = list(tasks)
    attempts: Counter[str] = Counter()
    context = mp.get_context("spawn")  # no forked ONNX Runtime or SQLite state
    while pending:
        pool = ProcessPoolExecutor(
            max_workers=max(1, min(workers, len(pending))),
            mp_context=context,
            initializer=work.init_worker,
            initargs=(settings,),
        )
        futures: dict[Future[FileResult], FileTask] = {
            pool.submit(_call, task_fn, t): t for t in pending
        }
        pending = []
        try:
            while futures:
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                for fut in done:
                    task = futures.pop(fut)
                    try:
                        result = fut.result()
                    except BrokenProcessPool:
                        attempts[task.key] += 1
                        if attempts[task.key] >= max_attempts:
                            yield died_result(task, attempts[task.key])
                        else:
                            pending.append(task)
                        continue
                    except Exception as exc:  # e.g. a result that cannot be sent back
                        log.exception("batch: %s failed in the pool", task.path)
                        yield FileResult(task.key, ok=False, reason=f"{type(exc).__name__}: {exc}")
                        continue
                    yield result
            if pending:
                log.warning("a batch worker died; %d file(s) go to a fresh pool", len(pending))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
