"""Export options: filters, speaker-disjoint splits, text normalisation, units,
progress and cancel, safe file names, no half-written output."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from desktop_app.core.errors import Cancelled, InteropError
from desktop_app.core.interop.exporter import STAGE_PREFIX, ExportOptions, export_project
from desktop_app.core.interop.naming import SafeNames, inside, safe_stem
from desktop_app.core.interop.select import ExportFilter
from desktop_app.core.interop.splits import SplitSpec
from desktop_app.core.interop.text import normalize_text
from desktop_app.core.jobs import JobState
from desktop_app.core.services.recordings import RecordingMeta, RecordingService
from tests.interop.conftest import HOSTILE, Annotated

DRAFTS = ExportFilter(include_drafts=True)


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (ExportFilter.approved_only(), {"Hello, my friend!", "екінші жазба"}),
        (ExportFilter(speakers=frozenset({"Bolat"})), {"Как дела?", "екінші жазба"}),
        (ExportFilter(tiers=frozenset({"translation"})), {"Hello, my friend!"}),
        (ExportFilter(languages=frozenset({"ru"})), {"Как дела?", "no speaker here"}),
        (ExportFilter(languages=frozenset({""})), {"overlapping speech"}),
        (ExportFilter(statuses=frozenset({"auto"})), {"no speaker here"}),
        (ExportFilter(recordings=frozenset({2})), {"екінші жазба", "no speaker here"}),
    ],
)
def test_filters(annotated: Annotated, tmp_path: Path, flt: ExportFilter, expected: set) -> None:
    """A CSV table without audio is an annotation table: every tier and status."""
    export_project(annotated.project, tmp_path, ExportOptions("csv", filter=flt))
    assert {r["text"] for r in _csv(tmp_path / "segments.csv")} == expected


def test_unknown_filter_values_are_errors(annotated: Annotated, tmp_path: Path) -> None:
    for flt, match in (
        (ExportFilter(speakers=frozenset({"Nobody"})), "no speaker named 'Nobody'"),
        (ExportFilter(statuses=frozenset({"done"})), "Unknown status done"),
        (ExportFilter(recordings=frozenset({99})), "no recording #99"),
        (ExportFilter(languages=frozenset({"fr"})), "Nothing to export"),
    ):
        with pytest.raises(InteropError, match=match):
            export_project(annotated.project, tmp_path / "x", ExportOptions("csv", filter=flt))
        assert not (tmp_path / "x").exists()


def test_splits_are_speaker_disjoint_and_repeatable(annotated: Annotated, tmp_path: Path) -> None:
    opts = ExportOptions("jsonl", DRAFTS, splits=SplitSpec(0.5, 0.25, 0.25, seed=3))
    result = export_project(annotated.project, tmp_path / "a", opts)
    voices = {}
    for split in ("train", "dev", "test"):
        rows = _jsonl(tmp_path / "a" / f"{split}.jsonl")
        assert all(r["split"] == split for r in rows)
        voices[split] = {r["speaker"] or f"rec{r['recording_id']}" for r in rows}
    assert sum(result.split_counts.values()) == 7  # not the translation tier
    assert all(voices[split] for split in voices), voices
    assert voices["train"].isdisjoint(voices["dev"] | voices["test"])
    assert voices["dev"].isdisjoint(voices["test"])
    export_project(annotated.project, tmp_path / "b", opts)
    for split in ("train", "dev", "test"):
        a = (tmp_path / "a" / f"{split}.jsonl").read_text()
        assert a == (tmp_path / "b" / f"{split}.jsonl").read_text()


def test_too_few_speakers_for_three_splits_warns(annotated: Annotated, tmp_path: Path) -> None:
    flt = ExportFilter(speakers=frozenset({"Bolat", "Айгерім"}))
    result = export_project(
        annotated.project, tmp_path, ExportOptions("csv", filter=flt, splits=SplitSpec())
    )
    assert any("too few speakers" in w for w in result.warnings)


def test_normalised_text_and_units(annotated: Annotated, tmp_path: Path) -> None:
    units = {}

    def provider(segment_id: int) -> list[int] | None:
        units[segment_id] = [segment_id, 7, 7, 3]
        return units[segment_id] if segment_id % 2 else None

    export_project(
        annotated.project, tmp_path, ExportOptions("jsonl", DRAFTS, normalize=True), units=provider
    )
    rows = _jsonl(tmp_path / "manifest.jsonl")
    first = next(r for r in rows if r["text_raw"] == "Сәлем, досым!")
    assert first["text"] == first["text_normalized"] == "сәлем досым"
    with_units = [r for r in rows if "units" in r]
    assert with_units and all(r["units"][1:] == [7, 7, 3] for r in with_units)


def test_normalize_text() -> None:
    assert normalize_text("  Сәлем, ДОСЫМ!  [laughs] Как   дела? ") == "сәлем досым как дела"
    assert normalize_text("don’t «stop» — 2024 {noise}") == "don't stop 2024"
    assert normalize_text("Qazaqstan’a ' quote") == "qazaqstan'a quote"


def test_hostile_names_never_escape_the_folder(annotated: Annotated, tmp_path: Path) -> None:
    RecordingService(annotated.project).update(
        annotated.rec_ids[1], RecordingMeta(title="../../../../tmp/evil")
    )
    out = tmp_path / "out"
    for fmt in ("eaf", "textgrid", "srt", "vtt"):
        export_project(annotated.project, out / fmt, ExportOptions(fmt, audio="recordings"))
    export_project(annotated.project, out / "kaldi", ExportOptions("kaldi", audio="clips"))
    export_project(annotated.project, out / "hf", ExportOptions("jsonl", audio="recordings"))
    written = [p.resolve() for p in out.rglob("*")]
    assert written and all(out.resolve() in p.parents for p in written)
    assert not (tmp_path / "evil.eaf").exists() and not Path("/tmp/evil.eaf").exists()
    assert any(p.name.endswith("tmp_evil.eaf") for p in written)


def test_safe_names() -> None:
    root = Path("/x/export")
    names = SafeNames(root)
    for bad in ("..", "../..", "/etc/passwd", "C:\\Windows", "CON", "a" * 400, "", " . "):
        path = names.path(bad, suffix=".eaf")
        assert path.parent == root
        assert len(path.name.encode()) <= 160
    assert names.path("Айгерім", suffix=".eaf").name == "Айгерім.eaf"
    assert names.path("айгерім", suffix=".eaf").name == "айгерім-2.eaf"  # case-insensitive disks
    assert safe_stem(HOSTILE) == "__etc" or "/" not in safe_stem(HOSTILE)
    with pytest.raises(InteropError, match="outside"):
        inside(root, Path("../x"))


def test_existing_files_need_overwrite(annotated: Annotated, tmp_path: Path) -> None:
    out = tmp_path / "out"
    export_project(annotated.project, out, ExportOptions("srt"))
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(InteropError, match="already has"):
        export_project(annotated.project, out, ExportOptions("srt"))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    export_project(annotated.project, out, ExportOptions("srt", overwrite=True))
    assert sorted(p.name for p in out.iterdir()) == sorted(before)


def test_progress_and_cancel_leave_nothing(annotated: Annotated, tmp_path: Path) -> None:
    seen: list[float] = []
    state = JobState(on_progress=lambda f, _s: seen.append(f), min_interval=0)
    opts = ExportOptions("kaldi", DRAFTS, audio="clips")
    export_project(annotated.project, tmp_path / "ok", opts, state)
    assert seen[-1] == 1.0 and seen == sorted(seen) and len(seen) > 3

    out = tmp_path / "cancelled"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    calls = []

    def cancel_midway(fraction: float, _status: str) -> None:
        calls.append(fraction)
        if len(calls) == 3:
            state.cancel()

    state = JobState(on_progress=cancel_midway, min_interval=0)
    with pytest.raises(Cancelled):
        export_project(annotated.project, out, ExportOptions("jsonl", DRAFTS, audio="clips"), state)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert not any(p.name.startswith(STAGE_PREFIX) for p in out.iterdir())


def test_option_mistakes_are_clear(annotated: Annotated, tmp_path: Path) -> None:
    cases = [
        (ExportOptions("docx"), "Unknown export format"),
        (ExportOptions("eaf", audio="clips"), "not per-segment clips"),
        (ExportOptions("textgrid", splits=SplitSpec()), "apply to dataset formats"),
        (ExportOptions("csv", audio="mp3"), "Unknown audio choice"),
        (ExportOptions("csv", splits=SplitSpec(0, 0, 0)), "not all zero"),
    ]
    for opts, match in cases:
        with pytest.raises(InteropError, match=match):
            export_project(annotated.project, tmp_path / "x", opts)
    with pytest.raises(InteropError, match="outside the project"):
        export_project(annotated.project, annotated.project.path / "exp", ExportOptions("csv"))


def test_training_sets_hold_only_transcriptions(annotated: Annotated, tmp_path: Path) -> None:
    """A dataset is training data: a translation tier's text would be a wrong
    transcript of the same audio (a CSV table without audio keeps every tier)."""
    opts = ExportOptions("kaldi", DRAFTS, audio="recordings")
    export_project(annotated.project, tmp_path / "k", opts)
    text = (tmp_path / "k" / "text").read_text(encoding="utf-8")
    assert "Сәлем, досым!" in text and "Hello, my friend!" not in text
    named = ExportOptions(
        "kaldi", ExportFilter(tiers=frozenset({"translation"})), audio="recordings"
    )
    export_project(annotated.project, tmp_path / "t", named)
    assert (tmp_path / "t" / "text").read_text(encoding="utf-8").count("\n") == 1
    export_project(annotated.project, tmp_path / "j", ExportOptions("jsonl", DRAFTS))
    assert "Hello" not in (tmp_path / "j" / "manifest.jsonl").read_text(encoding="utf-8")
    export_project(annotated.project, tmp_path / "c", ExportOptions("csv"))
    assert "Hello, my friend!" in (tmp_path / "c" / "segments.csv").read_text(encoding="utf-8")
