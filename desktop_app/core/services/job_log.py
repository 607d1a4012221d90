"""The project's record of jobs (transcription, training…) and their outcome."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from desktop_app.core.errors import Cancelled
from desktop_app.core.project import Project
from desktop_app.core.store.schema import Job, utcnow


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


class JobLog:
    def __init__(self, project: Project) -> None:
        self.project = project

    def start(self, kind: str, params: dict[str, Any]) -> int:
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
        with self.project.unit() as s:
            s.execute(update(Job).where(Job.id == job_id).values(progress=fraction))

    def append_log(self, job_id: int, line: str) -> None:
        with self.project.unit() as s:
            job = s.get(Job, job_id)
            if job is not None:
                job.log = (job.log + line.rstrip() + "\n")[-100_000:]

    def finish(self, job_id: int, status: str, error: str | None = None) -> None:
        with self.project.unit() as s:
            job = s.get(Job, job_id)
            if job is not None:
                job.status, job.error, job.finished_at = status, error, utcnow()
                if status == "done":
                    job.progress = 1.0

    def mark_interrupted(self) -> int:
        """Jobs still 'running' from a previous session died with it; say so."""
        with self.project.unit() as s:
            result = s.execute(
                update(Job)
                .where(Job.status == "running")
                .values(status="failed", error="Interrupted (Jazba was closed or crashed).")
            )
            return result.rowcount or 0

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
            return [
                JobInfo(
                    j.id,
                    j.kind,
                    j.status,
                    j.progress,
                    j.params,
                    j.error,
                    j.created_at,
                    j.finished_at,
                )
                for j in rows
            ]
