"""Checking, repairing and copying whole projects (``jazba project check/repair/backup``).

* :func:`check_project` runs SQLite's full ``integrity_check`` and
  ``foreign_key_check`` and looks for files the database refers to that are
  missing; it writes nothing.
* :func:`repair_project` recovers what SQLite can read of a damaged database
  into a new file beside it, checks the result, then swaps: the damaged file
  is kept as ``project.sqlite.damaged-<timestamp>`` (never deleted).
* :func:`backup_project` writes a consistent copy of a project (the online
  backup API for the database, then the files that snapshot refers to), even
  while another process writes to the project. The copy appears under its
  final name only when complete.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from desktop_app.core.audio._storage import fsync_dir, fsync_file, storage_errors
from desktop_app.core.errors import ProjectBusyError, ProjectError
from desktop_app.core.jobs import JobState, Progress
from desktop_app.core.processes import ProcessStamp, is_alive
from desktop_app.core.project import DB_NAME, project_path
from desktop_app.core.project_open import writable
from desktop_app.core.store import database, maintenance

log = logging.getLogger(__name__)

ORIGINAL_COLUMNS = ("audio_path",)
DERIVED_COLUMNS = ("model_audio_path", "peaks_path")
SIDE_FILES = ("-wal", "-shm")
COPY_CHUNK = 1 << 20


def _db(folder: str | os.PathLike[str]) -> tuple[Path, Path]:
    folder = Path(folder).expanduser()
    if not folder.exists() and project_path(folder).exists():
        folder = project_path(folder)
    db = folder / DB_NAME
    if not db.is_file():
        raise ProjectError(f"No Jazba project at '{folder}' ('{DB_NAME}' is missing).")
    return folder, db


def _referenced(con: sqlite3.Connection) -> list[tuple[int, str, str]]:
    """(recording id, column, relative path) of every file the recordings refer to."""
    names = ORIGINAL_COLUMNS + DERIVED_COLUMNS
    rows = con.execute(f"SELECT id, {', '.join(names)} FROM recordings ORDER BY id").fetchall()
    return [(r[0], col, rel) for r in rows for col, rel in zip(names, r[1:], strict=True) if rel]


# -- check -----------------------------------------------------------------------------
@dataclass
class CheckReport:
    folder: Path
    integrity: list[str] = field(default_factory=list)
    foreign_keys: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # originals: data is lost
    missing_derived: list[str] = field(default_factory=list)  # 16 kHz copies, peaks

    @property
    def ok(self) -> bool:
        return not (self.integrity or self.foreign_keys or self.missing or self.missing_derived)

    def lines(self) -> list[str]:
        out = [f"Project '{self.folder.name}' at {self.folder}"]
        sections = (
            ("Database integrity", self.integrity),
            ("Broken links between rows", self.foreign_keys),
            ("Recordings whose audio file is missing", self.missing),
            ("Missing derived files (16 kHz copy, waveform peaks)", self.missing_derived),
        )
        for title, problems in sections:
            out.append(f"{title}: {'ok' if not problems else f'{len(problems)} problem(s)'}")
            out += [f"  - {p}" for p in problems[:20]]
            if len(problems) > 20:
                out.append(f"  … and {len(problems) - 20} more")
        if self.integrity:
            out.append(
                f'Repair: jazba project repair "{self.folder}" (keeps the damaged file), or '
                "restore a backup."
            )
        elif self.missing or self.missing_derived:
            out.append(
                "Copy the missing files back from where the project came from (same names, "
                "same folders), or remove those recordings."
            )
        return out


def check_project(path: str | os.PathLike[str]) -> CheckReport:
    """A full check of a project; writes nothing (refuses what is not a project)."""
    folder, db = _db(path)
    immutable = not writable(folder)
    database.identify(db, immutable=immutable)
    report = CheckReport(folder)
    report.integrity = maintenance.integrity_check(db, immutable=immutable)
    report.foreign_keys = maintenance.foreign_key_check(db, immutable=immutable)
    try:
        con = database.connect(db, "immutable" if immutable else "ro")
        try:
            refs = _referenced(con)
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        report.integrity.append(f"the list of recordings cannot be read: {exc}")
        refs = []
    for rec_id, col, rel in refs:
        if not (folder / rel).is_file():
            target = report.missing if col in ORIGINAL_COLUMNS else report.missing_derived
            target.append(f"recording #{rec_id}: {rel}")
    return report


# -- repair ----------------------------------------------------------------------------
@dataclass
class RepairReport:
    folder: Path
    repaired: bool
    kept_as: Path | None = None
    rows: dict[str, int] = field(default_factory=dict)
    damaged_tables: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        if not self.repaired:
            return [f"'{self.folder.name}': the database is sound; nothing to repair."]
        out = [
            f"Repaired '{self.folder.name}': a new database holds what could be read.",
            f"The damaged database is kept as {self.kept_as}.",
            "Recovered: "
            + ", ".join(
                f"{self.rows.get(t, 0)} {t}" for t in ("recordings", "segments", "revisions")
            ),
        ]
        if self.damaged_tables:
            out.append(
                "Rows may be missing from: " + ", ".join(self.damaged_tables) + " (their pages "
                "were damaged). Check the transcripts; an older backup may hold them."
            )
        out += [f"Not rebuilt: {p}" for p in self.problems]
        return out


def _live_jobs(db: Path) -> list[str]:
    """Jobs another live process is running (best effort on a damaged file)."""
    try:
        con = database.connect(db, "ro")
        try:
            rows = con.execute("SELECT id, kind, params FROM jobs WHERE status = 'running'")
            found = []
            for job_id, kind, params in rows.fetchall():
                stamp = ProcessStamp.from_json((json.loads(params or "{}") or {}).get("process"))
                if stamp is not None and is_alive(stamp):
                    found.append(f"{kind} (job #{job_id}, {stamp.describe()})")
            return found
        finally:
            con.close()
    except (sqlite3.DatabaseError, ValueError):
        return []


def repair_project(
    path: str | os.PathLike[str],
    state: Progress | None = None,
    *,
    force: bool = False,
    now: datetime | None = None,
) -> RepairReport:
    """Recover a damaged project database (see the module doc). Close Jazba first."""
    state = state or JobState()
    folder, db = _db(path)
    if not writable(folder):
        raise ProjectError(
            f"'{folder}' is on a read-only medium: copy the project somewhere writable and "
            "repair the copy."
        )
    busy = _live_jobs(db)
    if busy:
        raise ProjectBusyError(
            f"The project '{folder.name}' is busy with {'; '.join(busy)}. Repair it when "
            "nothing else uses it."
        )
    state.set_progress(0.0, "Checking the database")
    if not force and not maintenance.integrity_check(db):
        return RepairReport(folder, repaired=False)
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    fresh = folder / f"{DB_NAME}.recovering-{stamp}"
    kept = folder / f"{DB_NAME}.damaged-{stamp}"
    if kept.exists() or fresh.exists():
        raise ProjectError(f"'{kept.name}' already exists; wait a second and try again.")
    state.set_progress(0.1, "Recovering what can be read")
    try:
        with storage_errors(folder, "the recovered database"):
            salvage = maintenance.salvage_database(db, fresh)
        state.check()
        state.set_progress(0.8, "Checking the recovered database")
        left = maintenance.integrity_check(fresh)
        if left:
            raise ProjectError(
                f"The recovered database is not sound either ({left[0]}); the project was not "
                "changed. Restore a backup."
            )
        database.identify(fresh)
    except BaseException:
        fresh.unlink(missing_ok=True)
        raise
    with storage_errors(folder, "the repaired project"):
        for side in SIDE_FILES:  # the damaged file keeps its journal beside it
            journal = db.with_name(db.name + side)
            if journal.exists():
                os.replace(journal, kept.with_name(kept.name + side))
        os.replace(db, kept)
        os.replace(fresh, db)
        fsync_dir(folder)
    state.set_progress(1.0, "Repaired")
    log.info("repaired %s; damaged database kept as %s", folder, kept)
    return RepairReport(folder, True, kept, salvage.rows, salvage.damaged_tables, salvage.problems)


# -- backup ----------------------------------------------------------------------------
@dataclass(frozen=True)
class BackupResult:
    folder: Path
    files: int
    bytes: int
    missing: tuple[str, ...] = ()

    def summary(self) -> str:
        text = f"Saved a copy to {self.folder} ({self.files} file(s), {self.bytes / 1e6:.1f} MB)"
        if self.missing:
            text += f"; {len(self.missing)} file(s) the project refers to were missing"
        return text


def _copy(src: Path, dst: Path, state: Progress, done: list[int], total: int) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    with src.open("rb") as fin, dst.open("xb") as fout:
        while chunk := fin.read(COPY_CHUNK):
            state.check()
            fout.write(chunk)
            done[0] += len(chunk)
            state.set_progress(0.2 + 0.78 * done[0] / max(1, total))
    shutil.copystat(src, dst)
    fsync_file(dst)


def backup_project(
    path: str | os.PathLike[str], dest: str | os.PathLike[str], state: Progress | None = None
) -> BackupResult:
    """Write a consistent copy of a project into the new folder ``dest`` (job function)."""
    state = state or JobState()
    folder, db = _db(path)
    target = project_path(dest).absolute()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ProjectError(f"'{target}' already exists; choose a new folder for the copy.")
    if target.resolve() == folder.resolve() or folder.resolve() in target.resolve().parents:
        raise ProjectError("Choose a place for the copy outside the project folder.")
    immutable = not writable(folder)
    database.identify(db, immutable=immutable)
    stage = target.with_name(f".{target.name}.part-{uuid.uuid4().hex[:8]}")
    try:
        with storage_errors(target.parent, "the copy"):
            stage.mkdir(parents=True)
            state.set_progress(0.0, "Copying the database")
            maintenance.backup_database(
                db,
                stage / DB_NAME,
                immutable=immutable,
                on_progress=lambda f: state.set_progress(0.2 * f),
            )
            state.check()
            con = database.connect(stage / DB_NAME, "rw")
            try:
                refs = _referenced(con)
                problems = [r[0] for r in con.execute("PRAGMA quick_check")]
            finally:
                con.close()
            if problems != ["ok"]:
                raise ProjectError(f"The copy did not check out ({problems[0]}); try again.")
            wanted = sorted({rel for _, _, rel in refs})
            present = [rel for rel in wanted if (folder / rel).is_file()]
            missing = tuple(rel for rel in wanted if rel not in present)
            total = sum((folder / rel).stat().st_size for rel in present)
            done = [0]
            for rel in present:
                state.set_progress(0.2 + 0.78 * done[0] / max(1, total), f"Copying {rel}")
                _copy(folder / rel, stage / rel, state, done, total)
            for sub in ("audio", "cache"):
                (stage / sub).mkdir(exist_ok=True)
            fsync_file(stage / DB_NAME)
            if target.exists():
                target.rmdir()  # an empty folder the user chose
            os.replace(stage, target)
            fsync_dir(target.parent)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    state.set_progress(1.0, "Copy saved")
    size = total + (target / DB_NAME).stat().st_size
    return BackupResult(target, len(present) + 1, size, missing)
