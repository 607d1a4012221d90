"""Subtitles and tables that are damaged or hostile: cues read as cues, and a
clear message naming the file and the line (and field) instead of a traceback."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from desktop_app.core.errors import InteropError
from desktop_app.core.interop.importer import import_file, read_annotations
from desktop_app.core.project import Project
from desktop_app.core.services.recordings import RecordingService
from tests.interop.conftest import canonical, project_counts, tone


@pytest.fixture
def rec(project: Project, tmp_path: Path) -> int:
    """A 10-second recording named ``speech.wav``."""
    return RecordingService(project).import_file(tone(tmp_path / "speech.wav", 10.0)).id


def _fails(project: Project, path: Path, message: str) -> str:
    before = project_counts(project)
    with pytest.raises(InteropError) as info:
        import_file(project, path)
    assert message in str(info.value), str(info.value)
    assert project_counts(project) == before
    return str(info.value)


# -- subtitles ------------------------------------------------------------------------------
def test_srt_without_blank_lines_is_read_cue_by_cue(
    project: Project, rec: int, tmp_path: Path
) -> None:
    path = tmp_path / "speech.srt"
    path.write_text(
        "1\n00:00:01,000 --> 00:00:02,000\nСәлем!\n"
        "2\n00:00:02,500 --> 00:00:04,000\nҚалың қалай?\nЖақсы.\n"
        "3\n00:00:05,000 --> 00:00:06,000\n42 жыл\n",
        encoding="utf-8",
    )
    result = import_file(project, path)
    assert [r[1:4] for r in canonical(project)] == [
        (1000, 2000, "Сәлем!"),
        (2500, 4000, "Қалың қалай?\nЖақсы."),
        (5000, 6000, "42 жыл"),
    ]
    assert any("no blank line before them" in w for w in result.warnings)


def test_vtt_without_blank_lines(project: Project, rec: int, tmp_path: Path) -> None:
    path = tmp_path / "speech.vtt"
    path.write_text(
        "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Айгерім>бір\n"
        "00:02.000 --> 00:03.000\n<v Bolat>екі\n",
        encoding="utf-8",
    )
    import_file(project, path)
    assert [r[1:5] for r in canonical(project)] == [
        (1000, 2000, "бір", "Айгерім"),
        (2000, 3000, "екі", "Bolat"),
    ]


def test_srt_hours_of_thousands_of_digits(project: Project, rec: int, tmp_path: Path) -> None:
    path = tmp_path / "speech.srt"
    path.write_text(
        f"1\n{'9' * 5000}:00:01,000 --> 00:00:02,000\nbad\n\n"
        "2\n00:00:03,000 --> 00:00:04,000\nok\n",
        encoding="utf-8",
    )
    result = import_file(project, path)
    assert [r[3] for r in canonical(project)] == ["ok"]
    assert any("first at line 2" in w for w in result.warnings)


def test_srt_with_only_bad_times_names_the_line(project: Project, rec: int, tmp_path: Path) -> None:
    path = tmp_path / "speech.srt"
    path.write_text(f"1\n{'9' * 5000}:00:01,000 --> 00:00:02,000\nbad\n", encoding="utf-8")
    _fails(project, path, "the first bad time line is line 2")


def test_vtt_voice_tags_are_linear(tmp_path: Path) -> None:
    """50,000 unclosed '<v ' took 24 s (each search ran to the end of the cue)."""
    path = tmp_path / "speech.vtt"
    path.write_text("WEBVTT\n\n00:01.000 --> 00:02.000\n" + "<v " * 50_000 + "\n", encoding="utf-8")
    started = time.perf_counter()
    doc = read_annotations(path)
    assert time.perf_counter() - started < 3
    assert len(doc.tiers[0].items) == 1


# -- tables -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("inf", "'speech.csv' line 3, field 'start_ms': the time 'inf' is not a finite number"),
        ("1e999", "line 3, field 'start_ms': the time '1e999' is not a finite number"),
        ("9" * 400, "line 3, field 'start_ms': the time '99999999999999999999…'"),
        ("nan", "line 3, field 'start_ms': the time 'nan' is not a finite number"),
        ("1e15", "line 3, field 'start_ms': the time '1e15' is out of range"),
        ("soon", "line 3, field 'start_ms': the time 'soon' is not a number"),
    ],
)
def test_csv_times(project: Project, rec: int, tmp_path: Path, value: str, message: str) -> None:
    path = tmp_path / "speech.csv"
    path.write_text(f"start_ms,end_ms,text\n100,900,бір\n{value},2000,екі\n", encoding="utf-8")
    _fails(project, path, message)


def test_csv_cell_over_128_kb(project: Project, rec: int, tmp_path: Path) -> None:
    path = tmp_path / "speech.csv"
    path.write_text(
        f'start_ms,end_ms,text\n100,900,бір\n1000,2000,"{"ә" * 140_000}"\n', encoding="utf-8"
    )
    _fails(project, path, "'speech.csv' line 3: a cell is longer than 128 KB")


def test_negative_start_in_a_table_is_repaired(project: Project, rec: int, tmp_path: Path) -> None:
    """A negative start reached the database CHECK constraint (a traceback)."""
    path = tmp_path / "speech.tsv"
    path.write_text("start_ms\tend_ms\ttext\n-500\t900\tбір\n", encoding="utf-8")
    result = import_file(project, path)
    assert [r[1:4] for r in canonical(project)] == [(0, 900, "бір")]
    assert any("now start at 0 s" in w for w in result.warnings)


def _jsonl(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


GOOD = json.dumps({"start_ms": 0, "end_ms": 500, "text": "бір"})


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ('{"start_ms": 1e999, "end_ms": 900, "text": "x"}', "the time inf is not a finite"),
        ('{"start_ms": ' + "9" * 5000 + ', "end_ms": 9, "text": "x"}', "line 2 is not valid JSON"),
        ('{"offset": 1e300, "duration": 1, "text": "x"}', "field 'offset': the time 1e+300"),
        ('{"start_ms": 0, "end_ms": 900, "text": 42}', "line 2, field 'text': expected text"),
        ('{"start_ms": 0, "end_ms": 900, "text": {"a": 1}}', "field 'text': expected text"),
        ('{"start_ms": 0, "end_ms": 900, "text": "x", "speaker": {"n": 1}}', "field 'speaker'"),
        ('{"start_ms": 0, "end_ms": 900, "text": "x", "language": ["kk"]}', "field 'language'"),
        ('{"start_ms": 0, "end_ms": 900, "text": "x", "status": 1.5}', "field 'status'"),
        ('{"start_ms": true, "end_ms": 900, "text": "x"}', "the time True is not a number"),
        ('{"start_ms": [1], "end_ms": 900, "text": "x"}', "the time [1] is not a number"),
        ('["start_ms", 0]', "line 2 is not an object with named fields"),
        ("[" * 100_000 + "]" * 100_000, "line 2 nests its values too deeply"),
        ('{"a":' * 50_000 + "1" + "}" * 50_000, "line 2 nests its values too deeply"),
    ],
)
def test_jsonl_fields_of_the_wrong_type(
    project: Project, rec: int, tmp_path: Path, row: str, message: str
) -> None:
    path = _jsonl(tmp_path / "speech.jsonl", [GOOD, row])
    error = _fails(project, path, message)
    assert error.startswith("'speech.jsonl' line 2")


def test_jsonl_integer_speaker_is_a_name(project: Project, rec: int, tmp_path: Path) -> None:
    """NeMo manifests often number their speakers."""
    path = _jsonl(
        tmp_path / "speech.jsonl", ['{"start_ms": 0, "end_ms": 900, "text": "x", "speaker": 3}']
    )
    import_file(project, path)
    assert canonical(project)[0][4] == "3"


@pytest.mark.parametrize("name", ["speech.txt", "speech.srt", "speech.jsonl"])
def test_many_short_lines_do_not_fill_the_memory(tmp_path: Path, name: str) -> None:
    """A list of every line (and of a match per line) took 4 GB for 60 MB of 'x' lines;
    here 2 MB files may take the text twice over and 3 MB more."""
    import tracemalloc

    path = tmp_path / name
    path.write_text("x\n" * 1_000_000 if not name.endswith(".jsonl") else "\n" * 2_000_000)
    tracemalloc.start()
    try:
        try:
            from desktop_app.core.interop.importer import ImportOptions

            read_annotations(path, duration_ms=60_000, options=ImportOptions())
        except InteropError:
            pass  # nothing usable in the blank files: what matters is the memory
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * path.stat().st_size + (3 << 20), peak >> 20  # before: 11-28 MB
