"""RTTM export and import: speaker turns round-trip, and other tools read our files."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app.core.errors import InteropError
from desktop_app.core.interop.exporter import ExportOptions, export_project
from desktop_app.core.interop.importer import import_file
from desktop_app.core.project import Project
from desktop_app.core.services.segments import NewSegment, SegmentService
from desktop_app.core.services.speakers import SpeakerService
from tests.core.conftest import add_fake_recording


def _turns(project: Project, rec: int) -> list[tuple[int, int, str | None]]:
    names = {s.id: s.name for s in SpeakerService(project).list()}
    return [
        (s.start_ms, s.end_ms, names.get(s.speaker_id))
        for s in SegmentService(project).list(rec)
        if s.speaker_id is not None
    ]


def test_round_trip(project: Project, tmp_path: Path) -> None:
    rec = add_fake_recording(project, "интервью 1")
    sp = SpeakerService(project)
    a, b = sp.create("Айгүл").id, sp.create("Speaker 2").id
    SegmentService(project).add_many(
        rec,
        [
            NewSegment(0, 1500, "сәлем", a),
            NewSegment(1500, 4250, "иә", b),
            NewSegment(5000, 6001, "жоқ", a),
            NewSegment(7000, 8000, "no speaker"),
        ],
    )
    export_project(project, tmp_path / "out", ExportOptions("rttm"))
    [file] = list((tmp_path / "out").glob("*.rttm"))
    lines = file.read_text("utf-8").splitlines()
    assert lines[1] == "SPEAKER интервью_1 1 1.500 2.750 <NA> <NA> Speaker_2 <NA> <NA>"
    assert len(lines) == 3

    other = Project.create(tmp_path / "other")
    try:
        rec2 = add_fake_recording(other, "интервью 1")
        result = import_file(other, file)
        assert not result.warnings
        assert _turns(other, rec2) == _turns(project, rec)
    finally:
        other.close()

    database = pytest.importorskip("pyannote.database.util")
    loaded = database.load_rttm(file)["интервью_1"]
    assert sorted(loaded.labels()) == ["Speaker_2", "Айгүл"]
    assert abs(loaded.label_duration("Айгүл") - 2.501) < 1e-6


def test_bad_lines_are_reported(project: Project, tmp_path: Path) -> None:
    add_fake_recording(project, "x")
    bad = tmp_path / "x.rttm"
    bad.write_text(";; comment\nSPEAKER x 1 abc 1 <NA> <NA> s <NA> <NA>\n", "utf-8")
    with pytest.raises(InteropError, match="line 2"):
        import_file(project, bad)
    bad.write_text("SPKR-INFO x 1 <NA> <NA> <NA> unknown s <NA> <NA>\n", "utf-8")
    with pytest.raises(InteropError, match="no RTTM SPEAKER lines"):
        import_file(project, bad)


def test_rttm_labels_existing_segments(project: Project, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from desktop_app.cli.main import app

    rec = add_fake_recording(project, "x")
    SegmentService(project).add_many(rec, [NewSegment(0, 2000, "a"), NewSegment(2000, 4000, "b")])
    ops = SegmentService(project).last_undoable()
    path = project.path
    project.close()
    rttm = tmp_path / "x.rttm"
    rttm.write_text(
        "SPEAKER x 1 0.00 1.90 <NA> <NA> Айгүл <NA> <NA>\n"
        "SPEAKER x 1 2.05 1.95 <NA> <NA> Болат <NA> <NA>\n",
        "utf-8",
    )
    res = CliRunner().invoke(app, ["speakers", "apply-rttm", str(path), str(rttm), "-r", str(rec)])
    assert res.exit_code == 0, res.output
    assert "2 labelled" in res.output
    with Project.open(path) as p:
        assert _turns(p, rec) == [(0, 2000, "Айгүл"), (2000, 4000, "Болат")]
        assert SegmentService(p).last_undoable() != ops


def test_turns_without_text_are_exported(project: Project, tmp_path: Path) -> None:
    """Diarization on a recording without transcripts makes empty segments: RTTM keeps them."""
    rec = add_fake_recording(project, "bare")
    spk = SpeakerService(project).create("Speaker 1").id
    SegmentService(project).add_many(rec, [NewSegment(0, 1000, "", spk)])
    export_project(project, tmp_path / "out", ExportOptions("rttm"))
    [file] = list((tmp_path / "out").glob("*.rttm"))
    assert file.read_text("utf-8").split()[7] == "Speaker_1"
