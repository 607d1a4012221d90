"""Two processes importing recordings of the same name into one project.

The free-name check was per process: both could pick ``interview.wav`` and the
second rename overwrote the first recording's audio. Names are now reserved
with an exclusive create, which the file system makes atomic between processes.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from pathlib import Path

import pytest
import soundfile as sf

from desktop_app.core.audio import PeakPyramid

# Imports its sources one per round; each round starts when the test says "go",
# so that both processes import at the same moment.
_IMPORT_IN_ROUNDS = """
import json, os, sys, time
from pathlib import Path
from desktop_app.core.audio import import_audio
from desktop_app.core.jobs import JobState

dest, barrier, slow, sources = sys.argv[1], Path(sys.argv[2]), sys.argv[3] == "slow", sys.argv[4:]
if slow:  # widen any gap between choosing a name and renaming into it
    real_replace = os.replace
    def replace(src, dst):
        time.sleep(0.2)
        real_replace(src, dst)
    os.replace = replace
for round_, src in enumerate(sources):
    (barrier / f"ready-{round_}-{os.getpid()}").touch()
    while not (barrier / f"go-{round_}").exists():
        time.sleep(0.001)
    result = import_audio(src, dest, JobState())
    print(json.dumps({"source": src, "audio": str(result.original_path),
                      "model": str(result.model_audio_path), "peaks": str(result.peaks_path),
                      "sha256": result.sha256}), flush=True)
"""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _start_rounds(barrier: Path, rounds: int, children: list[subprocess.Popen]) -> None:
    for round_ in range(rounds):
        deadline = time.monotonic() + 120
        while len(list(barrier.glob(f"ready-{round_}-*"))) < len(children):
            if any(c.poll() is not None for c in children) or time.monotonic() > deadline:
                pytest.fail(f"a child stopped before round {round_}")
            time.sleep(0.005)
        (barrier / f"go-{round_}").touch()


@pytest.mark.parametrize(("speed", "rounds"), [("fast", 6), ("slow", 2)])
def test_two_processes_never_share_a_name(audio, dest, tmp_path, python_child, speed, rounds):
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    # Same name, different audio: the lengths tell each recording's files apart.
    seconds = {"a": 0.50, "b": 0.75}
    sources: dict[str, list[Path]] = {who: [] for who in seconds}
    for who, length in seconds.items():
        for i in range(rounds):
            (audio.root / f"{who}{i}").mkdir()
            name = f"{who}{i}/interview.wav"
            sources[who].append(audio.tone(name, seconds=length + i / 100, freq=300 + 50 * i))

    children = [
        python_child.start(
            _IMPORT_IN_ROUNDS,
            dest,
            barrier,
            speed,
            *paths,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for paths in sources.values()
    ]
    try:
        _start_rounds(barrier, rounds, children)
    finally:
        outputs = [c.communicate(timeout=120) for c in children]
    for child, (_out, err) in zip(children, outputs, strict=True):
        assert child.returncode == 0, err

    results = [json.loads(line) for out, _err in outputs for line in out.splitlines()]
    assert len(results) == 2 * rounds
    assert len({r["audio"] for r in results}) == 2 * rounds, "two recordings share a file"
    for r in results:
        source, copy = Path(r["source"]), Path(r["audio"])
        assert _sha256(copy) == _sha256(source) == r["sha256"], f"{copy.name} was overwritten"
        model_frames = round(sf.info(source).duration * 16_000)
        assert sf.info(r["model"]).frames == model_frames
        assert PeakPyramid.load(r["peaks"]).n_samples == model_frames
    names = sorted(p.name for p in (dest / "audio").iterdir())
    assert names == sorted(Path(r["audio"]).name for r in results)  # no reservation left over
    assert sorted(p.name for p in (dest / "cache").iterdir() if p.name.startswith(".")) == []
