"""A project on a read-only medium opens read-only: info, search, export and the
audio work; edits are refused with a clear message; nothing in it is written.

Root may write anywhere, so two ways are used: in-process, the writability probe
(``project_open.writable``) is told what a read-only medium answers, on top of
a real ``chmod``; and end to end, the CLI runs as an unprivileged user (when
the tests run as root) on a ``chmod``-ed folder, where the file system itself
refuses writes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from desktop_app.cli.main import app
from desktop_app.core import project_open
from desktop_app.core.errors import ProjectReadOnlyError
from desktop_app.core.project import Project
from desktop_app.core.services.recordings import RecordingService
from desktop_app.core.services.search import SearchService
from desktop_app.core.services.segments import NewSegment, SegmentService
from tests.core.test_recordings import make_wav

ROOT = Path(__file__).resolve().parents[2]


def build(parent: Path) -> Path:
    with Project.create(parent / "field") as project:
        wav = make_wav(parent / "aul.wav", seconds=3.0)
        rid = RecordingService(project).import_file(wav).id
        SegmentService(project).add(rid, NewSegment(0, 1500, "сәлеметсіз бе"))
        SegmentService(project).add(rid, NewSegment(1500, 2900, "бүгін ауа райы жақсы"))
    return parent / "field.jazba"


def freeze(folder: Path) -> None:
    """``chmod a-w`` the whole project, as a CD or a locked share would be."""
    for p in [*folder.rglob("*"), folder]:
        mode = p.stat().st_mode
        p.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def thaw(folder: Path) -> None:
    for p in [folder, *folder.rglob("*")]:
        p.chmod(p.stat().st_mode | stat.S_IWUSR)


def digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def medium(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A project on a read-only medium (for root too: the probe answers as EROFS would)."""
    folder = build(tmp_path)
    freeze(folder)
    inside = {folder, *folder.rglob("*")}
    real = project_open.writable
    monkeypatch.setattr(project_open, "writable", lambda p: p not in inside and real(p))
    yield folder
    thaw(folder)


def test_reads_work_and_edits_are_refused(medium: Path) -> None:
    before = digest(medium)
    with Project.open(medium) as project:
        assert project.read_only
        assert project.open_report.read_only_reason == project_open.READ_ONLY_MEDIUM
        [rec] = RecordingService(project).list()
        assert RecordingService(project).audio_file(rec.id).is_file()  # playback reads it
        assert [h.start_ms for h in SearchService(project).search("ауа")] == [1500]
        with pytest.raises(ProjectReadOnlyError, match="read-only medium") as err:
            SegmentService(project).edit_text(1, "сәлем")
        assert "save a copy to a writable folder" in str(err.value)
    assert digest(medium) == before  # not one byte written, no -wal or -shm left


def test_cli_info_search_export_on_a_read_only_medium(medium: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["project", "info", str(medium)])
    assert res.exit_code == 0, res.output
    assert "Note: This project is on a read-only medium" in res.output
    assert "1 recording(s)" in res.output
    res = runner.invoke(app, ["search", str(medium), "сәлеметсіз"])
    assert res.exit_code == 0 and "сәлеметсіз" in res.output
    out = tmp_path / "out"
    res = runner.invoke(app, ["export", str(medium), str(out), "-f", "csv", "-q"])
    assert res.exit_code == 0, res.output
    assert "бүгін ауа райы жақсы" in (out / "segments.csv").read_text(encoding="utf-8")
    res = runner.invoke(app, ["import", str(medium), str(make_wav(tmp_path / "new.wav"))])
    assert res.exit_code == 1
    assert "changes cannot be saved" in res.output and "Traceback" not in res.output


def test_explicit_read_only_open_writes_nothing(tmp_path: Path) -> None:
    folder = build(tmp_path)
    before = digest(folder)
    with Project.open(folder, read_only=True) as project:
        assert project.open_report.read_only_reason == project_open.READ_ONLY_ASKED
        with pytest.raises(ProjectReadOnlyError):
            project.set_meta("k", "v")
    after = digest(folder)
    # SQLite's shared-memory index may appear beside it (the folder is writable)
    assert {k: v for k, v in after.items() if not k.endswith(("-shm", "-wal"))} == before


# -- end to end, where the file system itself refuses writes ------------------------
@pytest.fixture
def real_medium() -> Iterator[Path]:
    """A project the file system will not let us write: ``chmod``-ed (for a user
    other than root) or seen through a read-only bind mount (root, when allowed)."""
    base = Path(tempfile.mkdtemp(prefix="jazba-ro-"))
    folder = build(base / "src")
    if os.geteuid() != 0:
        freeze(folder)
        yield folder
        thaw(folder)
    else:
        view = base / "medium"
        view.mkdir()
        try:
            subprocess.run(["mount", "--bind", str(base / "src"), str(view)], check=True)
        except (OSError, subprocess.CalledProcessError):
            shutil.rmtree(base)
            pytest.skip("cannot make a read-only mount here")
        try:
            subprocess.run(["mount", "-o", "remount,bind,ro", str(view)], check=True)
            yield view / folder.name
        finally:
            subprocess.run(["umount", str(view)], check=False)
    shutil.rmtree(base)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions and mounts")
def test_cli_on_a_medium_the_file_system_refuses_to_write(
    real_medium: Path, tmp_path: Path
) -> None:
    with pytest.raises(OSError):
        (real_medium / "probe").write_bytes(b"")  # really read-only
    before = digest(real_medium)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def jazba(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "desktop_app", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    res = jazba("project", "info", str(real_medium))
    assert res.returncode == 0, res.stderr
    assert "read-only medium" in res.stderr and "1 recording(s)" in res.stdout
    res = jazba("search", str(real_medium), "ауа")
    assert res.returncode == 0 and "ауа" in res.stdout, res.stderr
    out = tmp_path / "out"
    res = jazba("export", str(real_medium), str(out), "-f", "eaf", "--audio", "recordings", "-q")
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in out.iterdir()) == [".jazba-export.json", "aul.eaf", "aul.wav"]
    res = jazba("import", str(real_medium), str(make_wav(tmp_path / "new.wav")))
    assert res.returncode == 1 and "changes cannot be saved" in res.stderr
    assert "Traceback" not in res.stderr
    assert digest(real_medium) == before
