"""Child process for the crash test: records the synthetic signal into a project
at real-time pace until it is killed.

stdout: ``STARTED <wav path>``, then ``P <frames produced> <monotonic time>``
lines (the parent compares them with the moment it sent SIGKILL), and
``MARK <frame>`` after the marker.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from desktop_app.core.capture import SessionMeta, SyntheticSource, start_recording
from desktop_app.core.project import Project

_OUT = threading.Lock()


def say(line: str) -> None:
    """One whole line per write (two threads print)."""
    with _OUT:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def main() -> None:
    folder, rate, channels, speaker_id = Path(sys.argv[1]), *map(int, sys.argv[2:5])
    project = Project.open(folder)
    source = SyntheticSource(rate, channels, block_frames=rate // 50, speed=1.0)
    last = [0.0]

    def produced(frames: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.02:
            last[0] = now
            say(f"P {frames} {now:.6f}")

    source.on_block = produced
    meta = SessionMeta(place="Қарағанды", consent="oral, on tape", speaker_ids=(speaker_id,))
    recorder = start_recording(project, source, meta)
    say(f"STARTED {recorder.wav_path}")
    time.sleep(0.5)
    say(f"MARK {recorder.add_marker('before the crash').frame}")
    time.sleep(600)  # until killed


if __name__ == "__main__":
    main()
