"""The project's record of jobs (transcription, training…) and their outcome.

A job records which process runs it (``params["process"]``: pid, host, boot),
so that a job left ``running`` by a process that was killed can be told apart
from one another process is running right now: :meth:`JobLog.mark_stale`
marks the first ``interrupted``, :meth:`JobLog.running_elsewhere` lists the
second (what keeps the project busy).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from desktop_app.core.errors import Cancelled, ProjectBusyError
from desktop_app.core.processes import ProcessStamp, is_alive, this_process
from desktop_app.core.store.schema import Job, utcnow

if TYPE_CHECKING:
    from desktop_app.core.project import Project

log = logging.getLogger(__name__)

PROCESS_KEY = "process"
UNKNOWN_PROCESS_AFTER = timedelta(hours=24)
"""A running job whose process cannot be checked (another computer, no stamp)
counts as interrupted once it started this long ago; if it was in fact still
running, its own end overwrites the mark."""


@dataclass(frozen=True)
class JobInfo:
    id: int
    kind: str
    status: str
    progress: float
    params: dict[str, Any]
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    log: str = ""

    @property
    def process(self) -> ProcessStamp | None:
        return ProcessStamp.from_json(self.params.get(PROCESS_KEY))

    def describe(self) -> str:
        """``transcribe (recording #3) #12, started 2026-05-01 14:02 UTC``."""
        what = self.params.get("what")
        if what is None and "recording_id" in self.params:
            what = f"recording #{self.params['recording_id']}"
        label = f"{self.kind} ({what})" if what else self.kind
        return f"{label}, job #{self.id} started {self.created_at:%Y-%m-%d %H:%M} UTC"


def to_info(j: Job) -> JobInfo:
    return JobInfo(
        j.id, j.kind, j.status, j.progress, j.params, j.error, j.created_at, j.finished_at
    )


def is_stale(job: JobInfo, now: datetime | None = None) -> bool:
    """A ``running`` job whose process is gone (or unknowable and long past)."""
    stamp = job.process
    alive = is_alive(stamp) if stamp is not None else None
    if alive is not None:
        return not alive
    return (now or utcnow()) - job.created_at > UNKNOWN_PROCESS_AFTER


class JobLog:
    def __init__(self, project: Project) -> None:
        self.project = project

    def start(self, kind: str, params: dict[str, Any]) -> int:
        params = {**params, PROCESS_KEY: this_process().to_json()}
        with self.project.unit() as s:
            job = Job(kind=kind, status="running", params=params, started_at=utcnow())
            s.add(job)
            s.flush()
            return job.id

    @contextmanager
    def track(self, kind: str, params: dict[str, Any]) -> Iterator[int]:
        """Start a job and yield its id; on leaving, finish it as ``done``, or as
        ``cancelled`` (:class:`Cancelled`, Ctrl-C) or ``failed`` (any other
        error, re-raised)."""
        job_id = self.start(kind, params)
        try:
            yield job_id
        except (Cancelled, KeyboardInterrupt):
            self.finish(job_id, "cancelled")
            raise
        except Exception as exc:
            self.finish(job_id, "failed", str(exc))
            raise
        self.finish(job_id, "done")

    def progress(self, job_id: int, fraction: float) -> None:
        """Best effort: a job never fails because its progress could not be noted."""
        try:
            with self.project.unit() as s:
                s.execute(update(Job).where(Job.id == job_id).values(progress=fraction))
        except ProjectBusyError:
            log.warning("job #%s: progress not recorded, the project is busy", job_id)

    def append_log(self, job_id: int, line: str) -> None:
        """Best effort, as :meth:`progress`."""
        try:
            with self.project.unit() as s:
                job = s.get(Job, job_id)
                if job is not None:
                    job.log = (job.log + line.rstrip() + "\n")[-100_000:]
        except ProjectBusyError:
            log.warning("job #%s: log line not recorded, the project is busy: %s", job_id, line)

    def finish(self, job_id: int, status: str, error: str | None = None) -> None:
        with self.project.unit() as s:
            job = s.get(Job, job_id)
            if job is not None:
                job.status, job.error, job.finished_at = status, error, utcnow()
                if status == "done":
                    job.progress = 1.0

    def running(self) -> list[JobInfo]:
        with self.project.unit() as s:
            return [to_info(j) for j in s.scalars(select(Job).where(Job.status == "running"))]

    def running_elsewhere(self) -> list[JobInfo]:
        """Running jobs of other live processes (or of processes we cannot check)."""
        me = this_process()
        return [
            j
            for j in self.running()
            if not is_stale(j) and (j.process is None or j.process.pid != me.pid)
        ]

    def mark_stale(self, now: datetime | None = None) -> list[JobInfo]:
        """Jobs still ``running`` whose process is gone died with it: mark them
        ``interrupted`` and return them (as they are now)."""
        now = now or utcnow()
        stale = [j for j in self.running() if is_stale(j, now)]
        if not stale:
            return []
        marked = []
        with self.project.unit() as s:
            for info in stale:
                where = ", ".join(
                    x
                    for x in (
                        info.process.describe() if info.process else None,
                        f"started {info.created_at:%Y-%m-%d %H:%M} UTC",
                    )
                    if x
                )
                result = s.execute(
                    update(Job)
                    .where(Job.id == info.id, Job.status == "running")
                    .values(
                        status="interrupted",
                        finished_at=now,
                        error=f"Interrupted: the process running it ({where}) ended without "
                        "finishing it (Jazba was closed, killed or crashed).",
                    )
                )
                if result.rowcount:
                    marked.append(info.id)
            rows = s.scalars(select(Job).where(Job.id.in_(marked))) if marked else []
            return [to_info(j) for j in rows]

    def latest(self, kind: str) -> JobInfo | None:
        """The newest job of ``kind`` (with its log), or None."""
        with self.project.unit() as s:
            j = s.scalars(select(Job).where(Job.kind == kind).order_by(Job.id.desc())).first()
            if j is None:
                return None
            return JobInfo(
                j.id, j.kind, j.status, j.progress, j.params, j.error, j.created_at,
                j.finished_at, j.log or "",
            )  # fmt: skip

    def list(self, limit: int = 50) -> list[JobInfo]:
        with self.project.unit() as s:
            rows = s.scalars(select(Job).order_by(Job.id.desc()).limit(limit))
            return [to_info(j) for j in rows]
