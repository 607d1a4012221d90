"""``export --overwrite`` replaces only what an earlier Jazba export wrote."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from desktop_app.cli.main import app
from desktop_app.core.errors import InteropError
from desktop_app.core.interop.export_manifest import MANIFEST_NAME, read_manifest
from desktop_app.core.interop.exporter import ExportOptions, export_project
from desktop_app.core.services.recordings import RecordingMeta, RecordingService
from tests.interop.conftest import Annotated


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_users_file_inside_an_export_folder_survives_overwrite(
    annotated: Annotated, tmp_path: Path
) -> None:
    out = tmp_path / "dataset"
    project = str(annotated.project.path)
    args = ["export", project, str(out), "-f", "jsonl", "--audio", "clips", "-q"]
    assert CliRunner().invoke(app, args).exit_code == 0
    clips = sorted((out / "clips").iterdir())
    assert clips
    (out / "clips" / "my notes.txt").write_text("which clips to redo", encoding="utf-8")
    (out / "README-mine.md").write_text("my dataset", encoding="utf-8")
    res = CliRunner().invoke(app, [*args, "--overwrite"])
    assert res.exit_code == 0, res.output
    assert (out / "clips" / "my notes.txt").read_text(encoding="utf-8") == "which clips to redo"
    assert (out / "README-mine.md").read_text(encoding="utf-8") == "my dataset"
    assert sorted((out / "clips").iterdir()) == sorted([*clips, out / "clips" / "my notes.txt"])


def test_the_manifest_lists_what_the_export_wrote(annotated: Annotated, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = export_project(annotated.project, out, ExportOptions("eaf", audio="recordings"))
    listed = read_manifest(out)
    assert sorted(listed) == sorted(p.relative_to(out).as_posix() for p in result.files)
    assert {e.format for e in listed.values()} == {"eaf"}
    assert json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))["version"] == 1


def test_a_users_file_in_the_way_is_refused_even_with_overwrite(
    annotated: Annotated, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "segments.csv").write_text("my own table", encoding="utf-8")
    before = _tree(out)
    with pytest.raises(InteropError, match="files Jazba did not write") as err:
        export_project(annotated.project, out, ExportOptions("csv", overwrite=True))
    assert "segments.csv" in str(err.value)
    assert _tree(out) == before  # nothing written, nothing removed


def test_an_export_file_the_user_changed_is_not_replaced(
    annotated: Annotated, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    export_project(annotated.project, out, ExportOptions("srt"))
    edited = sorted(out.glob("*.srt"))[0]
    edited.write_text(edited.read_text(encoding="utf-8") + "\n99\nmy fix\n", encoding="utf-8")
    before = _tree(out)
    with pytest.raises(InteropError, match="changed since Jazba wrote them"):
        export_project(annotated.project, out, ExportOptions("srt", overwrite=True))
    assert _tree(out) == before


def test_overwrite_replaces_the_previous_export_of_that_format_only(
    annotated: Annotated, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    project = annotated.project
    export_project(project, out, ExportOptions("srt"))
    export_project(project, out, ExportOptions("textgrid"))
    old_srt = {p.name for p in out.glob("*.srt")}
    RecordingService(project).update(annotated.rec_ids[0], RecordingMeta(title="renamed"))
    export_project(project, out, ExportOptions("srt", overwrite=True))
    assert old_srt == {"interview_a.srt", "interview_b.srt"}
    # the file under the old title is gone: it was the previous export's own
    assert {p.name for p in out.glob("*.srt")} == {"renamed.srt", "interview_b.srt"}
    assert len(list(out.glob("*.TextGrid"))) == 2  # the other format's export stays
    assert set(read_manifest(out)) == {p.name for p in out.iterdir() if p.name != MANIFEST_NAME}
