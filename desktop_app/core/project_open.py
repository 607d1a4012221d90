"""What happens when a project is opened, and the report the user sees about it.

Before anything is written: the database is identified (an empty file,
another program's SQLite file or a newer Jazba's schema is refused, see
:func:`desktop_app.core.store.database.identify`), ``PRAGMA quick_check`` runs,
and the open mode is chosen: read-only when the folder or the database file
cannot be written (a read-only medium) or the check found damage, so a damaged
file is never written further.

After a writable open, :data:`OPEN_CHECKS` run in order: jobs left ``running``
by a process that is gone are marked ``interrupted``, and the
:data:`OPEN_CLEANUPS` remove Jazba's own leftovers of interrupted work (only
when no other process is running a job on the project). Everything worth
telling ends up in one :class:`OpenReport`: the CLI prints its
:meth:`~OpenReport.notes`, the GUI shows them in a banner.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_app.core.audio import clean_partial_files
from desktop_app.core.errors import ProjectBusyError, ProjectError
from desktop_app.core.services.job_log import JobInfo, JobLog
from desktop_app.core.store import database

if TYPE_CHECKING:
    from desktop_app.core.project import Project

log = logging.getLogger(__name__)

OPEN_WAIT_S = 2.0
"""Open-time writes (marking stale jobs) wait this long for another writer, then
are left for the next open: opening never hangs behind another process's import."""
READ_ONLY_MEDIUM = "This project is on a read-only medium; changes cannot be saved."
READ_ONLY_ASKED = "This project is open read-only; changes cannot be saved."


def writable(path: Path) -> bool:
    """Whether this process may write ``path`` (False on a read-only file system,
    even for root)."""
    return os.access(path, os.W_OK)


@dataclass(frozen=True)
class OpenPlan:
    """How to open a project folder, decided without writing to it."""

    identity: database.Identity
    mode: str  # "rwc", "ro" or "immutable" (see database.make_engine)
    read_only_reason: str | None
    problems: tuple[str, ...]
    check_seconds: float
    warnings: tuple[str, ...] = ()

    @property
    def read_only(self) -> bool:
        return self.mode != "rwc"


def damaged_message(folder: Path, problems: Iterable[str]) -> str:
    shown = "; ".join(list(problems)[:3])
    return (
        f"The project database is damaged (quick check: {shown}). It was opened read-only so "
        "nothing more is lost: you can read and export it. To repair it, close Jazba and run "
        f"'jazba project repair \"{folder}\"' (it recovers what SQLite can into a new database "
        "file and keeps the damaged one beside it), or restore a backup."
    )


def plan_open(folder: Path, db_path: Path, *, read_only: bool = False) -> OpenPlan:
    """Identify the database, check it and choose the open mode (writes nothing)."""
    medium_ro = not writable(folder)
    mode = "immutable" if medium_ro else ("ro" if read_only or not writable(db_path) else "rwc")
    identity = database.identify(db_path, immutable=medium_ro)
    t0 = time.perf_counter()
    problems = tuple(database.quick_check(db_path, immutable=medium_ro))
    seconds = time.perf_counter() - t0
    reason = None
    if problems:
        reason, mode = damaged_message(folder, problems), ("immutable" if medium_ro else "ro")
    elif mode != "rwc":
        reason = READ_ONLY_ASKED if read_only and not medium_ro else READ_ONLY_MEDIUM
    warnings = []
    wal = db_path.with_name(db_path.name + "-wal")
    if mode == "immutable" and wal.is_file() and wal.stat().st_size > 0:
        warnings.append(
            "This copy was taken while the project was open: its latest changes (in "
            f"'{wal.name}') cannot be read from a read-only medium. Copy the folder to a "
            "writable place to see them."
        )
    if reason is not None and identity.revision != database.head_revision():
        raise ProjectError(
            f"Project '{folder.name}' needs an update of its database, but it can only be "
            f"opened read-only here ({reason}) Copy it somewhere writable first."
        )
    return OpenPlan(identity, mode, reason, problems, seconds, tuple(warnings))


@dataclass(frozen=True)
class OpenReport:
    """What opening a project found and did, for the user."""

    read_only: bool = False
    read_only_reason: str | None = None
    problems: tuple[str, ...] = ()  # from PRAGMA quick_check; empty when sound
    check_seconds: float = 0.0
    interrupted_jobs: tuple[JobInfo, ...] = ()
    removed_leftovers: tuple[Path, ...] = ()
    busy_with: tuple[JobInfo, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def damaged(self) -> bool:
        return bool(self.problems)

    def notes(self) -> list[str]:
        """One line per fact worth telling, most important first (empty: nothing to say)."""
        out = [self.read_only_reason] if self.read_only_reason else []
        if self.interrupted_jobs:
            jobs = "; ".join(j.describe() for j in self.interrupted_jobs)
            out.append(
                f"{len(self.interrupted_jobs)} job(s) were left running by a Jazba that "
                f"closed or crashed and are now marked interrupted: {jobs}. Run them again "
                "if you still need them."
            )
        if self.removed_leftovers:
            names = ", ".join(p.name for p in self.removed_leftovers[:5])
            more = " …" if len(self.removed_leftovers) > 5 else ""
            out.append(
                f"Removed {len(self.removed_leftovers)} leftover file(s) of interrupted work: "
                f"{names}{more}."
            )
        for job in self.busy_with:
            where = job.process.describe() if job.process else "another Jazba"
            out.append(
                f"Another process is working on this project: {job.describe()} ({where}). "
                "Your changes wait for it to let go of the database."
            )
        return out + list(self.warnings)


OpenCheck = Callable[["Project", OpenReport], OpenReport]
OpenCleanup = Callable[[Path], Iterable[Path]]


def _partial_audio(folder: Path) -> list[Path]:
    """Partial files of audio imports that were killed (``audio/``, ``cache/``)."""
    return [leftover.path for leftover in clean_partial_files(folder)]


OPEN_CLEANUPS: list[OpenCleanup] = [_partial_audio]
"""Removers of Jazba's own leftovers of interrupted work. Each is called with the
project folder on a writable open, when no other process is running a job on
the project, and returns the paths it removed (listed in the report)."""


def mark_stale_jobs(project: Project, report: OpenReport) -> OpenReport:
    try:
        with project.waiting(OPEN_WAIT_S):
            marked = JobLog(project).mark_stale()
    except ProjectBusyError:
        log.info("stale jobs not marked now: the project is busy")
        return report
    return replace(report, interrupted_jobs=tuple(marked))


def note_busy(project: Project, report: OpenReport) -> OpenReport:
    return replace(report, busy_with=tuple(JobLog(project).running_elsewhere()))


def remove_leftovers(project: Project, report: OpenReport) -> OpenReport:
    if report.busy_with:  # its leftovers may be another process's work in progress
        return report
    removed: list[Path] = []
    warnings: list[str] = []
    for cleanup in OPEN_CLEANUPS:
        try:
            removed += list(cleanup(project.path))
        except OSError as exc:
            log.warning("open-time cleanup %r failed", cleanup, exc_info=True)
            warnings.append(f"Leftover files could not all be removed: {exc}.")
    return replace(
        report,
        removed_leftovers=report.removed_leftovers + tuple(removed),
        warnings=report.warnings + tuple(warnings),
    )


OPEN_CHECKS: list[OpenCheck] = [mark_stale_jobs, note_busy, remove_leftovers]
"""Run in order after a writable open; each returns the report, amended."""


def report_open(project: Project, plan: OpenPlan) -> OpenReport:
    report = OpenReport(
        read_only=plan.read_only,
        read_only_reason=plan.read_only_reason,
        problems=plan.problems,
        check_seconds=plan.check_seconds,
        warnings=plan.warnings,
    )
    if plan.read_only:
        return note_busy(project, report)
    for check in OPEN_CHECKS:
        report = check(project, report)
    for line in report.notes():
        log.info("open %s: %s", project.path, line)
    return report
