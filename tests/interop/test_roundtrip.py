"""Export → import into a fresh project → export again loses nothing.

Text, times (ms), speakers, tiers and languages survive every format that
has room for them; review status survives ELAN, CSV/TSV and JSONL.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from desktop_app.core.interop.exporter import ExportOptions, export_project
from desktop_app.core.interop.importer import import_file
from desktop_app.core.interop.model import TIER_KINDS
from desktop_app.core.interop.select import ExportFilter
from desktop_app.core.project import Project
from desktop_app.core.store.schema import Operation, Revision
from tests.interop.conftest import Annotated, canonical

FULL = ("text", "speaker", "tier", "language")
CASES = {
    # format: (fields compared, filter)
    "eaf": (("text", "speaker", "tier", "kind", "language", "status"), ExportFilter()),
    "textgrid": (FULL, ExportFilter()),
    "vtt": (FULL, ExportFilter(tiers=frozenset({"transcription"}))),
    "srt": (("text", "speaker", "tier"), ExportFilter(tiers=frozenset({"transcription"}))),
    "csv": (("text", "speaker", "tier", "kind", "language", "status"), ExportFilter()),
    "tsv": (("text", "speaker", "tier", "kind", "language", "status"), ExportFilter()),
    # a dataset format: every status and tier only when asked
    "jsonl": (
        ("text", "speaker", "tier", "kind", "language", "status"),
        ExportFilter(include_drafts=True, kinds=frozenset(TIER_KINDS)),
    ),
}


def _import_all(project: Project, folder: Path, suffix: str) -> list:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == suffix.lower())
    assert files, f"no {suffix} files in {folder}"
    return [import_file(project, f) for f in files]


@pytest.mark.parametrize("fmt", list(CASES))
def test_round_trip_is_lossless(
    fmt: str, annotated: Annotated, make_fresh: Callable, tmp_path: Path
) -> None:
    fields, flt = CASES[fmt]
    suffix = {"textgrid": ".TextGrid"}.get(fmt, f".{fmt}")
    first = export_project(annotated.project, tmp_path / "first", ExportOptions(fmt, filter=flt))
    assert first.segments > 0

    fresh = make_fresh(annotated.audio)
    results = _import_all(fresh, tmp_path / "first", suffix)
    assert all(not r.warnings for r in results), [r.warnings for r in results]

    original = [r for r in canonical(annotated.project, fields) if _selected(r, flt, fields)]
    assert canonical(fresh, fields) == original

    second = export_project(fresh, tmp_path / "second", ExportOptions(fmt, filter=flt))
    assert second.segments == first.segments
    again = make_fresh(annotated.audio)
    _import_all(again, tmp_path / "second", suffix)
    assert canonical(again, fields) == original


def _selected(row: tuple, flt: ExportFilter, fields: tuple[str, ...]) -> bool:
    return not flt.tiers or row[3 + fields.index("tier")] in flt.tiers


def test_table_files_are_identical_after_a_round_trip(
    annotated: Annotated, make_fresh: Callable, tmp_path: Path
) -> None:
    export_project(annotated.project, tmp_path / "a", ExportOptions("tsv"))
    fresh = make_fresh(annotated.audio)
    import_file(fresh, tmp_path / "a" / "segments.tsv")
    export_project(fresh, tmp_path / "b", ExportOptions("tsv"))

    def stable(path: Path) -> list[list[str]]:  # ids and audio paths differ by project
        rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()]
        head = rows[0]
        drop = {head.index(c) for c in ("utt_id", "recording_id", "audio_filepath")}
        return sorted([v for i, v in enumerate(r) if i not in drop] for r in rows[1:])

    assert stable(tmp_path / "a" / "segments.tsv") == stable(tmp_path / "b" / "segments.tsv")


def test_imported_segments_carry_import_revisions(
    annotated: Annotated, make_fresh: Callable, tmp_path: Path
) -> None:
    export_project(annotated.project, tmp_path / "out", ExportOptions("eaf"))
    fresh = make_fresh(annotated.audio)
    path = next((tmp_path / "out").glob("interview_a*.eaf"))
    result = import_file(fresh, path)
    with fresh.unit() as s:
        op = s.get(Operation, result.operation_id)
        assert op is not None
        assert (op.source, op.source_detail, op.kind) == ("import", path.name, "import")
        revs = s.query(Revision).filter(Revision.operation_id == op.id).all()
    assert len(revs) == result.segments == 6
    assert all(r.before is None and r.after is not None for r in revs)


def test_import_is_one_undo_step(
    annotated: Annotated, make_fresh: Callable, tmp_path: Path
) -> None:
    from desktop_app.core.services.segments import SegmentService

    export_project(annotated.project, tmp_path / "out", ExportOptions("textgrid"))
    fresh = make_fresh(annotated.audio)
    result = import_file(fresh, next((tmp_path / "out").glob("interview_a*.TextGrid")))
    segs = SegmentService(fresh)
    assert len(segs.list(result.recording_id)) == result.segments == 6
    segs.undo(result.operation_id)
    assert canonical(fresh) == []


def test_reimport_with_replace_does_not_duplicate(
    annotated: Annotated, make_fresh: Callable, tmp_path: Path
) -> None:
    from desktop_app.core.interop.importer import ImportOptions

    export_project(annotated.project, tmp_path / "out", ExportOptions("vtt"))
    fresh = make_fresh(annotated.audio)
    vtt = next((tmp_path / "out").glob("interview_a*.vtt"))
    import_file(fresh, vtt)
    before = canonical(fresh)
    again = import_file(fresh, vtt, options=ImportOptions(replace=True))
    assert again.replaced == again.segments
    assert canonical(fresh) == before
