"""Run as a separate process by the tests: hold a project's write lock.

``python project_holder.py FOLDER SECONDS [KIND WHAT]`` opens the project,
starts a job (``KIND``, ``what`` = ``WHAT``) when given one, begins a write
transaction, prints ``holding`` and keeps the lock for ``SECONDS`` (or until a
line arrives on stdin), then commits, finishes the job and prints ``released``.
With ``SECONDS`` < 0 it stops dead (``os._exit``) while holding: a killed job.
"""

from __future__ import annotations

import os
import select
import sys
from pathlib import Path

from desktop_app.core.project import Project
from desktop_app.core.services.job_log import JobLog
from desktop_app.core.store.schema import ProjectMeta


def main() -> None:
    folder, seconds = Path(sys.argv[1]), float(sys.argv[2])
    kind, what = (sys.argv[3], sys.argv[4]) if len(sys.argv) > 4 else (None, None)
    project = Project.open(folder)
    jobs = JobLog(project)
    job_id = jobs.start(kind, {"what": what}) if kind else None
    with project.unit() as s:
        s.merge(ProjectMeta(key="held_by", value=str(os.getpid())))
        s.flush()  # the write lock is ours from here to the commit
        print("holding", flush=True)
        if seconds < 0:
            os._exit(9)
        select.select([sys.stdin], [], [], seconds)
    if job_id is not None:
        jobs.finish(job_id, "done")
    project.close()
    print("released", flush=True)


if __name__ == "__main__":
    main()
