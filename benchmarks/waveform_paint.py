"""Benchmark: open a 2-hour recording in the app and time the waveform's painting.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/waveform_paint.py
    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/waveform_paint.py --hours 0.5 --keep DIR

Builds (once; ``--keep DIR`` reuses it) a project with one recording of
speech-like synthetic audio: 3.4 s of sound, 0.6 s of pause, over and over. Its
16 kHz model audio (FLAC) and peak pyramid are written in one streaming pass
with :class:`~desktop_app.core.audio.peaks.PeakPyramidBuilder`, as the importer
does, and every stretch of sound gets a transcript segment (1,800 for 2 h).

Then, in the real main window (offscreen, 1600x1000), it measures

* **open → first paint**: from ``ProjectOps.open_project`` (open the database,
  list recordings, load the pyramid, lay out segments) until the waveform
  widget has finished painting the whole recording (goal: under 1 s);
* **zoom frames**: 100 steps (50 zooming in from the whole recording down to
  2 s, where raw samples are drawn, and 50 back out);
* **scroll frames**: 100 steps of 10% of the view (50 forward, 50 back) at a
  60 s and a 10 min view;

each frame from the view change until its paint has finished. Times include
everything the UI thread does for the frame (pyramid query, curve update,
segment regions, scroll bar, painting). The audio files are in the OS page
cache right after they are generated (a warm start).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from desktop_app.core.audio.peaks import PeakPyramidBuilder  # noqa: E402
from desktop_app.core.project import Project  # noqa: E402
from desktop_app.core.services.segments import NewSegment, SegmentService  # noqa: E402
from desktop_app.core.store.schema import Recording  # noqa: E402

RATE = 16_000
SOUND_S, PAUSE_S = 3.4, 0.6


def _blocks(seconds: int) -> Iterator[np.ndarray]:
    """Speech-like audio one second at a time: voiced tones under a syllable-rate
    envelope, silent (a little noise) for 0.6 s of every 4 s."""
    rng = np.random.default_rng(0)
    period = SOUND_S + PAUSE_S
    for second in range(seconds):
        t = (np.arange(RATE) + second * RATE) / RATE
        envelope = 0.3 + 0.3 * np.abs(np.sin(2 * np.pi * 2.5 * t))
        envelope[(t % period) >= SOUND_S] = 0.0
        tone = np.sin(2 * np.pi * 180 * t) + 0.3 * np.sin(2 * np.pi * 1200 * t)
        yield (envelope * tone * 0.6 + 0.003 * rng.standard_normal(RATE)).astype(np.float32)


def build_project(
    folder: Path,
    seconds: int,
    name: str = "bench-waveform.jazba",
    segment: Callable[[int, int, int], NewSegment] | None = None,
) -> Path:
    """The project (reused when it exists); ``segment(k, start_ms, end_ms)`` makes
    the k-th stretch of sound's segment (default: the text "сөз k")."""
    path = folder / name
    if (path / "project.sqlite").exists():
        print(f"reusing {path}")
        return path
    t0 = time.perf_counter()
    project = Project.create(path, "Waveform benchmark")
    cache = path / "cache"
    cache.mkdir(exist_ok=True)
    audio, peaks = cache / "long.16k.flac", cache / "long.peaks"
    builder = PeakPyramidBuilder(RATE, expected_samples=seconds * RATE)
    with sf.SoundFile(audio, "w", RATE, 1, "PCM_16", format="FLAC") as fh:
        for block in _blocks(seconds):
            fh.write(block)
            builder.add(block)
    builder.finish().save(peaks)
    with project.unit() as s:
        rec = Recording(
            title="Two hours",
            original_filename="long.flac",
            audio_path=project.relpath(audio),
            model_audio_path=project.relpath(audio),
            peaks_path=project.relpath(peaks),
            sha256=hashlib.sha256(f"synthetic {seconds}".encode()).hexdigest(),
            duration_ms=seconds * 1000,
            sample_rate=RATE,
            channels=1,
            frames=seconds * RATE,
            format="FLAC",
        )
        s.add(rec)
        s.flush()
        rec_id = rec.id
    period = SOUND_S + PAUSE_S
    n = int(seconds / period)
    make = segment or (lambda k, start, end: NewSegment(start, end, f"сөз {k}"))
    SegmentService(project).add_many(
        rec_id,
        [make(k, round(k * period * 1000), round((k * period + SOUND_S) * 1000)) for k in range(n)],
        status="auto",
    )
    project.close()
    mib = (audio.stat().st_size + peaks.stat().st_size) / 2**20
    print(
        f"built {path}: {seconds / 3600:.2f} h, {n} segments, {mib:.0f} MiB of audio + peaks "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    return path


class PaintClock:
    """Records when the waveform canvas last finished a paint."""

    def __init__(self, canvas_type: type) -> None:
        self.last = 0.0
        self.count = 0
        original = canvas_type.paintEvent
        clock = self

        def paint_event(widget, ev):  # type: ignore[no-untyped-def]
            original(widget, ev)
            clock.last = time.perf_counter()
            clock.count += 1

        canvas_type.paintEvent = paint_event


def wait_paint(app, clock: PaintClock, since: float, timeout_s: float = 10.0) -> float:
    """Process events until a paint finishes after ``since``; seconds taken."""
    deadline = since + timeout_s
    while clock.last <= since:
        app.processEvents()
        if time.perf_counter() > deadline:
            raise TimeoutError("the waveform did not repaint")
    return clock.last - since


def frames(app, clock: PaintClock, steps: list[Callable[[], None]]) -> list[float]:
    out = []
    for step in steps:
        t = time.perf_counter()
        step()
        out.append(wait_paint(app, clock, t))
    return out


def summary(name: str, times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return (
        f"{name:<22} n={len(ms):3d}  median {statistics.median(ms):6.1f} ms  "
        f"p95 {p95:6.1f} ms  max {ms[-1]:6.1f} ms"
    )


def measure(path: Path) -> None:
    # the window saves settings (recent projects): keep them out of the user's own
    os.environ["JAZBA_CONFIG_DIR"] = str(path.parent / "config")
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    from desktop_app.core.settings import Settings
    from desktop_app.gui import theme
    from desktop_app.gui.app import create_app
    from desktop_app.gui.main_window import MainWindow

    app = create_app([sys.argv[0]])
    assert isinstance(app, QApplication)
    theme.manager().apply("light")
    clock = PaintClock(pg.GraphicsLayoutWidget)
    window = MainWindow(Settings())
    window.resize(1600, 1000)
    window.show()
    for _ in range(20):
        app.processEvents()
    wave = window.waveform

    t0 = time.perf_counter()
    assert window.ops.open_project(path)
    opened = time.perf_counter() - t0
    first = wait_paint(app, clock, t0)
    assert wave.peaks is not None and window.segment_model.rowCount() > 0
    print(f"canvas {wave.canvas.width()}x{wave.canvas.height()} px, {wave.duration_s:.0f} s shown")
    print(
        f"open -> first paint     {first * 1000:7.1f} ms   (open_project returned at "
        f"{opened * 1000:.1f} ms; goal < 1000 ms)"
    )

    factor = (wave.duration_s / 2.0) ** (1 / 50)  # the whole recording -> 2 s in 50 steps
    zoom_in = [lambda: wave.zoom(factor, wave.duration_s / 2)] * 50
    zoom_out = [lambda: wave.zoom(1 / factor, wave.duration_s / 2)] * 50
    zoom = frames(app, clock, zoom_in + zoom_out)
    x0, x1 = wave.view_range()
    spans = {"scroll (60 s view)": 60.0, "scroll (10 min view)": 600.0}
    scrolls = {}
    for name, span in spans.items():
        start = wave.duration_s * 0.3
        if start + 6 * span > wave.duration_s:
            continue  # a short recording: no room for this view
        wave.set_view(start, start + span)
        wait_paint(app, clock, time.perf_counter() - 1e-9)
        offsets = [k * span / 10 for k in (*range(1, 51), *range(49, -1, -1))]
        steps = [(lambda a=start + d, w=span: wave.set_view(a, a + w)) for d in offsets]
        scrolls[name] = frames(app, clock, steps)
    print(summary("zoom (in 50, out 50)", zoom))
    print(f"{'':<22} x{factor:.3f} a step: {x1 - x0:.0f} s -> 2 s (raw samples) -> {x1 - x0:.0f} s")
    for name, times in scrolls.items():
        print(summary(name, times))
    window.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--keep", type=Path, help="build into (and reuse) this folder")
    args = parser.parse_args(argv)
    seconds = int(args.hours * 3600)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        measure(build_project(args.keep, seconds))
        return 0
    with tempfile.TemporaryDirectory(prefix="jazba-bench-") as tmp:
        measure(build_project(Path(tmp), seconds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
