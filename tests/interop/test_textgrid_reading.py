"""TextGrids as Praat writes them (long, short, chronological), and damaged ones:
a clear message naming the line, or a repair listed as a warning; never a sign flipped."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from desktop_app.core.errors import InteropError
from desktop_app.core.interop.importer import import_file, read_annotations
from desktop_app.core.interop.praat_text import parse_textgrid
from desktop_app.core.project import Project
from desktop_app.core.services.recordings import RecordingService
from tests.interop.conftest import canonical, project_counts, tone
from tests.interop.test_bad_input import textgrid

DATA = Path(__file__).with_name("data")
PRAAT_FILES = ("praat_long", "praat_short", "praat_chronological")


@pytest.fixture
def rec(project: Project, tmp_path: Path) -> int:
    """A 4-second recording named ``speech.wav``."""
    return RecordingService(project).import_file(tone(tmp_path / "speech.wav", 4.0)).id


def _intervals(path: Path) -> dict[str, list[tuple[int, int, str]]]:
    doc = read_annotations(path)
    return {t.name: [(i.start_ms, i.end_ms, i.text) for i in t.items] for t in doc.tiers}


def test_praat_formats_read_alike() -> None:
    """The three files were written by Praat from one TextGrid (data/make_textgrids.praat)."""
    expected = {
        "Айгерім": [(250, 1100, "Сәлем, досым!"), (1600, 2750, 'Жақсы "рақмет"')],
        "Bolat": [(900, 2200, "Как дела?")],
    }
    for name in PRAAT_FILES:
        assert _intervals(DATA / f"{name}.TextGrid") == expected, name


def test_long_format_matches_praatio() -> None:
    """An independent reader (praatio) agrees on the long format."""
    from praatio import textgrid as tgio

    tg = tgio.openTextgrid(str(DATA / "praat_long.TextGrid"), includeEmptyIntervals=False)
    theirs = {
        name: [(round(e.start * 1000), round(e.end * 1000), e.label) for e in tier.entries]
        for name, tier in zip(tg.tierNames, tg.tiers, strict=True)
        if name != "events"
    }
    assert _intervals(DATA / "praat_long.TextGrid") == theirs


def test_chronological_points_and_domain() -> None:
    text = (DATA / "praat_chronological.TextGrid").read_bytes().decode("utf-16")
    grid = parse_textgrid(text, "x.TextGrid")
    assert grid.chronological and (grid.xmin_ms, grid.xmax_ms) == (0, 3500)
    assert grid.tiers[2].entries == [(1300, 1300, "cough"), (3000, 3000, "door")]


def test_chronological_textgrid_imports(project: Project, rec: int, tmp_path: Path) -> None:
    path = tmp_path / "speech.TextGrid"
    shutil.copy(DATA / "praat_chronological.TextGrid", path)
    result = import_file(project, path)
    assert result.segments == 3
    assert any("Point tier 'events'" in w for w in result.warnings)
    assert [r[1:4] for r in canonical(project)] == [
        (250, 1100, "Сәлем, досым!"),
        (900, 2200, "Как дела?"),
        (1600, 2750, 'Жақсы "рақмет"'),
    ]


def test_chronological_written_by_praat_from_our_export(tmp_path: Path) -> None:
    """Praat converts a long-format file to chronological; we read both alike."""
    praat = shutil.which("praat")
    if praat is None:
        pytest.skip("Praat is not installed")
    import subprocess

    src = tmp_path / "src.TextGrid"
    src.write_text(
        textgrid(  # Praat wants the whole domain covered; "" is a quote inside a text
            "tx",
            [
                (0, 0.1, ""),
                (0.1, 0.5, "бір"),
                (0.5, 0.9, ""),
                (0.9, 1.7, 'екі ""үш""'),
                (1.7, 2, ""),
            ],
        ),
        encoding="utf-8",
    )
    script = tmp_path / "convert.praat"
    script.write_text(
        f'Read from file: "{src}"\nSave as chronological text file: "{tmp_path / "c.TextGrid"}"\n',
        encoding="utf-8",
    )
    subprocess.run([praat, "--run", str(script)], check=True, capture_output=True)
    assert _intervals(tmp_path / "c.TextGrid") == _intervals(src)


def test_negative_start_is_cut_to_zero_never_flipped(
    project: Project, rec: int, tmp_path: Path
) -> None:
    path = tmp_path / "speech.TextGrid"
    path.write_text(
        textgrid("tx", [(-1, 0.6, "бір"), (-2, -1.5, "before"), (0.6, 1.2, "екі")]),
        encoding="utf-8",
    )
    result = import_file(project, path)
    assert [r[1:4] for r in canonical(project)] == [(0, 600, "бір"), (600, 1200, "екі")]
    assert any("now start at 0 s" in w and "-1.000 s" in w for w in result.warnings)
    assert any("negative times) were skipped" in w for w in result.warnings)


def test_inverted_interval_is_skipped_with_a_warning(
    project: Project, rec: int, tmp_path: Path
) -> None:
    path = tmp_path / "speech.TextGrid"
    path.write_text(textgrid("tx", [(1.5, 0.5, "backwards"), (2, 3, "fine")]), encoding="utf-8")
    result = import_file(project, path)
    assert [r[3] for r in canonical(project)] == ["fine"]
    assert any("end before they start" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("abc", "'speech.TextGrid' line 13: found 'abc' where a time should be"),
        ("inf", "'speech.TextGrid' line 13: the time 'inf' is not a finite number"),
        ("nan", "'speech.TextGrid' line 13: the time 'nan' is not a finite number"),
        ("-inf", "'speech.TextGrid' line 13: the time '-inf' is not a finite number"),
        ("1e999", "'speech.TextGrid' line 13: the time '1e999' is not a finite number"),
        ("9" * 5000, "'speech.TextGrid' line 13: the time '99999999999999999999…"),
        ("1.2.3", "'speech.TextGrid' line 13: the time '1.2.3' is not a number"),
    ],
)
def test_times_that_are_not_numbers(
    project: Project, rec: int, tmp_path: Path, bad: str, message: str
) -> None:
    path = tmp_path / "speech.TextGrid"
    text = textgrid("tx", [(0.1, 0.5, "x")])
    lines = text.split("\n")
    assert lines[12].strip() == "xmax = 2.0"  # the tier's time domain
    lines[12] = f"        xmax = {bad}"
    path.write_text("\n".join(lines), encoding="utf-8")
    before = project_counts(project)
    with pytest.raises(InteropError) as info:
        import_file(project, path)
    assert message in str(info.value)
    assert project_counts(project) == before


@pytest.mark.parametrize(
    ("cut", "message"),
    [
        ('text = "x', "no closing quote"),
        ("intervals: size = 1", "ends early"),
    ],
)
def test_cut_off_textgrid(
    project: Project, rec: int, tmp_path: Path, cut: str, message: str
) -> None:
    path = tmp_path / "speech.TextGrid"
    text = textgrid("tx", [(0.1, 0.5, "x")])
    path.write_text(text[: text.index(cut) + len(cut)], encoding="utf-8")
    with pytest.raises(InteropError, match=message):
        import_file(project, path)


def test_unknown_tier_class(tmp_path: Path) -> None:
    path = tmp_path / "speech.TextGrid"
    path.write_text(textgrid("tx", [(0.1, 0.5, "x")]).replace("IntervalTier", "Interval"))
    with pytest.raises(InteropError, match="line 10: unknown tier class 'Interval'"):
        read_annotations(path)


def test_huge_declared_size_is_not_trusted(tmp_path: Path) -> None:
    path = tmp_path / "speech.TextGrid"
    text = textgrid("tx", [(0.1, 0.5, "x")])
    path.write_text(text.replace("intervals: size = 1", "intervals: size = 999999999999"))
    with pytest.raises(InteropError, match="ends early"):
        read_annotations(path)
