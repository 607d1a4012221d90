"""Running mutants through the real import paths and classifying what happens.

Used by ``tests/fuzz/test_fuzz_imports.py`` (a bounded run in CI) and
``benchmarks/fuzz_imports.py`` (10,000+ mutants and a table).

A worker is a clean interpreter (``python -m tests.fuzz.harness``) that
imports Jazba once, builds a template project (a recording ``speech.wav``
with segments on two tiers) and then, for each mutant, copies the template,
forks, and in the child — under ``RLIMIT_AS`` (1.5 GB) and ``RLIMIT_FSIZE`` —
imports the mutant: annotation files with
:func:`desktop_app.core.interop.importer.import_file`, audio with
:meth:`RecordingService.import_file`. The parent waits with a timeout, takes
the child's peak RSS from ``wait4`` and checks the copy's database. Outcomes:

* ``ok`` — imported; ``error`` — a :class:`JazbaError` with a message;
* ``traceback`` — any other exception, or a crash (a signal);
* ``hang`` — still running at the timeout (killed);
* ``memory`` — ``MemoryError``, killed by the kernel, or peak RSS over 500 MB;
* ``damage`` — ``PRAGMA integrity_check`` not ok, or a segment or recording
  that existed before the import changed (checked whatever the outcome).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from tests.fuzz.mutations import Mutant, mutant
from tests.fuzz.seeds import (
    ANNOTATION_FORMATS,
    AUDIO_FORMATS,
    Seed,
    annotation_seeds,
    make_audio_seeds,
)

OUTCOMES = ("ok", "error", "traceback", "hang", "memory", "damage")
MEMORY_LIMIT = 1536 << 20  # RLIMIT_AS of a child
RSS_LIMIT_MB = 500
FILE_LIMIT = 256 << 20  # RLIMIT_FSIZE: no single file a child writes may grow past this
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Outcome:
    format: str
    index: int
    seed: str
    mutation: str
    kind: str  # one of OUTCOMES
    detail: str
    seconds: float
    peak_rss_mb: float


# -- the worker ---------------------------------------------------------------------------------
def _template(folder: Path) -> tuple[Path, list[tuple], list[tuple]]:
    """A project with one recording and segments; with its segments and recordings rows."""
    import numpy as np
    import soundfile as sf

    from desktop_app.core.project import Project
    from desktop_app.core.services.recordings import RecordingService
    from desktop_app.core.services.segments import NewSegment, SegmentService
    from desktop_app.core.services.speakers import SpeakerService, TierService

    wav = folder / "speech.wav"
    t = np.arange(8 * 16_000) / 16_000
    sf.write(wav, (0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16_000)
    project = Project.create(folder / "template")
    rid = RecordingService(project).import_file(wav).id
    who = SpeakerService(project).create("Айгерім").id
    notes = TierService(project).create("notes", kind="comment").id
    segs = SegmentService(project)
    segs.add_many(
        rid,
        [NewSegment(100, 900, "бұрынғы", who, "kk"), NewSegment(1000, 2000, "before", None)],
        status="approved",
        source="user",
    )
    segs.add_many(rid, [NewSegment(3000, 4000, "ескерту")], tier_id=notes, status="edited")
    project.close()
    path = project.path
    return path, _rows(path, "segments"), _rows(path, "recordings")


def _rows(project: Path, table: str) -> list[tuple]:
    db = sqlite3.connect(project / "project.sqlite")
    try:
        return db.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
    finally:
        db.close()


def _damage(project: Path, segments: list[tuple], recordings: list[tuple]) -> str | None:
    db = sqlite3.connect(project / "project.sqlite")
    try:
        check = db.execute("PRAGMA integrity_check").fetchall()
        if check != [("ok",)]:
            return f"integrity_check: {check[:3]}"
        ids = [row[0] for row in segments]
        now = db.execute(
            f"SELECT * FROM segments WHERE id IN ({','.join('?' * len(ids))}) ORDER BY id", ids
        ).fetchall()
        if now != segments:
            return "a segment that existed before the import changed"
        recs = db.execute(
            "SELECT * FROM recordings WHERE id <= ? ORDER BY id", (recordings[-1][0],)
        )
        if recs.fetchall() != recordings:
            return "a recording that existed before the import changed"
    except sqlite3.DatabaseError as exc:
        return f"database unreadable: {exc}"
    finally:
        db.close()
    return None


def _child(fmt: str, path: Path, project: Path, out_fd: int) -> None:
    """Runs in the forked child: import the file ``path`` and report through ``out_fd``."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, FILE_LIMIT))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    from desktop_app.core.errors import JazbaError
    from desktop_app.core.project import Project

    kind, detail = "ok", ""
    try:
        opened = Project(project)  # the template's schema is current: no migration check
        try:
            if fmt in ANNOTATION_FORMATS:
                from desktop_app.core.interop.importer import import_file

                detail = import_file(opened, path).summary()
            else:
                from desktop_app.core.services.recordings import RecordingService

                detail = RecordingService(opened).import_file(path).title
        finally:
            opened.close()
    except MemoryError:
        kind, detail = "memory", "MemoryError"
    except JazbaError as exc:
        kind, detail = ("error", str(exc)) if str(exc).strip() else ("traceback", "empty message")
    except BaseException as exc:
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{Path(frame.filename).name}:{frame.lineno} in {frame.name}"
        kind, detail = "traceback", f"{type(exc).__name__}: {str(exc)[:300]} ({where})"
    os.write(out_fd, json.dumps({"kind": kind, "detail": detail[:1000]}).encode()[:8000])


def run_one(
    m: Mutant, template: Path, rows: tuple[list[tuple], list[tuple]], scratch: Path, timeout: float
) -> Outcome:
    """Import one mutant in a forked child of this process; classify the result.

    The mutant is written here, and its bytes dropped before the fork, so that the
    child's peak RSS is not inflated by them (``m.data`` is released by the caller)."""
    work = scratch / f"m{m.index}"
    project = work / "project.jazba"
    shutil.copytree(template, project)
    path = work / f"{'speech' if m.format in ANNOTATION_FORMATS else 'mutant'}{m.suffix}"
    path.write_bytes(m.data)
    fmt, m = m.format, replace(m, data=b"")
    read_fd, write_fd = os.pipe()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child
        code = 0
        try:
            os.close(read_fd)
            _child(fmt, path, project, write_fd)
        except BaseException:
            code = 3
        finally:
            os._exit(code)
    os.close(write_fd)
    report = b""
    status, usage, hung = None, None, False
    deadline = started + timeout
    while True:
        ready, _, _ = select.select(
            [read_fd], [], [], max(0.0, min(0.05, deadline - time.perf_counter()))
        )
        if ready:
            chunk = os.read(read_fd, 65536)
            report += chunk
        done_pid, status, usage = os.wait4(pid, os.WNOHANG)
        if done_pid == pid:
            break
        if time.perf_counter() > deadline:
            hung = True
            os.kill(pid, signal.SIGKILL)
            _, status, usage = os.wait4(pid, 0)
            break
    while chunk := _read_ready(read_fd):
        report += chunk
    os.close(read_fd)
    seconds = time.perf_counter() - started
    rss = usage.ru_maxrss / 1024 if usage is not None else 0.0
    if hung:
        kind, detail = "hang", f"still running after {timeout:.0f} s"
    elif report:
        got = json.loads(report.decode())
        kind, detail = got["kind"], got["detail"]
    elif os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        kind = "memory" if sig == signal.SIGKILL else "traceback"
        detail = f"killed by signal {signal.Signals(sig).name}"
    else:
        kind, detail = "traceback", f"exited with status {os.waitstatus_to_exitcode(status)}"
    if kind in ("ok", "error") and rss > RSS_LIMIT_MB:
        kind, detail = "memory", f"peak RSS {rss:.0f} MB ({detail[:200]})"
    damage = _damage(project, *rows)
    if damage is not None:
        kind, detail = "damage", f"{damage} (import: {kind}: {detail[:200]})"
    shutil.rmtree(work, ignore_errors=True)
    return Outcome(
        m.format, m.index, m.seed, m.mutation, kind, detail, round(seconds, 3), round(rss, 1)
    )


def _read_ready(fd: int) -> bytes:
    ready, _, _ = select.select([fd], [], [], 0)
    return os.read(fd, 65536) if ready else b""


def seeds_for(fmt: str, audio_dir: Path) -> list[Seed]:
    if fmt in ANNOTATION_FORMATS:
        return annotation_seeds(fmt)
    return make_audio_seeds(audio_dir).get(fmt, [])


def worker(
    fmt: str, indices: Sequence[int], run_seed: int, timeout: float, audio_dir: Path, out: Path
) -> None:
    """Run mutants ``indices`` of ``fmt``, one JSON line per outcome into ``out``."""
    seeds = seeds_for(fmt, audio_dir)
    # Loaded once here, so that every forked child finds them imported.
    import desktop_app.core.interop.importer
    import desktop_app.core.services.recordings  # noqa: F401

    with tempfile.TemporaryDirectory(prefix="jazba-fuzz-") as tmp:
        scratch = Path(tmp)
        template, segments, recordings = _template(scratch)
        with out.open("w", encoding="utf-8") as fh:
            for i in indices:
                outcome = run_one(
                    mutant(fmt, seeds, run_seed, i),
                    template,
                    (segments, recordings),
                    scratch,
                    timeout,
                )
                fh.write(json.dumps(asdict(outcome), ensure_ascii=False) + "\n")
                fh.flush()


# -- the driver ---------------------------------------------------------------------------------
def run(
    plan: dict[str, int],
    *,
    run_seed: int = 2024,
    jobs: int = 2,
    timeout: float = 20.0,
    chunk: int = 250,
    work: Path | None = None,
    progress: bool = False,
) -> list[Outcome]:
    """Fuzz ``{format: number of mutants}`` with ``jobs`` workers at a time."""
    own = work is None
    folder = Path(tempfile.mkdtemp(prefix="jazba-fuzz-run-")) if work is None else work
    folder.mkdir(parents=True, exist_ok=True)
    audio_dir = folder / "audio-seeds"
    if any(f in AUDIO_FORMATS for f in plan):
        make_audio_seeds(audio_dir)  # once, before the workers share it
    tasks = [
        (fmt, list(range(start, min(count, start + chunk))))
        for fmt, count in plan.items()
        for start in range(0, count, chunk)
    ]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }

    def launch(n: int) -> list[Outcome]:
        fmt, indices = tasks[n]
        out = folder / f"{fmt}-{indices[0]}.jsonl"
        spec = json.dumps(
            {
                **{"format": fmt, "indices": [indices[0], indices[-1] + 1], "seed": run_seed},
                **{"timeout": timeout, "audio": str(audio_dir), "out": str(out)},
            }
        )
        subprocess.run(
            [sys.executable, "-m", "tests.fuzz.harness", spec], env=env, cwd=ROOT, check=True
        )
        got = [Outcome(**json.loads(line)) for line in out.read_text(encoding="utf-8").splitlines()]
        if progress:
            counts = Counter(o.kind for o in got)
            print(
                f"  {fmt} {indices[0]}..{indices[-1]}: {dict(counts)}", file=sys.stderr, flush=True
            )
        return got

    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            results = [o for part in pool.map(launch, range(len(tasks))) for o in part]
    finally:
        if own:
            shutil.rmtree(folder, ignore_errors=True)
    return results


def table(outcomes: Iterable[Outcome]) -> str:
    """Format × outcome counts, totals, and the worst peak RSS."""
    rows: dict[str, Counter[str]] = {}
    worst: dict[str, float] = {}
    for o in outcomes:
        rows.setdefault(o.format, Counter())[o.kind] += 1
        worst[o.format] = max(worst.get(o.format, 0.0), o.peak_rss_mb)
    head = f"{'format':9}" + "".join(f"{k:>10}" for k in (*OUTCOMES, "total")) + f"{'peak RSS':>10}"
    lines = [head, "-" * len(head)]
    total: Counter[str] = Counter()
    for fmt, counts in rows.items():
        total.update(counts)
        cells = "".join(f"{counts[k]:>10}" for k in OUTCOMES)
        lines.append(f"{fmt:9}{cells}{sum(counts.values()):>10}{worst[fmt]:>8.0f}MB")
    lines.append("-" * len(head))
    cells = "".join(f"{total[k]:>10}" for k in OUTCOMES)
    lines.append(
        f"{'total':9}{cells}{sum(total.values()):>10}{max(worst.values(), default=0):>8.0f}MB"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="A fuzz worker (started by run()).")
    parser.add_argument("spec")
    spec = json.loads(parser.parse_args().spec)
    worker(spec["format"], range(*spec["indices"]), spec["seed"], spec["timeout"],
           Path(spec["audio"]), Path(spec["out"]))  # fmt: skip
