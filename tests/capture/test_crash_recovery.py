"""kill -9 in the middle of a recording: everything but the last second comes back."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from desktop_app.core.capture import (
    IN_PROGRESS_DIR,
    Journal,
    find_unfinished,
    recording_speakers,
    recover_unfinished,
)
from desktop_app.core.capture.wavstream import read_facts
from desktop_app.core.project import Project
from desktop_app.core.services.recordings import RecordingService
from desktop_app.core.services.segments import SegmentService
from desktop_app.core.services.speakers import SpeakerService, TierService
from desktop_app.core.store import database
from tests.capture.conftest import assert_matches_signal, read_int16

CHILD = Path(__file__).with_name("_child_record.py")
ROOT = Path(__file__).resolve().parents[2]


def _run_and_kill(folder: Path, rate: int, channels: int, speaker_id: int, record_s: float):
    """Start the child, SIGKILL it after ``record_s`` seconds of audio; returns
    (progress lines [(frames, t)], kill time, marker frame)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), str(folder), str(rate), str(channels), str(speaker_id)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    progress: list[tuple[int, float]] = []
    marker: list[int] = []
    started = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            kind, *rest = line.split()
            if kind == "P":
                progress.append((int(rest[0]), float(rest[1])))
            elif kind == "MARK":
                marker.append(int(rest[0]))
            elif kind == "STARTED":
                started.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert started.wait(30), proc.stderr.read() if proc.poll() is not None else "no start"
        deadline = time.monotonic() + 30
        while (not progress or progress[-1][0] < record_s * rate) and time.monotonic() < deadline:
            time.sleep(0.01)
        kill_t = time.monotonic()
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(10)
        reader.join(5)
    assert proc.returncode == -signal.SIGKILL
    return progress, kill_t, marker[0] if marker else None


@pytest.mark.parametrize(("rate", "channels"), [(48_000, 1), (44_100, 2)])
def test_sigkill_loses_at_most_the_last_second(tmp_path: Path, rate: int, channels: int) -> None:
    with Project.create(tmp_path / "field") as project:
        speaker = SpeakerService(project).create("Айгүл")
        folder = project.path
    progress, kill_t, marker_frame = _run_and_kill(folder, rate, channels, speaker.id, 2.5)

    # every frame produced up to one second before the kill must come back
    required = max((f for f, t in progress if t <= kill_t - 1.0), default=0)
    produced = progress[-1][0]
    assert required >= 1.2 * rate, progress[:3]
    assert marker_frame is not None

    wav = next((folder / IN_PROGRESS_DIR).glob("rec-*.wav"))
    # even before any repair the header is at most ~1 s behind, and so is the journal
    facts = read_facts(wav)
    align = channels * 2
    assert facts.declared_bytes >= required * align
    journal = Journal.load(wav.with_suffix(".json"))
    assert journal.state == "recording" and journal.frames >= required
    assert journal.meta.place == "Қарағанды"

    with Project.open(folder) as project:
        assert [u.wav_path for u in find_unfinished(project)] == [wav]
        (result,) = recover_unfinished(project)
        assert result.error is None and result.outcome is not None
        info = result.outcome.info
        assert info is not None and info.origin == "recovered"
        data = read_int16(project.abspath(info.audio_path))
        assert required <= len(data) <= produced
        assert_matches_signal(data, rate)  # sample-exact, from the first frame to the last
        assert info.place == "Қарағанды" and info.consent == "oral, on tape"
        assert "Recovered after the recording was interrupted" in (info.notes or "")
        assert recording_speakers(project, info.id) == ["Айгүл"]
        markers = {t.name: t.id for t in TierService(project).list()}["markers"]
        (mark,) = SegmentService(project).list(info.id, markers)
        assert mark.text == "before the crash"
        assert abs(mark.start_ms - marker_frame * 1000 / rate) <= 1
        assert not list((folder / IN_PROGRESS_DIR).iterdir())  # cleaned up
        # a second recovery finds nothing more
        assert recover_unfinished(project) == []
        assert len(RecordingService(project).list()) == 1


def test_old_project_gets_the_recording_speakers_table(tmp_path: Path) -> None:
    """A project saved before migration 0002 is upgraded when opened, data intact."""
    from alembic import command

    with Project.create(tmp_path / "old") as project:
        SpeakerService(project).create("Ерлан")
        command.downgrade(database.alembic_config(project.engine), "0001")
        db = project.db_path
    con = sqlite3.connect(db)
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "recording_speakers" not in tables
    assert con.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
    con.close()
    with Project.open(db.parent) as project:
        assert database.current_revision(project.engine) == database.head_revision()
        assert [s.name for s in SpeakerService(project).list()] == ["Ерлан"]
