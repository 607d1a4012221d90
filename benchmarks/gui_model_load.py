"""Model loading in one app session: two transcriptions in a row through the GUI.

Opens the main window on a fresh demo project with the installed model,
transcribes the same recording twice, and prints per job: the time from
pressing Transcribe to the first segment, how long the Jobs row said
"Loading…", and how many engines (ONNX session sets) were built so far. With
``--wait S`` the user waits S seconds after the project opened before the
first Transcribe (the app pre-loads the model meanwhile).

    JAZBA_DATA_DIR=DIR_WITH_models JAZBA_CONFIG_DIR=/tmp/cfg QT_QPA_PLATFORM=offscreen \\
        .venv/bin/python benchmarks/gui_model_load.py [--wait 0] [--recording 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wait", type=float, default=0.0, help="seconds before the first job")
    parser.add_argument("--recording", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    if "JAZBA_DATA_DIR" not in os.environ or "JAZBA_CONFIG_DIR" not in os.environ:
        print("Set JAZBA_DATA_DIR (with a models/ folder) and JAZBA_CONFIG_DIR.", file=sys.stderr)
        return 2

    from PySide6.QtCore import QEventLoop

    from desktop_app.core.demo import build_demo
    from desktop_app.core.settings import Settings
    from desktop_app.gui.app import create_app, create_window
    from desktop_app.services import transcription

    built: list[float] = []
    real = transcription.WhisperOnnx

    def counting(*a, **k):
        t0 = time.perf_counter()
        engine = real(*a, **k)
        built.append(time.perf_counter() - t0)
        return engine

    transcription.WhisperOnnx = counting  # type: ignore[assignment,misc]
    app = create_app()

    def pump(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 10)

    folder = Path(tempfile.mkdtemp()) / "demo.jazba"
    build_demo(folder).close()
    t_open = time.perf_counter()
    window = create_window(folder, Settings(), lambda rate: None)
    window.show()
    print(f"status bar after opening: {window.statusBar().currentMessage()!r}")
    pump(args.wait)
    window.recordings.select(args.recording)
    for n in range(1, args.jobs + 1):
        t0 = time.perf_counter()
        job = window.ops.transcribe_current()
        first: list[float] = []
        job.relay.segment.connect(lambda _s, f=first, t=t0: f or f.append(time.perf_counter() - t))
        loading_s, last = 0.0, time.perf_counter()
        seen: list[str] = []
        while not job.status.finished:
            pump(0.01)
            now = time.perf_counter()
            if job.message.startswith("Loading"):
                loading_s += now - last
            if not seen or seen[-1] != job.message:
                seen.append(job.message)
            last = now
        ttfs = f"{first[0]:.2f} s" if first else "none"
        print(
            f"job {n}: {job.status.value}; first segment after {ttfs}; total "
            f"{time.perf_counter() - t0:.2f} s; Jobs row said 'Loading…' for {loading_s:.2f} s; "
            f"engines built so far: {len(built)} ({', '.join(f'{b:.2f} s' for b in built)})"
        )
        print(f"       status texts: {seen}")
    print(f"session: {time.perf_counter() - t_open:.2f} s from opening the project")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
