"""Bad annotation files: a clear InteropError, or a repair listed as a warning;
never a half-done import."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from desktop_app.core.errors import InteropError, JazbaError
from desktop_app.core.interop.importer import ImportOptions, import_file, read_annotations
from desktop_app.core.interop.model import DEFAULT_TIER
from desktop_app.core.interop.text import decode_text
from desktop_app.core.project import Project
from desktop_app.core.services.recordings import RecordingService
from tests.interop.conftest import canonical, project_counts, tone

TEXTGRID = """File type = "ooTextFile"
Object class = "TextGrid"

xmin = 0
xmax = {xmax}
tiers? <exists>
size = 1
item []:
    item [1]:
        class = "IntervalTier"
        name = "{name}"
        xmin = 0
        xmax = {xmax}
        intervals: size = {n}
{intervals}"""


def textgrid(name: str, intervals: list[tuple[float, float, str]], xmax: float = 2.0) -> str:
    body = "".join(
        f"        intervals [{i}]:\n            xmin = {a}\n            xmax = {b}\n"
        f'            text = "{t}"\n'
        for i, (a, b, t) in enumerate(intervals, 1)
    )
    return TEXTGRID.format(name=name, xmax=xmax, n=len(intervals), intervals=body)


@pytest.fixture
def rec(project: Project, tmp_path: Path) -> int:
    """A 2-second recording named ``speech.wav``."""
    return RecordingService(project).import_file(tone(tmp_path / "speech.wav", 2.0)).id


def _fails_cleanly(project: Project, path: Path, match: str, **kw) -> InteropError:
    before = project_counts(project)
    with pytest.raises(InteropError, match=match) as info:
        import_file(project, path, **kw)
    assert project_counts(project) == before
    return info.value


def test_malformed_xml(project: Project, rec: int, tmp_path: Path) -> None:
    bad = tmp_path / "speech.eaf"
    bad.write_text("<ANNOTATION_DOCUMENT><TIER TIER_ID='x'>", encoding="utf-8")
    _fails_cleanly(project, bad, "not valid XML")


def test_xml_bomb_is_refused(project: Project, rec: int, tmp_path: Path) -> None:
    lol = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol;" if i == 1 else f"&lol{i - 1};") * 10}">' for i in range(1, 10)
    )
    bomb = tmp_path / "speech.eaf"
    bomb.write_text(
        f'<?xml version="1.0"?><!DOCTYPE lolz [{lol}]><ANNOTATION_DOCUMENT>&lol9;'
        "</ANNOTATION_DOCUMENT>",
        encoding="utf-8",
    )
    _fails_cleanly(project, bomb, "DTD or entities")


def test_external_entity_is_refused(project: Project, rec: int, tmp_path: Path) -> None:
    xxe = tmp_path / "speech.eaf"
    xxe.write_text(
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<ANNOTATION_DOCUMENT>&x;</ANNOTATION_DOCUMENT>",
        encoding="utf-8",
    )
    _fails_cleanly(project, xxe, "DTD or entities")


def test_xml_that_is_not_elan(project: Project, rec: int, tmp_path: Path) -> None:
    other = tmp_path / "speech.eaf"
    other.write_text("<html><body/></html>", encoding="utf-8")
    _fails_cleanly(project, other, "not an ELAN file")


def test_eaf_with_missing_time_slot(project: Project, rec: int, tmp_path: Path) -> None:
    eaf = tmp_path / "speech.eaf"
    eaf.write_text(
        '<ANNOTATION_DOCUMENT><TIME_ORDER><TIME_SLOT TIME_SLOT_ID="ts1" TIME_VALUE="0"/>'
        '</TIME_ORDER><TIER TIER_ID="A"><ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="a1" '
        'TIME_SLOT_REF1="ts1" TIME_SLOT_REF2="ts9"><ANNOTATION_VALUE>x</ANNOTATION_VALUE>'
        "</ALIGNABLE_ANNOTATION></ANNOTATION></TIER></ANNOTATION_DOCUMENT>",
        encoding="utf-8",
    )
    _fails_cleanly(project, eaf, "damaged ELAN file")


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-8-sig"])
def test_utf16_textgrid_from_praat(project: Project, rec: int, tmp_path: Path, codec: str) -> None:
    path = tmp_path / "speech.TextGrid"
    text = textgrid("Айгерім", [(0, 0.5, ""), (0.5, 1.25, "сәлем әлем"), (1.25, 2.0, "")])
    path.write_bytes(text.encode(codec))  # Praat writes UTF-16 with a BOM
    result = import_file(project, path)
    assert result.segments == 1
    assert canonical(project) == [("speech", 500, 1250, "сәлем әлем", None, "Айгерім", None)]


def test_textgrid_tier_named_after_a_known_speaker(
    project: Project, rec: int, tmp_path: Path
) -> None:
    from desktop_app.core.services.speakers import SpeakerService

    SpeakerService(project).create("Айгерім")
    path = tmp_path / "speech.TextGrid"
    path.write_text(textgrid("Айгерім", [(0.5, 1.25, "сәлем")]), encoding="utf-8")
    import_file(project, path)
    assert canonical(project) == [("speech", 500, 1250, "сәлем", "Айгерім", DEFAULT_TIER, None)]


def test_overlapping_intervals_are_trimmed_with_a_warning(
    project: Project, rec: int, tmp_path: Path
) -> None:
    path = tmp_path / "speech.TextGrid"
    path.write_text(textgrid("tx", [(0.1, 1.0, "бір"), (0.8, 1.5, "екі")]), encoding="utf-8")
    result = import_file(project, path)
    assert any("overlapping" in w for w in result.warnings)
    assert [r[1:4] for r in canonical(project)] == [(100, 800, "бір"), (800, 1500, "екі")]


def test_intervals_that_overlap_completely_are_an_error(
    project: Project, rec: int, tmp_path: Path
) -> None:
    path = tmp_path / "speech.TextGrid"
    path.write_text(textgrid("tx", [(0.1, 1.0, "бір"), (0.105, 0.9, "екі")]), encoding="utf-8")
    _fails_cleanly(project, path, "overlap almost completely")


def test_times_beyond_the_audio_are_cut_or_skipped(
    project: Project, rec: int, tmp_path: Path
) -> None:
    path = tmp_path / "speech.srt"
    path.write_text(
        "1\n00:00:01,000 --> 00:00:03,000\nпаст the end\n\n"
        "2\n00:00:05,000 --> 00:00:06,000\nafter the end\n",
        encoding="utf-8",
    )
    result = import_file(project, path)
    assert result.segments == 1
    assert any("cut at its end" in w for w in result.warnings)
    assert any("after the end of the audio were skipped" in w for w in result.warnings)
    assert [r[1:3] for r in canonical(project)] == [(1000, 2000)]


def test_missing_media_is_a_clear_error(project: Project, rec: int, tmp_path: Path) -> None:
    path = tmp_path / "elsewhere.eaf"
    path.write_text(
        '<ANNOTATION_DOCUMENT><HEADER><MEDIA_DESCRIPTOR MEDIA_URL="file:///x/field_042.wav"/>'
        "</HEADER><TIME_ORDER/></ANNOTATION_DOCUMENT>",
        encoding="utf-8",
    )
    err = _fails_cleanly(project, path, "links 'field_042.wav'")
    assert "--recording" in str(err)


def test_nothing_usable_is_an_error(project: Project, rec: int, tmp_path: Path) -> None:
    path = tmp_path / "speech.vtt"
    path.write_text("WEBVTT\n\nNOTE nothing here\n", encoding="utf-8")
    _fails_cleanly(project, path, "no usable intervals")


def test_vtt_without_header(project: Project, rec: int, tmp_path: Path) -> None:
    path = tmp_path / "speech.vtt"
    path.write_text("1\n00:00.000 --> 00:01.000\nhi\n", encoding="utf-8")
    _fails_cleanly(project, path, "not a WebVTT file")


def test_not_text_at_all(project: Project, rec: int, tmp_path: Path) -> None:
    path = tmp_path / "speech.srt"
    path.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4)
    _fails_cleanly(project, path, "not UTF-8 or UTF-16")


def test_unknown_suffix(project: Project, rec: int, tmp_path: Path) -> None:
    path = tmp_path / "speech.docx"
    path.write_bytes(b"PK")
    _fails_cleanly(project, path, "unknown annotation format")


def test_bad_tier_late_in_file_leaves_project_unchanged(
    project: Project, rec: int, tmp_path: Path
) -> None:
    """The first tier is fine (new speaker, new tier); the second is broken."""
    path = tmp_path / "speech.TextGrid"
    good = textgrid("notes@Newcomer", [(0.1, 0.5, "fine")])
    second = textgrid("tx", [(0.1, 1.0, "a"), (0.1, 0.9, "b")])
    bad = second[second.index("    item [1]:") :].replace("item [1]", "item [2]")
    path.write_text(good.replace("size = 1\n", "size = 2\n", 1) + bad, encoding="utf-8")
    assert len(read_annotations(path).tiers) == 2
    _fails_cleanly(project, path, "overlap almost completely")


def test_hostile_names_import_as_plain_names(project: Project, rec: int, tmp_path: Path) -> None:
    path = tmp_path / "speech.TextGrid"
    path.write_text(textgrid("../../etc@..\\..\\boot", [(0.1, 0.5, "x")]), encoding="utf-8")
    import_file(project, path)
    assert canonical(project)[0][4:6] == ("..\\..\\boot", "../../etc")


def test_control_characters_in_a_name(project: Project, rec: int, tmp_path: Path) -> None:
    path = tmp_path / "speech.vtt"
    path.write_text("WEBVTT\n\n00:00.000 --> 00:01.000\n<v a\x01b>hi\n", encoding="utf-8")
    _fails_cleanly(project, path, "control characters")


def test_plain_text_whole_and_per_line(project: Project, rec: int, tmp_path: Path) -> None:
    path = tmp_path / "speech.txt"
    path.write_text("бірінші жол\n\nекінші жол, ұзынырақ\n", encoding="utf-8")
    import_file(project, path)
    assert canonical(project) == [
        ("speech", 0, 2000, "бірінші жол екінші жол, ұзынырақ", None, DEFAULT_TIER, None)
    ]
    result = import_file(project, path, options=ImportOptions(per_line=True, replace=True))
    rows = canonical(project, ("text", "status"))
    assert [r[3] for r in rows] == ["бірінші жол", "екінші жол, ұзынырақ"]
    assert rows[0][1] == 0 and rows[0][2] == rows[1][1] and rows[1][2] == 2000
    assert {r[4] for r in rows} == {"auto"}  # guessed times are marked for review
    assert result.replaced == 1


def test_audacity_labels(project: Project, rec: int, tmp_path: Path) -> None:
    path = tmp_path / "speech.txt"
    path.write_text("0.250000\t0.750000\tбір\n1.000000\t1.600000\tекі\n", encoding="utf-8")
    import_file(project, path)
    assert [r[1:4] for r in canonical(project)] == [(250, 750, "бір"), (1000, 1600, "екі")]


def test_plain_text_without_a_matching_recording(
    project: Project, rec: int, tmp_path: Path
) -> None:
    path = tmp_path / "other.txt"
    path.write_text("text", encoding="utf-8")
    _fails_cleanly(project, path, "matches no recording")


def test_decode_rejects_binary() -> None:
    with pytest.raises(JazbaError, match="binary"):
        decode_text(codecs.BOM_UTF8[:0] + b"ab\0cd\0ef", "x.srt")
