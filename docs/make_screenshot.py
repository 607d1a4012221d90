"""Take ``docs/screenshot-main.png``: the main window on the demo project.

The demo is built in a temporary folder and transcribed through the GUI's own
transcription job with the installed default model (``jazba models
install-default``), so what the picture shows is real model output: the
transcript's underlined, tinted words are those whose model probability is
below the review threshold, and the word under the playhead is shaded.
``JAZBA_DATA_DIR`` must hold the model: run ``jazba models install-default``
with it set, or copy ``~/.local/share/jazba/models`` to ``$JAZBA_DATA_DIR/models``.

    Xvfb :99 -screen 0 1600x1000x24 &
    JAZBA_DATA_DIR=/tmp/jz JAZBA_CONFIG_DIR=/tmp/jz/config DISPLAY=:99 \\
        .venv/bin/python docs/make_screenshot.py [--out PATH] [--dark-out PATH]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot-main.png")
    parser.add_argument(
        "--dark-out",
        type=Path,
        default=ROOT / "docs" / "screenshot-dark.png",
        help="the same view in the dark theme",
    )
    parser.add_argument("--recording", type=int, default=2, help="recording id to show")
    args = parser.parse_args()
    if "JAZBA_DATA_DIR" not in os.environ or "JAZBA_CONFIG_DIR" not in os.environ:
        print("Set JAZBA_DATA_DIR and JAZBA_CONFIG_DIR (never the real user's).", file=sys.stderr)
        return 2

    from PySide6.QtCore import QEventLoop

    from desktop_app.core.demo import build_demo
    from desktop_app.core.settings import Settings
    from desktop_app.gui.app import create_app, create_window

    def pump(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)

    def no_sound(rate: int):
        from desktop_app.gui.review.playback import PlaybackError

        raise PlaybackError("no sound while taking screenshots")

    app = create_app()
    folder = Path(tempfile.mkdtemp()) / "Jazba demo.jazba"
    build_demo(folder).close()
    window = create_window(folder, Settings(theme="light", auto_advance=False), no_sound)
    window.resize(1440, 900)
    window.show()
    pump(0.5)
    for row in range(window.recordings.model.rowCount()):
        window.recordings.select(window.recordings.model.recording(row).id)
        job = window.ops.transcribe_current()
        if job is None:
            return 1
        while not job.status.finished:
            pump(0.1)
        if job.error:
            print(f"transcription failed: {job.error}", file=sys.stderr)
            return 1
    # a reviewer corrected and approved the first segment of the first clip
    window.recordings.select(1)
    pump(0.3)
    session, first = window.session, window.segment_model.segment(0)
    reference = next(t.id for t in session.tier_list() if t.name == "reference")
    ref_text = " ".join(
        s.text for s in session.segments.list(1, reference) if s.start_ms < first.end_ms
    )
    window.editor.edit_text(first.id, ref_text)
    window.editor.set_status([first.id], "approved")
    window.recordings.select(args.recording)
    pump(0.3)
    model = window.segment_model
    row = max(0, model.next_low_row(-1))
    window.transcript.select_row(row)
    seg = model.segment(row)
    if seg is not None:
        window.review.seek((seg.start_ms + seg.end_ms) // 2)
    window.actions["spectrogram"].setChecked(True)
    window.search.query.setText("ауа")
    window.search.run_search()
    window.statusBar().showMessage("Transcribed with the default model (Whisper base)")
    pump(1.0)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(args.out))
    print(f"saved {args.out}")
    window.set_theme("dark")
    pump(1.0)
    window.grab().save(str(args.dark_out))
    print(f"saved {args.dark_out}")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
