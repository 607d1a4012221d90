"""Take ``screenshot-speakers.png``: the demo project after *Identify speakers…*
on a conversation of two voices, with the 'sounds like' suggestions under the
speakers list (the real GE2E model, built offline on first use).

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/make_speakers_screenshot.py
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.screens import (  # noqa: E402
    open_window,
    pump,
    screen_session,
)

OUT = ROOT / "docs"
SENTENCES = ROOT.parent / "shared" / "kk_sentences_dev.txt"


def dialogue(folder: Path) -> Path:
    """Two espeak-ng voices taking turns (the demo's own voices, so profiles match)."""
    lines = SENTENCES.read_text(encoding="utf-8").splitlines()[20:28]
    parts = []
    for i, line in enumerate(lines):
        voice = "kk+f2" if i % 2 == 0 else "kk+m3"
        part = folder / f"turn{i}.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(part), line], check=True)
        parts.append(str(part))
    out = folder / "dialogue.wav"
    subprocess.run(["sox", "-D", *parts, "-r", "16000", str(out), "pad", "0", "0.6"], check=True)
    return out


def prepare(folder: Path, tmp: Path) -> int:
    """The demo, whose checked recordings teach the voice profiles, plus a two-voice
    interview; returns the interview's recording id."""
    from desktop_app.core.demo import build_demo
    from desktop_app.core.jobs import JobState
    from desktop_app.core.services.recordings import RecordingMeta, RecordingService
    from desktop_app.core.services.segments import SegmentService
    from desktop_app.services.diarization import DiarizeRequest, diarize_recording

    project = build_demo(folder)
    try:
        service, segments = RecordingService(project), SegmentService(project)
        for rec in service.list():  # a linguist checked the demo: its speakers are people's
            segments.set_status([s.id for s in segments.list(rec.id)], "approved")
            diarize_recording(project, DiarizeRequest(rec.id, n_speakers=1), JobState())
        info = service.import_file(dialogue(tmp), RecordingMeta(title="Сұхбат (interview)"))
        return info.id
    finally:
        project.close()


def main() -> int:

    tmp, app = screen_session()  # noqa: RUF059 (the app stays alive for the whole run)
    folder = tmp / "Field trip 2026.jazba"
    interview = prepare(folder, tmp)
    window = open_window(folder)
    window.recordings.select(interview)
    pump(0.5)
    job = window.diarize_hook.identify(n_speakers=2, ask=False)
    done = threading.Event()
    job.ended.connect(done.set)
    while not done.is_set():
        pump(0.1)
    pump(1.0)
    print(job.status, job.message)
    window.grab().save(str(OUT / "screenshot-speakers.png"))
    window.ops.close_project(ask=False)
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
