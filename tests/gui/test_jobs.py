"""Worker infrastructure and the Jobs panel, with fake job functions."""

from __future__ import annotations

import itertools
import threading
import time

import pytest
from PySide6.QtCore import Qt

from desktop_app.core.errors import JazbaError
from desktop_app.core.jobs import JobState
from desktop_app.gui.panels.jobs_panel import JobCol, JobsPanel, fmt_eta
from desktop_app.gui.workers import JobRunner, JobStatus


def slow_job(state: JobState, steps: int = 200, delay: float = 0.005) -> str:
    for i in range(steps):
        time.sleep(delay)
        state.set_progress((i + 1) / steps, f"step {i + 1}")
    return "result"


@pytest.fixture
def runner(qtbot):
    r = JobRunner()
    yield r
    r.shutdown()


def test_job_reports_progress_and_result(qtbot, runner) -> None:
    main = threading.get_ident()
    updates: list[float] = []
    job = runner.start("Fake", slow_job)
    job.changed.connect(lambda: updates.append(job.progress))
    job.changed.connect(lambda: updates.append(threading.get_ident() == main))
    with qtbot.waitSignal(job.finished, timeout=10_000) as blocker:
        pass
    assert blocker.args == ["result"]
    assert job.status is JobStatus.DONE and job.progress == 1.0
    fractions = [u for u in updates if not isinstance(u, bool)]
    assert fractions == sorted(fractions)
    assert 3 <= len(fractions) < 60  # throttled: ~10 updates a second, not 200
    assert all(u for u in updates if isinstance(u, bool))  # delivered in the GUI thread


def test_cancel_stops_the_job(qtbot, runner) -> None:
    job = runner.start("Long", lambda s: slow_job(s, steps=10_000, delay=0.001))
    qtbot.waitUntil(lambda: job.status is JobStatus.RUNNING, timeout=5000)
    with qtbot.waitSignal(job.cancelled, timeout=5000):
        job.cancel()
    assert job.status is JobStatus.CANCELLED
    assert job.progress < 1.0
    assert job.result is None


def test_user_error_is_a_message(qtbot, runner) -> None:
    def broken(state: JobState) -> None:
        raise JazbaError("Cannot read 'x.m4a': no decoder.")

    job = runner.start("Broken", broken)
    with qtbot.waitSignal(job.failed, timeout=5000) as blocker:
        pass
    assert blocker.args == ["Cannot read 'x.m4a': no decoder."]


def test_bug_is_logged_and_summarised(qtbot, runner, caplog) -> None:
    def buggy(state: JobState) -> None:
        raise ZeroDivisionError("division by zero")

    job = runner.start("Buggy", buggy)
    with qtbot.waitSignal(job.failed, timeout=5000):
        pass
    assert "Unexpected error in 'Buggy'" in job.error and "log" in job.error
    assert any(r.exc_info for r in caplog.records if "crashed" in r.getMessage())


def test_generator_job_delivers_items_as_they_come(qtbot, runner) -> None:
    def gen(state: JobState):
        for i in range(5):
            state.set_progress(i / 5)
            yield i

    job = runner.start("Gen", gen)
    items: list[int] = []
    job.item.connect(items.append)
    with qtbot.waitSignal(job.finished, timeout=5000) as blocker:
        pass
    assert blocker.args == [[0, 1, 2, 3, 4]]
    qtbot.waitUntil(lambda: items == [0, 1, 2, 3, 4])


def test_window_stays_responsive_while_a_job_runs(qtbot, runner) -> None:
    job = runner.start("Busy", lambda s: slow_job(s, steps=100, delay=0.01))
    ticks: list[float] = []
    from PySide6.QtCore import QTimer

    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(20)
    with qtbot.waitSignal(job.ended, timeout=10_000):
        pass
    timer.stop()
    assert len(ticks) > 10
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert max(gaps) < 0.5


def test_jobs_panel_shows_progress_eta_and_cancels(qtbot, runner) -> None:
    panel = JobsPanel(runner)
    qtbot.addWidget(panel)
    job = runner.start("Transcribe fake", lambda s: slow_job(s, steps=10_000, delay=0.001))
    model = panel.model
    assert model.rowCount() == 1
    assert model.data(model.index(0, JobCol.TITLE)) == "Transcribe fake"
    qtbot.waitUntil(lambda: model.data(model.index(0, JobCol.PROGRESS)) > 5, timeout=10_000)
    qtbot.waitUntil(lambda: model.data(model.index(0, JobCol.ETA)).endswith("left"), timeout=5000)
    assert model.data(model.index(0, JobCol.STATUS)).startswith("step")
    with qtbot.waitSignal(job.cancelled, timeout=5000):
        panel.cancel_button.click()
    assert model.data(model.index(0, JobCol.STATUS)) == "Cancelled"
    panel.clear_button.click()
    assert model.rowCount() == 0


def test_fmt_eta() -> None:
    assert fmt_eta(None) == ""
    assert fmt_eta(12.4) == "12 s left"
    assert fmt_eta(125) == "2 min 05 s left"
    assert fmt_eta(3 * 3600 + 60) == "3 h 01 min left"


def test_import_audio_runs_as_a_job(window, qtbot, tmp_path) -> None:
    import shutil

    from desktop_app.core.resources import demo_dir

    src = tmp_path / "extra.flac"
    shutil.copy(demo_dir() / "02_weather.flac", src)
    # same audio as a recording already in the project: refused with a message
    (job,) = window.ops.import_audio([src])
    with qtbot.waitSignal(job.ended, timeout=10_000):
        pass
    assert job.status is JobStatus.FAILED
    assert "already in the project" in job.error
    assert window.docks["jobs"].isVisible()
    assert window.recordings.model.rowCount() == 4


def test_imported_recording_appears(window, qtbot, tmp_path) -> None:
    import numpy as np
    import soundfile as sf

    src = tmp_path / "жаңа жазба.wav"
    t = np.arange(22_050) / 22_050
    sf.write(src, (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 22_050)
    (job,) = window.ops.import_audio([src])
    with qtbot.waitSignal(job.finished, timeout=10_000):
        pass
    assert window.recordings.model.rowCount() == 5
    new = window.recordings.model.recording(4)
    assert new.title == "жаңа жазба" and new.duration_ms == 1000


def _grab_bar(panel: JobsPanel, row: int):
    """The painted progress cell of ``row`` as an image."""
    rect = panel.view.visualRect(panel.model.index(row, JobCol.PROGRESS))
    return panel.view.viewport().grab(rect).toImage()


def _has_colour(image, colour: str, tolerance: int = 40) -> bool:
    from PySide6.QtGui import QColor

    want = QColor(colour)
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            c = image.pixelColor(x, y)
            if (
                abs(c.red() - want.red()) + abs(c.green() - want.green())
                + abs(c.blue() - want.blue()) < tolerance
            ):  # fmt: skip
                return True
    return False


def test_a_failed_job_never_shows_a_full_green_bar(qtbot, runner) -> None:
    """A job that reached 100 % and then failed reads "Failed: <why>" on an
    empty red bar; a cancelled one reads "Cancelled"; only success is green."""
    from desktop_app.gui import theme
    from desktop_app.gui.panels.jobs_panel import STATUS_ROLE

    def fails_at_the_end(state: JobState) -> None:
        state.set_progress(1.0, "Written")
        raise JazbaError("The disk is full.")

    panel = JobsPanel(runner)
    qtbot.addWidget(panel)
    panel.resize(900, 240)
    panel.show()
    qtbot.waitExposed(panel)
    ok = runner.start("Transcribe interview (#1)", lambda s: "fine")
    bad = runner.start("Transcribe interview (#2)", fails_at_the_end)
    qtbot.waitUntil(lambda: ok.status.finished and bad.status.finished, timeout=5000)
    model, t = panel.model, theme.current()
    assert model.data(model.index(1, JobCol.STATUS)) == "Failed: The disk is full."
    assert model.data(model.index(1, JobCol.PROGRESS), STATUS_ROLE) is JobStatus.FAILED
    green = t.status_color("approved")
    assert _has_colour(_grab_bar(panel, 0), green)
    failed_bar = _grab_bar(panel, 1)
    assert not _has_colour(failed_bar, green)
    assert _has_colour(failed_bar, t.error)
    assert model.data(model.index(0, JobCol.ETA)).startswith("took")

    stopped = runner.start("Long", lambda s: slow_job(s, steps=10_000, delay=0.001))
    qtbot.waitUntil(lambda: stopped.status is JobStatus.RUNNING, timeout=5000)
    with qtbot.waitSignal(stopped.cancelled, timeout=5000):
        stopped.cancel()
    assert model.data(model.index(2, JobCol.STATUS)) == "Cancelled"
    assert not _has_colour(_grab_bar(panel, 2), green)


def test_a_new_job_row_is_scrolled_into_view(qtbot, runner) -> None:
    panel = JobsPanel(runner)
    qtbot.addWidget(panel)
    panel.resize(700, 150)  # room for about two rows
    panel.show()
    qtbot.waitExposed(panel)
    for i in range(12):
        runner.start(f"Import file{i}.wav", lambda s: None)
    last = panel.model.index(11, JobCol.TITLE)
    qtbot.waitUntil(
        lambda: panel.view.viewport().rect().contains(panel.view.visualRect(last)), timeout=2000
    )
    assert panel.model.data(last, Qt.ItemDataRole.ToolTipRole) == "Import file11.wav"


def test_a_status_held_back_by_the_throttle_still_shows(qtbot, runner) -> None:
    """ "Working…" set right after "Loading…" is throttled away, and the job then
    works silently for a while: the panel must not keep saying "Loading…"."""
    release = threading.Event()

    def job(state: JobState) -> None:
        state.set_progress(0.0, "Loading the model…")
        state.set_progress(0.0, "Working…")  # within the throttle interval
        release.wait(5)

    j = runner.start("Two messages", job)
    qtbot.waitUntil(lambda: j.message == "Working…", timeout=3000)
    release.set()
    with qtbot.waitSignal(j.ended, timeout=5000):
        pass
