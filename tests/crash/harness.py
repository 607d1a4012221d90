"""kill -9 at random points: the project stays whole and no human edit is lost.

A *world* (built once) holds a project with a first draft and human work on
it (edited, approved, a speaker set), a second recording with no draft, an
audio file and an ELAN file to import, and a data folder where a tiny random
Whisper is the active model. Each *scenario* runs one real command in a child
process on a fresh copy of that project: the ``jazba`` CLI (transcribe with the
tiny model, re-transcribe, import audio, import annotations, export), the same
CLI with a fast fake model (many commits a second), or the desktop app driven
by a script (transcription running while a person edits and types). The child
is killed with SIGKILL at a random moment of its work (seeded), and the
project is checked:

* ``PRAGMA integrity_check`` is ``ok`` and the project opens;
* every segment a person edited or approved before is there, unchanged; every
  edit the app confirmed before the kill is there; text being typed is there
  as a draft;
* a transcription pass left the new draft before the cut its job recorded
  and the old draft, unchanged, after it: nothing missing, nothing doubled;
* an import is all or nothing; an export never changes the project, and
  exporting again with ``--overwrite`` completes.

Used by ``tests/crash/test_kill9.py`` (CI, >= 50 kills) and
``benchmarks/crash_kill.py`` (as many as asked, with a table).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.crash.world import World, build_world, child_env

__all__ = ["SCENARIOS", "Outcome", "World", "build_world", "kills"]

CHILD = Path(__file__).with_name("_child.py")
GUI_CHILD = Path(__file__).with_name("_gui_child.py")
SNAPSHOT_KEYS = (
    *("recording_id", "tier_id", "start_ms", "end_ms", "text"),
    *("speaker_id", "language", "status", "deleted"),
)


# -- what a project holds ---------------------------------------------------------------
def integrity(project_dir: Path) -> str:
    con = sqlite3.connect(project_dir / "project.sqlite")
    try:
        return str(con.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        con.close()


def segment_rows(project_dir: Path) -> dict[int, dict[str, object]]:
    con = sqlite3.connect(project_dir / "project.sqlite")
    try:
        cols = ", ".join(SNAPSHOT_KEYS)
        rows = con.execute(f"SELECT id, {cols} FROM segments").fetchall()
    finally:
        con.close()
    return {r[0]: dict(zip(SNAPSHOT_KEYS, r[1:], strict=True)) for r in rows}


def live(rows: dict[int, dict[str, object]]) -> dict[int, dict[str, object]]:
    return {k: v for k, v in rows.items() if not v["deleted"]}


def human(rows: dict[int, dict[str, object]]) -> dict[int, dict[str, object]]:
    return {k: v for k, v in live(rows).items() if v["status"] != "auto"}


# -- one kill -----------------------------------------------------------------------------
@dataclass
class Outcome:
    scenario: str
    delay: float
    killed: bool  # False: the child finished before the kill
    problems: list[str] = field(default_factory=list)
    phase: str = ""  # how far the work got (for the table)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Scenario:
    name: str
    command: Callable[[World, Path, Path], list[str]]  # (world, project, out dir) -> argv
    check: Callable[[World, Path, Path, dict, Outcome], None]
    marker: str  # a line of the child's output that says the work has begun
    work_s: float  # a typical duration of the work after the marker (kills fall in it)


def run_kill(world: World, scenario: Scenario, delay: float, workdir: Path) -> Outcome:
    """Copy the template, run the scenario's child, SIGKILL it ``delay`` s after
    its marker, check the project."""
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    project = workdir / "p.jazba"
    shutil.copytree(world.template, project)
    out = workdir / "out"
    before = segment_rows(project)
    outcome = Outcome(scenario.name, delay, killed=False)
    proc = subprocess.Popen(
        scenario.command(world, project, out),
        cwd=workdir,
        env=child_env(world),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 120
    for line in proc.stdout:
        lines.append(line)
        if scenario.marker in line or time.monotonic() > deadline:
            break
    time.sleep(delay)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        outcome.killed = True
    rest, _ = proc.communicate(timeout=60)
    log = "".join(lines) + (rest or "")
    if not outcome.killed and proc.returncode != 0:
        outcome.problems.append(
            f"the child failed on its own (exit {proc.returncode}): {log[-800:]}"
        )
        return outcome
    (workdir / "child.log").write_text(log, encoding="utf-8")
    check_common(project, world.template, before, outcome)
    if outcome.ok:
        scenario.check(world, project, out, before, outcome)
    return outcome


def check_common(project: Path, template: Path, before: dict, outcome: Outcome) -> None:
    from desktop_app.core.project import Project

    result = integrity(project)
    if result != "ok":
        outcome.problems.append(f"integrity_check: {result}")
        return
    try:
        Project.open(project).close()
    except Exception as exc:
        outcome.problems.append(f"the project does not open: {exc}")
        return
    after = segment_rows(project)
    by_people = changed_by_people(project, template)
    for sid, row in human(before).items():
        if after.get(sid) != row and sid not in by_people:
            outcome.problems.append(f"human segment #{sid} changed: {row} -> {after.get(sid)}")


def read_template(template: Path) -> sqlite3.Connection:
    """Open the shared template read-only and immutable: a plain connection would
    create ``-wal``/``-shm`` files that vanish on close, under another thread's
    ``copytree`` of the same folder."""
    return sqlite3.connect(f"file:{template / 'project.sqlite'}?immutable=1", uri=True)


def changed_by_people(project: Path, template: Path) -> set[int]:
    """Segments whose changes since the template were all made by a person (the
    app's driver): they may differ; anything else touching human work may not."""
    con = read_template(template)
    try:
        known = con.execute("SELECT COALESCE(MAX(id), 0) FROM operations").fetchone()[0]
    finally:
        con.close()
    con = sqlite3.connect(project / "project.sqlite")
    try:
        rows = con.execute(
            "SELECT r.segment_id, o.source FROM revisions r JOIN operations o "
            "ON r.operation_id = o.id WHERE o.id > ?",
            (known,),
        ).fetchall()
    finally:
        con.close()
    sources: dict[int, set[str]] = {}
    for sid, source in rows:
        sources.setdefault(sid, set()).add(source)
    return {sid for sid, found in sources.items() if found <= {"user", "undo", "redo"}}


# -- scenario checks ----------------------------------------------------------------------
def run_job(project: Path, template: Path, kind: str) -> tuple[str, dict]:
    """The status and params of the ``kind`` job this run started (``""``: none yet)."""
    import json

    def newest(folder: Path, where: str = "") -> tuple | None:
        db = folder / "project.sqlite"
        con = read_template(folder) if folder == template else sqlite3.connect(db)
        try:
            return con.execute(
                f"SELECT id, status, params FROM jobs WHERE kind = ? {where} "
                "ORDER BY id DESC LIMIT 1",
                (kind,),
            ).fetchone()
        finally:
            con.close()

    known = newest(template)
    row = newest(project, f"AND id > {known[0] if known else 0}")
    return (row[1], json.loads(row[2])) if row else ("", {})


def check_pass(recording: int) -> Callable[[World, Path, Path, dict, Outcome], None]:
    """A pass over ``recording``: new draft before the job's cut, old draft after it."""

    def check(world: World, project: Path, out: Path, before: dict, outcome: Outcome) -> None:
        status, params = run_job(project, world.template, "transcribe")
        after = segment_rows(project)
        duration = _duration(project, recording)
        done = duration if status == "done" else int(params.get("done_ms", 0))
        outcome.phase = f"{done / max(1, duration):.0%}"
        for sid, row in before.items():
            if row["recording_id"] != recording or row["status"] != "auto" or row["deleted"]:
                continue
            now = after[sid]
            if now["status"] != "auto":  # a person touched it meanwhile: the app's to keep
                continue
            if row["start_ms"] >= done and now != row:
                outcome.problems.append(f"old draft #{sid} after the cut {done} ms was touched")
            if row["end_ms"] <= done and not now["deleted"]:
                outcome.problems.append(f"old draft #{sid} before the cut {done} ms survived")
        for sid, row in live(after).items():
            if sid in before or row["recording_id"] != recording:
                continue
            if row["end_ms"] > done:
                outcome.problems.append(f"new segment #{sid} beyond the cut {done} ms")

    return check


def check_import_audio(world: World, project: Path, out: Path, before: dict, o: Outcome) -> None:
    import hashlib

    con = sqlite3.connect(project / "project.sqlite")
    try:
        rows = con.execute("SELECT id, audio_path, sha256, peaks_path FROM recordings").fetchall()
    finally:
        con.close()
    o.phase = "imported" if len(rows) == 3 else "not imported"
    hidden = [p.name for sub in ("audio", "cache") for p in (project / sub).glob(".*")]
    if hidden:  # the open (in check_common) removes a killed import's partial files
        o.problems.append(f"leftovers after reopening: {', '.join(hidden)}")
    for rid, audio, sha, peaks in rows:
        path = project / audio
        if not path.is_file():
            o.problems.append(f"recording #{rid}: audio file '{audio}' missing")
        elif rid > 2 and hashlib.sha256(path.read_bytes()).hexdigest() != sha:
            o.problems.append(f"recording #{rid}: audio does not match its hash")
        if not (project / peaks).is_file():
            o.problems.append(f"recording #{rid}: waveform '{peaks}' missing")


def check_import_annotations(
    world: World, project: Path, out: Path, before: dict, o: Outcome
) -> None:
    after = live(segment_rows(project))
    new = [r for sid, r in after.items() if sid not in before]
    expected = len([r for r in live(before).values() if r["recording_id"] == world.recording])
    o.phase = "imported" if new else "not imported"
    if new and len(new) != expected:
        o.problems.append(f"partial import: {len(new)} of {expected} segments")


def check_export(world: World, project: Path, out: Path, before: dict, o: Outcome) -> None:
    if segment_rows(project) != before:
        o.problems.append("the export changed the project's segments")
    argv = [*export_command(world, project, out), "--overwrite"]
    done = subprocess.run(argv, env=child_env(world), capture_output=True, text=True)
    if done.returncode != 0:
        o.problems.append(f"exporting again failed: {done.stdout[-400:]}{done.stderr[-400:]}")
    elif not list((out / "data").glob("*.parquet")):
        o.problems.append("exporting again wrote no data")
    o.phase = "re-exported"


def check_gui(world: World, project: Path, out: Path, before: dict, o: Outcome) -> None:
    """Every edit the window confirmed (logged by the driver) is stored; typed text
    the journal confirmed is stored or is a draft."""
    log = project.parent / "edits.log"
    lines = log.read_text("utf-8").splitlines() if log.exists() else []
    last: dict[int, tuple[str, str]] = {}  # a later edit of a segment replaces an earlier one
    for line in lines:
        kind, sid, value = line.split("\t")
        last[int(sid)] = (kind, value)
    after = segment_rows(project)
    drafts = _drafts(project)
    for sid, (kind, value) in last.items():
        row = after.get(sid)
        if kind == "text" and (row is None or row["text"] != value or row["deleted"]):
            o.problems.append(f"confirmed edit of #{sid} lost: {value!r} -> {row}")
        if kind == "draft" and drafts.get(sid) != value and (row or {}).get("text") != value:
            o.problems.append(f"typed text for #{sid} lost: {value!r}")
    o.phase = f"{len(lines)} confirmed"
    check_pass(world.recording)(world, project, out, before, o)


def _drafts(project: Path) -> dict[int, str]:
    con = sqlite3.connect(project / "project.sqlite")
    try:
        return dict(con.execute("SELECT segment_id, text FROM drafts").fetchall())
    finally:
        con.close()


def _duration(project: Path, recording: int) -> int:
    con = sqlite3.connect(project / "project.sqlite")
    try:
        return int(
            con.execute("SELECT duration_ms FROM recordings WHERE id = ?", (recording,)).fetchone()[
                0
            ]
        )
    finally:
        con.close()


# -- the scenarios --------------------------------------------------------------------------
def jazba(*args: str) -> list[str]:
    return [sys.executable, "-m", "desktop_app.cli.main", *args]


def export_command(world: World, project: Path, out: Path) -> list[str]:
    return jazba("export", str(project), str(out), "--format", "hf", "--audio", "clips")


def fake(*args: str) -> list[str]:
    """The real CLI with the fake model (delay 0.03 s a segment: many commits a second)."""
    return [sys.executable, str(CHILD), "0.03", *args]


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "retranscribe-tiny",
            lambda w, p, o: jazba(
                "transcribe",
                str(p),
                str(w.recording),
                "--preset",
                "kk-ru",
                "--no-vad",
                "--device",
                "cpu",
                "--threads",
                "1",
            ),
            lambda w, p, o, b, oc: check_pass(w.recording)(w, p, o, b, oc),
            "keeping",
            6.0,
        ),
        Scenario(
            "retranscribe-fast",
            lambda w, p, o: fake("transcribe", str(p), str(w.recording), "--no-vad"),
            lambda w, p, o, b, oc: check_pass(w.recording)(w, p, o, b, oc),
            "keeping",
            0.6,
        ),
        Scenario(
            "transcribe-fast",
            lambda w, p, o: fake("transcribe", str(p), str(w.fresh_recording), "--no-vad"),
            lambda w, p, o, b, oc: check_pass(w.fresh_recording)(w, p, o, b, oc),
            "#2",
            0.5,
        ),
        Scenario(
            "import-audio",
            lambda w, p, o: jazba("import", str(p), str(w.audio)),
            check_import_audio,
            "",
            0.9,
        ),
        Scenario(
            "import-eaf",
            lambda w, p, o: jazba(
                "import",
                str(p),
                str(w.eaf),
                "--recording",
                str(w.recording),
                "--map",
                "transcription=imported",
            ),
            check_import_annotations,
            "",
            0.4,
        ),
        Scenario("export", export_command, check_export, "", 1.5),
        Scenario(
            "gui-edit-while-transcribing",
            lambda w, p, o: [sys.executable, str(GUI_CHILD), str(p), str(w.recording)],
            check_gui,
            "window up",
            4.0,
        ),
    )
}


def kills(
    world: World, plan: dict[str, int], workdir: Path, seed: int = 0, jobs: int = 2
) -> list[Outcome]:
    """Run ``plan[name]`` kills of each scenario at seeded random moments,
    ``jobs`` children at a time; the folders of failed runs are kept."""
    from concurrent.futures import ThreadPoolExecutor

    rng = random.Random(seed)
    runs = [
        (SCENARIOS[name], rng.uniform(0.0, SCENARIOS[name].work_s), workdir / f"{name}-{k}")
        for name, n in plan.items()
        for k in range(n)
    ]

    def one(run: tuple[Scenario, float, Path]) -> Outcome:
        scenario, delay, folder = run
        outcome = run_kill(world, scenario, delay, folder)
        if outcome.ok:  # keep only the evidence of failures
            shutil.rmtree(folder, ignore_errors=True)
        return outcome

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(one, runs))
