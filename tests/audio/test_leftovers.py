"""A killed import leaves hidden partial files; the next open finds and removes them.

Only Jazba's own partial names in the project's ``audio/`` and ``cache/`` are
touched, and never those of an import still running in another process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from desktop_app.core.audio import Leftover, clean_partial_files, import_audio
from desktop_app.core.audio.importer import COPY_SHARE
from desktop_app.core.jobs import JobState

pytestmark = pytest.mark.skipif(os.name == "nt", reason="kills with SIGKILL, locks with flock")

SOURCE_BYTES = 128 << 20
"""The source recording: 68 minutes of 16 kHz mono silence, sparse on disk."""

# Imports ``src`` into ``dest``, pausing once progress reaches ``at``: it writes
# ``flag`` and waits for ``go`` (or for a kill).
_PAUSING_IMPORT = """
import sys, time
from pathlib import Path
from desktop_app.core.audio import import_audio
from desktop_app.core.jobs import JobState

src, dest, at, flag, go = sys.argv[1], sys.argv[2], float(sys.argv[3]), *map(Path, sys.argv[4:6])

def report(fraction, status):
    if fraction >= at and not flag.exists():
        flag.write_text(status)
        while not go.exists():
            time.sleep(0.01)

result = import_audio(src, dest, JobState(on_progress=report, min_interval=0.0))
print(result.original_path.name)
"""

HALF_COPIED = COPY_SHARE / 2
HALF_DECODED = COPY_SHARE + (1 - COPY_SHARE) / 2


def _hidden(project: Path) -> dict[Path, int]:
    """Every hidden file in the project's audio and cache folders, with its size."""
    return {
        p: p.stat().st_size
        for sub in ("audio", "cache")
        if (project / sub).is_dir()
        for p in (project / sub).iterdir()
        if p.name.startswith(".")
    }


def _pause(python_child, src: Path, project: Path, at: float, tmp: Path) -> subprocess.Popen:
    flag, go = tmp / "paused", tmp / "go"
    child = python_child.start(
        _PAUSING_IMPORT, src, project, at, flag, go, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    while not flag.exists():
        if child.poll() is not None:
            pytest.fail(f"the import ended before pausing: {child.communicate()}")
        if time.monotonic() > deadline:
            child.kill()
            pytest.fail("the import never reached the pause")
        time.sleep(0.02)
    return child


@pytest.mark.parametrize(("at", "leftovers"), [(HALF_COPIED, 1), (HALF_DECODED, 2)])
def test_a_killed_import_leaves_partial_files_that_are_found_and_removed(
    audio, tmp_path, python_child, at, leftovers
) -> None:
    project = tmp_path / "project"
    kept = import_audio(audio.tone("kept.wav"), project, JobState())
    theirs = project / "audio" / ".notes.part.wav"  # not Jazba's naming: never touched
    theirs.write_text("a user's own hidden file")
    src = audio.sparse_wav("long.wav", SOURCE_BYTES)
    before = _hidden(project)

    child = _pause(python_child, src, project, at, tmp_path)
    os.kill(child.pid, signal.SIGKILL)
    child.communicate(timeout=30)

    left = {p: n for p, n in _hidden(project).items() if p not in before}
    parts = {p: n for p, n in left.items() if ".part" in p.name}
    assert len(parts) == leftovers, left
    copy = next(p for p in parts if p.parent.name == "audio")
    if at == HALF_COPIED:
        assert 0.4 < parts[copy] / src.stat().st_size < 0.6  # killed half-way through the copy
    else:
        assert parts[copy] == src.stat().st_size  # copied, killed while decoding

    removed = clean_partial_files(project)

    assert sorted(removed, key=lambda x: x.path) == sorted(
        (Leftover(p, n) for p, n in parts.items()), key=lambda x: x.path
    )
    assert _hidden(project) == before  # the lock file went too; the user's file stays
    assert theirs.read_text() == "a user's own hidden file"
    for path in (kept.original_path, kept.model_audio_path, kept.peaks_path):
        assert path.is_file()
    assert clean_partial_files(project) == []


def test_a_running_import_keeps_its_partial_files(audio, tmp_path, python_child) -> None:
    project = tmp_path / "project"
    src = audio.sparse_wav("long.wav", SOURCE_BYTES // 4)

    child = _pause(python_child, src, project, HALF_DECODED, tmp_path)
    try:
        working = _hidden(project)
        assert clean_partial_files(project) == []
        assert _hidden(project) == working
    finally:
        (tmp_path / "go").touch()
        out, err = child.communicate(timeout=120)

    assert child.returncode == 0, err
    assert (project / "audio" / out.strip()).stat().st_size == src.stat().st_size
    assert _hidden(project) == {}


def test_only_jazba_partial_files_in_its_own_folders_are_removed(tmp_path) -> None:
    project = tmp_path / "project"
    audio_dir, cache_dir = project / "audio", project / "cache"
    (audio_dir / "sub").mkdir(parents=True)
    cache_dir.mkdir()
    hex_id = "0123456789abcdef" * 2
    ours = [
        audio_dir / f".{hex_id}-1.part.wav",
        audio_dir / f".{hex_id}-4.part",  # a source without extension
        cache_dir / f".{hex_id}-2.part.flac",
        cache_dir / f".{'a' * 32}.part.peaks",  # the naming before import ids
    ]
    stale_lock = audio_dir / f".{'b' * 32}.lock"
    not_ours = [
        audio_dir / ".notes.part.wav",
        audio_dir / f"{hex_id}.part.wav",  # not hidden
        audio_dir / f".{hex_id[:-1]}.part.wav",  # 31 digits
        audio_dir / f".{hex_id.upper()}.part.wav",
        audio_dir / f".{hex_id}.partial.wav",
        audio_dir / "sub" / f".{hex_id}.part.wav",  # in a sub-folder
        project / f".{hex_id}.part.wav",  # in the project folder itself
        audio_dir / "interview.wav",
    ]
    for i, path in enumerate([*ours, stale_lock, *not_ours]):
        path.write_bytes(b"x" * i)
    outside = tmp_path / "elsewhere.wav"
    outside.write_bytes(b"not in the project")
    link = audio_dir / f".{'c' * 32}.part.wav"
    link.symlink_to(outside)

    removed = clean_partial_files(project)

    assert sorted(removed, key=lambda x: x.path) == sorted(
        (Leftover(p, i) for i, p in enumerate(ours)), key=lambda x: x.path
    )
    assert not any(p.exists() for p in [*ours, stale_lock])
    assert all(p.exists() for p in not_ours)
    assert link.is_symlink() and outside.read_bytes() == b"not in the project"


def test_a_project_without_audio_folders_has_no_leftovers(tmp_path) -> None:
    assert clean_partial_files(tmp_path / "nowhere") == []
    assert clean_partial_files(tmp_path) == []
