"""ELAN round trip with tier hierarchies: symbolic subdivision and association,
included-in and time subdivision tiers, references and controlled vocabularies."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from desktop_app.core.interop.eaf_read import read_eaf
from desktop_app.core.interop.exporter import ExportOptions, export_project
from desktop_app.core.interop.importer import import_file
from desktop_app.core.project import DEFAULT_TIER, Project
from desktop_app.core.services.segments import NewSegment, SegmentService
from desktop_app.core.services.speakers import SpeakerService
from desktop_app.core.services.tiers import TierService
from desktop_app.core.store.schema import ControlledVocabulary, Segment, Tier
from tests.conftest import SHARED_DIR
from tests.interop.conftest import fresh_project, tone

EAF_XSD = SHARED_DIR / "schemas" / "EAFv3.0.xsd"


def _eaf(tiers: str, types: str, cvs: str, slots: str, version: str = "3.0") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ANNOTATION_DOCUMENT AUTHOR="field" DATE="2024-05-01T10:00:00+06:00" FORMAT="{version}"
    VERSION="{version}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:noNamespaceSchemaLocation="http://www.mpi.nl/tools/elan/EAFv{version}.xsd">
  <HEADER MEDIA_FILE="" TIME_UNITS="milliseconds">
    <MEDIA_DESCRIPTOR MEDIA_URL="file:///field/story.wav" MIME_TYPE="audio/x-wav"
        RELATIVE_MEDIA_URL="./story.wav"/>
    <PROPERTY NAME="lastUsedAnnotation">20</PROPERTY>
  </HEADER>
  <TIME_ORDER>{slots}</TIME_ORDER>
{tiers}
{types}
  <LANGUAGE LANG_DEF="http://cdb.iso.org/lg/CDB-00130975-001" LANG_ID="eng" LANG_LABEL="English"/>
  <CONSTRAINT DESCRIPTION="Time subdivision" STEREOTYPE="Time_Subdivision"/>
  <CONSTRAINT DESCRIPTION="Symbolic subdivision" STEREOTYPE="Symbolic_Subdivision"/>
  <CONSTRAINT DESCRIPTION="1-1 association" STEREOTYPE="Symbolic_Association"/>
  <CONSTRAINT DESCRIPTION="Included in" STEREOTYPE="Included_In"/>
{cvs}
</ANNOTATION_DOCUMENT>
"""


def _ref(aid: str, ref: str, value: str, prev: str | None = None) -> str:
    after = f' PREVIOUS_ANNOTATION="{prev}"' if prev else ""
    return (
        f'<ANNOTATION><REF_ANNOTATION ANNOTATION_ID="{aid}" ANNOTATION_REF="{ref}"{after}>'
        f"<ANNOTATION_VALUE>{value}</ANNOTATION_VALUE></REF_ANNOTATION></ANNOTATION>"
    )


def _al(aid: str, ts1: str, ts2: str, value: str) -> str:
    return (
        f'<ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="{aid}" TIME_SLOT_REF1="{ts1}" '
        f'TIME_SLOT_REF2="{ts2}"><ANNOTATION_VALUE>{value}</ANNOTATION_VALUE>'
        "</ALIGNABLE_ANNOTATION></ANNOTATION>"
    )


def _tier(name: str, ltype: str, parent: str | None, *anns: str) -> str:
    up = f' PARENT_REF="{parent}"' if parent else ""
    return (
        f'  <TIER LINGUISTIC_TYPE_REF="{ltype}" PARTICIPANT="Aigerim" TIER_ID="{name}"{up}>'
        + "".join(anns)
        + "</TIER>"
    )


SLOTS = [(1, 500), (5, 800), (6, 1200), (9, None), (2, 2500), (3, 3000), (7, 3500), (8, 4000)]
SLOTS.append((4, 5000))  # in time order, as ELAN keeps them; ts9 has no time


def _cve(n: int, value: str, description: str) -> str:
    return (
        f'<CV_ENTRY_ML CVE_ID="cve{n}"><CVE_VALUE DESCRIPTION="{description}" LANG_REF="eng">'
        f"{value}</CVE_VALUE></CV_ENTRY_ML>"
    )


STORY = _eaf(
    slots="".join(
        f'<TIME_SLOT TIME_SLOT_ID="ts{n}"{f" TIME_VALUE={chr(34)}{v}{chr(34)}" if v else ""}/>'
        for n, v in SLOTS
    ),
    tiers="\n".join(
        [
            _tier(
                "tx@Aigerim",
                "utterance",
                None,
                _al("a1", "ts1", "ts2", "мен кітап оқыдым"),
                _al("a2", "ts3", "ts4", "сен қайда"),
            ),
            _tier(
                "words@Aigerim",
                "words",
                "tx@Aigerim",
                _ref("a3", "a1", "мен"),
                _ref("a4", "a1", "кітап", "a3"),
                _ref("a5", "a1", "оқыдым", "a4"),
                _ref("a6", "a2", "сен"),
                _ref("a7", "a2", "қайда", "a6"),
            ),
            _tier(
                "gloss@Aigerim",
                "gloss",
                "words@Aigerim",
                _ref("a8", "a3", "1SG"),
                _ref("a9", "a4", "book"),
                _ref("a10", "a5", "read-PST-1SG"),
                _ref("a11", "a6", "2SG"),
            ),
            _tier(
                "pos@Aigerim",
                "part of speech",
                "words@Aigerim",
                _ref("a12", "a3", "PRON"),
                _ref("a13", "a4", "N"),
                _ref("a14", "a5", "V"),
            ),
            _tier(
                "ft@Aigerim",
                "free translation",
                "tx@Aigerim",
                _ref("a15", "a1", "I read a book"),
                _ref("a16", "a2", "where are you"),
            ),
            _tier(
                "gesture@Aigerim",
                "gesture",
                "tx@Aigerim",
                _al("a17", "ts5", "ts6", "nod"),
                _al("a18", "ts7", "ts8", "point"),
            ),
            _tier(
                "syll@Aigerim",
                "syllables",
                "tx@Aigerim",
                _al("a19", "ts1", "ts9", "мен"),
                _al("a20", "ts9", "ts2", "кітап оқыдым"),
            ),
        ]
    ),
    types="""
  <LINGUISTIC_TYPE GRAPHIC_REFERENCES="false" LINGUISTIC_TYPE_ID="utterance" TIME_ALIGNABLE="true"/>
  <LINGUISTIC_TYPE CONSTRAINTS="Symbolic_Subdivision" GRAPHIC_REFERENCES="false"
      LINGUISTIC_TYPE_ID="words" TIME_ALIGNABLE="false"/>
  <LINGUISTIC_TYPE CONSTRAINTS="Symbolic_Association" GRAPHIC_REFERENCES="false"
      LINGUISTIC_TYPE_ID="gloss" TIME_ALIGNABLE="false"/>
  <LINGUISTIC_TYPE CONSTRAINTS="Symbolic_Association" CONTROLLED_VOCABULARY_REF="pos-tags"
      GRAPHIC_REFERENCES="false" LINGUISTIC_TYPE_ID="part of speech" TIME_ALIGNABLE="false"/>
  <LINGUISTIC_TYPE CONSTRAINTS="Symbolic_Association" GRAPHIC_REFERENCES="false"
      LINGUISTIC_TYPE_ID="free translation" TIME_ALIGNABLE="false"/>
  <LINGUISTIC_TYPE CONSTRAINTS="Included_In" GRAPHIC_REFERENCES="false"
      LINGUISTIC_TYPE_ID="gesture" TIME_ALIGNABLE="true"/>
  <LINGUISTIC_TYPE CONSTRAINTS="Time_Subdivision" GRAPHIC_REFERENCES="false"
      LINGUISTIC_TYPE_ID="syllables" TIME_ALIGNABLE="true"/>""",
    cvs='  <CONTROLLED_VOCABULARY CV_ID="pos-tags">'
    '<DESCRIPTION LANG_REF="eng">Parts of speech</DESCRIPTION>'
    + _cve(1, "N", "noun")
    + _cve(2, "V", "verb")
    + _cve(3, "PRON", "pronoun")
    + _cve(4, "ADJ", "adjective")
    + "</CONTROLLED_VOCABULARY>",
)

EXPECTED_TIERS = {
    "tx": ("transcription", None, None, None),
    "words": ("words", "tx", "symbolic_subdivision", None),
    "gloss": ("gloss", "words", "symbolic_association", None),
    "pos": ("gloss", "words", "symbolic_association", "pos-tags"),
    "ft": ("translation", "tx", "symbolic_association", None),
    "gesture": ("other", "tx", "included_in", None),
    "syll": ("other", "tx", "time_subdivision", None),
}


def _validate(path: Path) -> None:
    if not (shutil.which("xmllint") and EAF_XSD.exists()):
        return
    out = subprocess.run(
        ["xmllint", "--noout", "--schema", str(EAF_XSD), str(path)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr


def describe(project: Project) -> tuple[dict[str, tuple], list[tuple]]:
    """Tiers (kind, parent, constraint, vocabulary) and every live annotation with
    its tier, times, text, parent's (tier, text) and order; vocabularies' values."""
    with project.unit() as s:
        tiers = {t.id: t for t in s.scalars(select(Tier))}
        cvs = {cv.id: cv for cv in s.scalars(select(ControlledVocabulary))}
        segs = {g.id: g for g in s.scalars(select(Segment).where(Segment.deleted.is_(False)))}
        shape = {
            t.name: (
                t.kind,
                tiers[t.parent_id].name if t.parent_id else None,
                t.constraint,
                cvs[t.cv_id].name if t.cv_id else None,
            )
            for t in tiers.values()
            if t.name != DEFAULT_TIER
        }
        rows = []
        for g in segs.values():
            up = segs.get(g.parent_id) if g.parent_id else None
            rows.append(
                (
                    tiers[g.tier_id].name,
                    g.start_ms,
                    g.end_ms,
                    g.text,
                    (tiers[up.tier_id].name, up.text, up.start_ms) if up else None,
                    g.ordinal,
                )
            )
        return shape, sorted(rows, key=repr)


def _vocabularies(project: Project) -> dict[str, list[tuple[str, str]]]:
    with project.unit() as s:
        return {
            cv.name: [(e.value, e.description) for e in cv.entries]
            for cv in s.scalars(select(ControlledVocabulary))
        }


@pytest.fixture
def story(tmp_path: Path) -> tuple[Path, Path]:
    src = tmp_path / "src"
    src.mkdir()
    audio = tone(src / "story.wav", 6.0)
    eaf = src / "story.eaf"
    eaf.write_text(STORY, encoding="utf-8")
    return audio, eaf


def test_the_hand_written_file_is_valid_elan(story: tuple[Path, Path]) -> None:
    _validate(story[1])


def test_import_keeps_every_tier_with_its_parent_constraint_and_vocabulary(
    story: tuple[Path, Path], tmp_path: Path
) -> None:
    audio, eaf = story
    doc = read_eaf(eaf)
    assert doc.warnings == []
    assert {t.name: (t.parent, t.constraint) for t in doc.tiers}["syll@Aigerim"] == (
        "tx@Aigerim",
        "time_subdivision",
    )
    project = fresh_project(tmp_path, "one", [audio])
    try:
        result = import_file(project, eaf)
        shape, rows = describe(project)
        assert shape == EXPECTED_TIERS
        assert _vocabularies(project) == {
            "pos-tags": [("N", "noun"), ("V", "verb"), ("PRON", "pronoun"), ("ADJ", "adjective")]
        }
        words = [r for r in rows if r[0] == "words"]
        first = ("tx", "мен кітап оқыдым", 500)
        assert sorted((r[5], r[3], r[1], r[2]) for r in words if r[4] == first) == [
            (0, "мен", 500, 1166),
            (1, "кітап", 1166, 1833),
            (2, "оқыдым", 1833, 2500),
        ]
        assert ("gloss", 1166, 1833, "book", ("words", "кітап", 1166), None) in rows
        assert ("pos", 500, 1166, "PRON", ("words", "мен", 500), None) in rows
        assert ("ft", 3000, 5000, "where are you", ("tx", "сен қайда", 3000), None) in rows
        assert ("gesture", 3500, 4000, "point", ("tx", "сен қайда", 3000), None) in rows
        assert ("syll", 500, 1500, "мен", first, None) in rows  # ELAN's spacing of ts9
        assert ("syll", 1500, 2500, "кітап оқыдым", first, None) in rows
        # words without a gloss in the file get the empty box every new word gets
        assert ("gloss", 4000, 5000, "", ("words", "қайда", 4000), None) in rows
        assert result.segments == 20
    finally:
        project.close()


def test_round_trip_keeps_tiers_parents_constraints_texts_and_vocabularies(
    story: tuple[Path, Path], tmp_path: Path
) -> None:
    audio, eaf = story
    first = fresh_project(tmp_path, "first", [audio])
    second = fresh_project(tmp_path, "second", [audio])
    try:
        import_file(first, eaf)
        export_project(first, tmp_path / "out", ExportOptions("eaf"))
        out = tmp_path / "out" / "story.eaf"
        _validate(out)
        doc = read_eaf(out)
        assert doc.warnings == []
        parents = {t.name: (t.parent, t.constraint, t.vocabulary) for t in doc.tiers}
        assert parents["words@Aigerim"] == ("tx@Aigerim", "symbolic_subdivision", None)
        assert parents["pos@Aigerim"] == ("words@Aigerim", "symbolic_association", "pos-tags")
        assert parents["gesture@Aigerim"] == ("tx@Aigerim", "included_in", None)
        import_file(second, out)
        assert describe(second) == describe(first)
        assert _vocabularies(second) == _vocabularies(first)
    finally:
        first.close()
        second.close()


def test_a_translation_typed_in_jazba_exports_as_an_elan_child_tier(tmp_path: Path) -> None:
    from pympi import Elan

    audio = tone(tmp_path / "talk.wav", 3.0)
    project = fresh_project(tmp_path, "p", [audio])
    try:
        segs = SegmentService(project)
        tiers = TierService(project)
        rid = 1  # the only recording
        sp = SpeakerService(project).create("Айгерім").id
        main = tiers.by_name(DEFAULT_TIER).id
        a = segs.add(rid, NewSegment(100, 1200, "сәлем", sp, "kk")).segment_id
        segs.add(rid, NewSegment(1500, 2500, "рақмет", sp, "kk"))
        tr = tiers.create_child(main, "translation", language="en")
        child = next(g for g in segs.list(rid, tr.id) if g.parent_id == a)
        segs.edit_text(child.id, "hello")
        export_project(project, tmp_path / "out", ExportOptions("eaf"))
        path = tmp_path / "out" / "talk.eaf"
        _validate(path)
        eaf = Elan.Eaf(str(path))
        params = eaf.get_parameters_for_tier("translation@Айгерім")
        assert params["PARENT_REF"] == "transcription@Айгерім"
        ltype = eaf.linguistic_types[params["LINGUISTIC_TYPE_REF"]]
        assert (ltype["CONSTRAINTS"], ltype["TIME_ALIGNABLE"]) == ("Symbolic_Association", "false")
        ((ref, value, _prev, _svg),) = eaf.tiers["translation@Айгерім"][1].values()
        assert value == "hello"
        assert eaf.tiers["transcription@Айгерім"][0][ref][2] == "сәлем"
        # the status and language tiers of the main tier are still there
        assert "transcription@Айгерім#status" in eaf.get_tier_names()
        assert "transcription@Айгерім#lang" in eaf.get_tier_names()
    finally:
        project.close()


def test_what_cannot_be_kept_is_named_in_warnings(tmp_path: Path) -> None:
    text = _eaf(
        slots='<TIME_SLOT TIME_SLOT_ID="ts1" TIME_VALUE="0"/><TIME_SLOT TIME_SLOT_ID="ts2" '
        'TIME_VALUE="1000"/>',
        tiers="\n".join(
            [
                _tier("tx", "utterance", None, _al("a1", "ts1", "ts2", "бір")),
                _tier("lost", "gloss", "nowhere", _al("a2", "ts1", "ts2", "x")),
                _tier("tags", "tags", "tx", _ref("a3", "a1", "N")),
            ]
        ),
        types="""
  <LINGUISTIC_TYPE GRAPHIC_REFERENCES="false" LINGUISTIC_TYPE_ID="utterance" TIME_ALIGNABLE="true"/>
  <LINGUISTIC_TYPE CONSTRAINTS="Symbolic_Association" GRAPHIC_REFERENCES="false"
      LINGUISTIC_TYPE_ID="gloss" TIME_ALIGNABLE="false"/>
  <LINGUISTIC_TYPE CONSTRAINTS="Symbolic_Association" CONTROLLED_VOCABULARY_REF="multi"
      GRAPHIC_REFERENCES="false" LINGUISTIC_TYPE_ID="tags" TIME_ALIGNABLE="false"/>""",
        cvs="""
  <CONTROLLED_VOCABULARY CV_ID="multi">
    <CV_ENTRY_ML CVE_ID="c1"><CVE_VALUE LANG_REF="eng">N</CVE_VALUE>
      <CVE_VALUE LANG_REF="kaz">З</CVE_VALUE></CV_ENTRY_ML>
  </CONTROLLED_VOCABULARY>
  <CONTROLLED_VOCABULARY CV_ID="remote" EXT_REF="er1"/>""",
    )
    path = tmp_path / "odd.eaf"
    path.write_text(text, encoding="utf-8")
    doc = read_eaf(path)
    joined = " ".join(doc.warnings)
    assert "'lost' depends on 'nowhere'" in joined
    assert "'multi' has values in several languages" in joined
    assert "'remote' is external" in joined
    assert {t.name: t.parent for t in doc.tiers} == {"tx": None, "lost": None, "tags": "tx"}
    assert [v.name for v in doc.vocabularies] == ["multi", "remote"]


def test_eaf_27_vocabularies_are_read(tmp_path: Path) -> None:
    text = _eaf(
        slots='<TIME_SLOT TIME_SLOT_ID="ts1" TIME_VALUE="0"/><TIME_SLOT TIME_SLOT_ID="ts2" '
        'TIME_VALUE="1000"/>',
        tiers=_tier("tx", "utterance", None, _al("a1", "ts1", "ts2", "бір")),
        types='<LINGUISTIC_TYPE LINGUISTIC_TYPE_ID="utterance" TIME_ALIGNABLE="true"/>',
        cvs="""
  <CONTROLLED_VOCABULARY CV_ID="speech style" DESCRIPTION="How it was said">
    <CV_ENTRY DESCRIPTION="read aloud">read</CV_ENTRY>
    <CV_ENTRY DESCRIPTION="free talk">spontaneous</CV_ENTRY>
  </CONTROLLED_VOCABULARY>""",
        version="2.7",
    )
    path = tmp_path / "old.eaf"
    path.write_text(text, encoding="utf-8")
    (cv,) = read_eaf(path).vocabularies
    assert (cv.name, cv.description) == ("speech style", "How it was said")
    assert cv.entries == (("read", "read aloud"), ("spontaneous", "free talk"))


def test_textgrid_flattens_child_tiers(story: tuple[Path, Path], tmp_path: Path) -> None:
    from praatio import textgrid

    audio, eaf = story
    project = fresh_project(tmp_path, "tg", [audio])
    try:
        import_file(project, eaf)
        export_project(project, tmp_path / "out", ExportOptions("textgrid"))
        path = tmp_path / "out" / "story.TextGrid"
        tg = textgrid.openTextgrid(str(path), includeEmptyIntervals=False)

        def spans(name: str) -> list[tuple[int, int, str]]:
            return [
                (round(e.start * 1000), round(e.end * 1000), e.label)
                for e in tg.getTier(name).entries
            ]

        assert spans("ft@Aigerim") == [(500, 2500, "I read a book"), (3000, 5000, "where are you")]
        assert spans("words@Aigerim")[:3] == [
            (500, 1166, "мен"),
            (1166, 1833, "кітап"),
            (1833, 2500, "оқыдым"),
        ]
        assert spans("gesture@Aigerim") == [(800, 1200, "nod"), (3500, 4000, "point")]
        names = tg.tierNames
        assert (
            names.index("tx@Aigerim") < names.index("words@Aigerim") < names.index("gloss@Aigerim")
        )
        praat = shutil.which("praat")
        if praat is None:
            return
        script = tmp_path / "read.praat"
        script.write_text(
            "form Read\n  sentence File\nendform\n"
            "Read from file: file$\n"
            "n = Get number of tiers\n"
            'appendInfoLine: "tiers=", n\n',
            encoding="utf-8",
        )
        run = subprocess.run(
            [praat, "--run", str(script), str(path)], capture_output=True, text=True, timeout=60
        )
        assert run.returncode == 0, run.stderr
        assert f"tiers={len(names)}" in run.stdout
    finally:
        project.close()


def test_children_of_overflow_tiers_hang_under_the_same_overflow(
    tmp_path: Path, make_fresh
) -> None:
    from tests.interop.conftest import build_annotated

    annotated = build_annotated(tmp_path)
    project = annotated.project
    try:
        tiers = TierService(project)
        note = tiers.create_child(tiers.by_name(DEFAULT_TIER).id, "note", kind="comment")
        segs = SegmentService(project)
        for child in segs.list(annotated.rec_ids[0], note.id):
            segs.edit_text(child.id, f"note {child.start_ms}")
        export_project(project, tmp_path / "out", ExportOptions("eaf"))
        out = tmp_path / "out" / "interview_a.eaf"
        _validate(out)
        doc = read_eaf(out)
        parents = {t.name: t.parent for t in doc.tiers}
        assert parents["note@Айгерім"] == "transcription@Айгерім"
        assert parents["note@Айгерім~2"] == "transcription@Айгерім~2"
        fresh = make_fresh(annotated.audio)
        import_file(fresh, out)
        rows = describe(fresh)[1]
        assert (
            "note",
            3000,
            3900,
            "note 3000",
            ("transcription", "overlapping speech", 3000),
            None,
        ) in rows
        assert sum(1 for r in rows if r[0] == "note") == 5
    finally:
        project.close()
