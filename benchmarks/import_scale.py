"""Benchmark: import N annotation segments per format, with a machine-speed reference.

    .venv/bin/python benchmarks/import_scale.py                    # N = 100,000
    .venv/bin/python benchmarks/import_scale.py -n 20000 --format srt --format eaf

For each format a file of N segments is generated (EAF: utterances subdivided
into five words at four *unaligned* time slots, the slow path of old — 66,666
of them for N = 100,000; VTT: each cue in a ``<v>`` voice span) and imported with
:func:`desktop_app.core.interop.importer.import_file` into a fresh project
whose recording is long enough (a 1-second WAV whose row claims N seconds, so
no audio has to be decoded). Each import runs in a forked process, so its
peak RSS is its own. Reported: the time to read the file, the whole import,
segments per second, peak RSS, and the ratio of the import to two references
measured in the same run: ``raw`` = N rows written with plain
``sqlite3.executemany`` into a table shaped like ``segments`` (the floor), and
``service`` = the plain ``SegmentService.add_many`` (one flush per segment),
timed on min(N, 10,000) segments and scaled to N. ``RSS MB`` is the import
process's peak, ``+MB`` its growth over the process before the import.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf
from sqlalchemy import update

from desktop_app.core.interop.importer import import_file, read_annotations
from desktop_app.core.project import Project
from desktop_app.core.services.recordings import RecordingService
from desktop_app.core.services.segments import NewSegment, SegmentService
from desktop_app.core.store.schema import Recording

FORMATS = ("eaf", "textgrid", "srt", "vtt", "csv", "tsv", "jsonl")
STEP_MS = 1000  # one segment a second: 800 ms of speech, 200 ms of pause
SERVICE_SAMPLE = 10_000


def _stamp(ms: int, sep: str) -> str:
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms_ = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms_:03d}"


WORDS = 5  # EAF: words per utterance, WORDS - 1 unaligned slots between them


def _eaf(n: int) -> str:
    slots, utts, words = [], [], []
    for k in range(n // (WORDS + 1)):  # each utterance gives itself and its words
        b = (WORDS + 1) * k + 1  # its first slot; then WORDS - 1 unaligned ones, then its end
        t = WORDS * k * STEP_MS
        slots.append(f'<TIME_SLOT TIME_SLOT_ID="ts{b}" TIME_VALUE="{t}"/>')
        slots += [f'<TIME_SLOT TIME_SLOT_ID="ts{b + j}"/>' for j in range(1, WORDS)]
        slots.append(f'<TIME_SLOT TIME_SLOT_ID="ts{b + WORDS}" TIME_VALUE="{t + 4000}"/>')
        utts.append(_ann(f"a{k}", b, b + WORDS, f"сөйлем {k}"))
        words += [_ann(f"w{k}-{j}", b + j, b + j + 1, f"сөз{j}") for j in range(WORDS)]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<ANNOTATION_DOCUMENT FORMAT="3.0" VERSION="3.0">'
        '<HEADER MEDIA_FILE="" TIME_UNITS="milliseconds"/>'
        f"<TIME_ORDER>{''.join(slots)}</TIME_ORDER>"
        f'<TIER LINGUISTIC_TYPE_REF="utterance" TIER_ID="A">{"".join(utts)}</TIER>'
        f'<TIER LINGUISTIC_TYPE_REF="word" PARENT_REF="A" TIER_ID="W">{"".join(words)}</TIER>'
        '<LINGUISTIC_TYPE LINGUISTIC_TYPE_ID="utterance" TIME_ALIGNABLE="true"/>'
        '<LINGUISTIC_TYPE CONSTRAINTS="Time_Subdivision" LINGUISTIC_TYPE_ID="word" '
        'TIME_ALIGNABLE="true"/></ANNOTATION_DOCUMENT>\n'
    )


def _ann(aid: str, a: int, b: int, text: str) -> str:
    return (
        f'<ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="{aid}" TIME_SLOT_REF1="ts{a}" '
        f'TIME_SLOT_REF2="ts{b}"><ANNOTATION_VALUE>{text}</ANNOTATION_VALUE>'
        "</ALIGNABLE_ANNOTATION></ANNOTATION>"
    )


def _textgrid(n: int) -> str:
    end = n * STEP_MS / 1000
    rows = "".join(
        f"        intervals [{k + 1}]:\n            xmin = {k * STEP_MS / 1000}\n"
        f"            xmax = {(k * STEP_MS + 800) / 1000}\n"
        f'            text = "{"сөз " * 3}{k}"\n'
        for k in range(n)
    )
    return (
        'File type = "ooTextFile"\nObject class = "TextGrid"\n\nxmin = 0\n'
        f"xmax = {end}\ntiers? <exists>\nsize = 1\nitem []:\n    item [1]:\n"
        f'        class = "IntervalTier"\n        name = "Айгерім"\n        xmin = 0\n'
        f"        xmax = {end}\n        intervals: size = {n}\n{rows}"
    )


def _subtitles(n: int, vtt: bool) -> str:
    sep = "." if vtt else ","
    body = "".join(
        f"{k + 1}\n{_stamp(k * STEP_MS, sep)} --> {_stamp(k * STEP_MS + 800, sep)}\n"
        + ("<v Айгерім>" if vtt else "Айгерім: ")
        + f"сөз сөз сөз {k}\n\n"
        for k in range(n)
    )
    return ("WEBVTT\n\n" if vtt else "") + body


def _table(n: int, sep: str) -> str:
    head = sep.join(("start_ms", "end_ms", "speaker", "tier", "language", "status", "text"))
    return head + "\n" + "".join(
        sep.join((str(k * STEP_MS), str(k * STEP_MS + 800), "Айгерім", "transcription", "kk",
                  "edited", f"сөз сөз сөз {k}")) + "\n"
        for k in range(n)
    )  # fmt: skip


def _jsonl(n: int) -> str:
    return "".join(
        json.dumps(
            {"start_ms": k * STEP_MS, "end_ms": k * STEP_MS + 800, "speaker": "Айгерім",
             "language": "kk", "text": f"сөз сөз сөз {k}"},
            ensure_ascii=False,
        ) + "\n"
        for k in range(n)
    )  # fmt: skip


WRITERS: dict[str, tuple[str, Callable[[int], str]]] = {
    "eaf": (".eaf", _eaf),
    "textgrid": (".TextGrid", _textgrid),
    "srt": (".srt", lambda n: _subtitles(n, vtt=False)),
    "vtt": (".vtt", lambda n: _subtitles(n, vtt=True)),
    "csv": (".csv", lambda n: _table(n, ",")),
    "tsv": (".tsv", lambda n: _table(n, "\t")),
    "jsonl": (".jsonl", _jsonl),
}


def _project(folder: Path, seconds: int) -> tuple[Project, int]:
    wav = folder / "speech.wav"
    sf.write(wav, (0.1 * np.sin(np.arange(16_000) / 5)).astype(np.float32), 16_000)
    project = Project.create(folder / "project")
    rid = RecordingService(project).import_file(wav).id
    with project.unit() as s:  # long enough for every segment, without decoding hours of audio
        s.execute(update(Recording).where(Recording.id == rid).values(duration_ms=seconds * 1000))
    return project, rid


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


def _run_format(path: Path, n: int, out: mp.Queue) -> None:
    """In a forked child: a fresh project, then read and import ``path``."""
    project, _ = _project(path.parent, n * STEP_MS // 1000 + 60)
    rss_before = _current_rss_mb()
    started = time.perf_counter()
    read_annotations(path)
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    result = import_file(project, path)
    total_s = time.perf_counter() - started
    project.close()
    out.put((result.segments, read_s, total_s, rss_before, _rss_mb()))


def raw_reference(n: int, folder: Path) -> float:
    """N segment-shaped rows (and N revision-shaped rows) with plain sqlite3."""
    db = sqlite3.connect(folder / "raw.sqlite")
    db.execute(
        "CREATE TABLE s (id INTEGER PRIMARY KEY, recording_id INT, tier_id INT, start_ms INT, "
        "end_ms INT, speaker_id INT, text TEXT, language TEXT, status TEXT, deleted INT)"
    )
    db.execute("CREATE INDEX s_rec ON s (recording_id, start_ms)")
    db.execute("CREATE TABLE r (id INTEGER PRIMARY KEY, segment_id INT, after TEXT)")
    started = time.perf_counter()
    rows = [
        (1, 1, k * STEP_MS, k * STEP_MS + 800, 1, f"сөз {k}", "kk", "edited", 0) for k in range(n)
    ]
    db.executemany(
        "INSERT INTO s (recording_id, tier_id, start_ms, end_ms, speaker_id, text, language, "
        "status, deleted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    db.executemany(
        "INSERT INTO r (segment_id, after) VALUES (?, ?)",
        ((k + 1, json.dumps({"text": r[5], "start_ms": r[2]})) for k, r in enumerate(rows)),
    )
    db.commit()
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed


def service_reference(n: int, folder: Path) -> float:
    """``SegmentService.add_many`` on min(n, SERVICE_SAMPLE) segments, scaled to n."""
    sample = min(n, SERVICE_SAMPLE)
    project, rid = _project(folder, sample + 60)
    segs = [NewSegment(k * STEP_MS, k * STEP_MS + 800, f"сөз {k}") for k in range(sample)]
    started = time.perf_counter()
    SegmentService(project).add_many(rid, segs, status="edited")
    elapsed = time.perf_counter() - started
    project.close()
    return elapsed * n / sample


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--segments", type=int, default=100_000)
    parser.add_argument("--format", action="append", choices=FORMATS, dest="formats")
    args = parser.parse_args(argv)
    n, formats = args.segments, args.formats or list(FORMATS)
    tmp = Path(tempfile.mkdtemp(prefix="jazba-import-scale-"))
    try:
        raw = raw_reference(n, tmp)
        (tmp / "service").mkdir()
        service = service_reference(n, tmp / "service")
        sample = min(n, SERVICE_SAMPLE)
        print(f"N = {n:,} segments; references: raw sqlite3 {raw:.2f} s, "
              f"SegmentService.add_many {service:.1f} s (scaled from {sample:,})")  # fmt: skip
        print(f"{'format':9} {'file MB':>8} {'segments':>9} {'read s':>7} {'import s':>9} "
              f"{'seg/s':>8} {'× raw':>6} {'× service':>9} {'RSS MB':>7} {'+MB':>6}")  # fmt: skip
        ctx = mp.get_context("fork")
        for fmt in formats:
            folder = tmp / fmt
            folder.mkdir()
            suffix, write = WRITERS[fmt]
            path = folder / f"speech{suffix}"
            path.write_text(write(n), encoding="utf-8")  # here: the child's RSS is its import's
            queue: mp.Queue = ctx.Queue()
            proc = ctx.Process(target=_run_format, args=(path, n, queue))
            proc.start()
            segments, read_s, total_s, rss0, rss1 = queue.get()
            proc.join()
            print(
                f"{fmt:9} {path.stat().st_size / 1e6:8.1f} {segments:9,} {read_s:7.2f} "
                f"{total_s:9.2f} {segments / total_s:8,.0f} {total_s / raw:6.1f} "
                f"{total_s / service:9.2f} {rss1:7.0f} {rss1 - rss0:6.0f}"
            )
            shutil.rmtree(folder, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
