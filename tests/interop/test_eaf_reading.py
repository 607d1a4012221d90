"""ELAN files as ELAN writes them: subdivided tiers with unaligned time slots,
tier kinds kept, and only the transcription counted as training data."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from desktop_app.core.interop.importer import ImportOptions, import_file, read_annotations
from desktop_app.core.learning.dataset import build_splits
from desktop_app.core.project import Project
from desktop_app.core.services.recordings import RecordingService
from desktop_app.core.store.schema import Tier
from tests.interop.conftest import tone

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<ANNOTATION_DOCUMENT AUTHOR="" DATE="2024-05-02T10:00:00+06:00" FORMAT="3.0" VERSION="3.0">
  <HEADER MEDIA_FILE="" TIME_UNITS="milliseconds">
    <MEDIA_DESCRIPTOR MEDIA_URL="file:///field/speech.wav" MIME_TYPE="audio/x-wav"
        RELATIVE_MEDIA_URL="./speech.wav"/>
  </HEADER>
"""
TYPES = """  <LINGUISTIC_TYPE GRAPHIC_REFERENCES="false" LINGUISTIC_TYPE_ID="utterance"
      TIME_ALIGNABLE="true"/>
  <LINGUISTIC_TYPE CONSTRAINTS="Time_Subdivision" GRAPHIC_REFERENCES="false"
      LINGUISTIC_TYPE_ID="word" TIME_ALIGNABLE="true"/>
  <LINGUISTIC_TYPE CONSTRAINTS="Symbolic_Association" GRAPHIC_REFERENCES="false"
      LINGUISTIC_TYPE_ID="gloss-lt" TIME_ALIGNABLE="false"/>
  <LINGUISTIC_TYPE CONSTRAINTS="Symbolic_Association" CONTROLLED_VOCABULARY_REF="UD-POS"
      GRAPHIC_REFERENCES="false" LINGUISTIC_TYPE_ID="pos-lt" TIME_ALIGNABLE="false"/>
  <LINGUISTIC_TYPE CONSTRAINTS="Symbolic_Subdivision" GRAPHIC_REFERENCES="false"
      LINGUISTIC_TYPE_ID="syllable-lt" TIME_ALIGNABLE="false"/>
  <LINGUISTIC_TYPE GRAPHIC_REFERENCES="false" LINGUISTIC_TYPE_ID="gesture-lt"
      TIME_ALIGNABLE="true"/>
  <LANGUAGE LANG_DEF="http://cdb.iso.org/lg/CDB-00138502-001" LANG_ID="kaz" LANG_LABEL="Kazakh"/>
  <CONSTRAINT DESCRIPTION="Time subdivision of parent annotation's time interval"
      STEREOTYPE="Time_Subdivision"/>
  <CONTROLLED_VOCABULARY CV_ID="UD-POS">
    <CV_ENTRY_ML CVE_ID="cveid_noun"><CVE_VALUE LANG_REF="kaz">NOUN</CVE_VALUE></CV_ENTRY_ML>
  </CONTROLLED_VOCABULARY>
</ANNOTATION_DOCUMENT>
"""


def _slots(values: list[int | None]) -> str:
    return "".join(
        f'    <TIME_SLOT TIME_SLOT_ID="ts{i}"'
        + (f' TIME_VALUE="{v}"' if v is not None else "")
        + "/>\n"
        for i, v in enumerate(values, 1)
    )


def _aligned(aid: str, ts1: int, ts2: int, value: str) -> str:
    return (
        f'    <ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="{aid}" TIME_SLOT_REF1="ts{ts1}" '
        f'TIME_SLOT_REF2="ts{ts2}"><ANNOTATION_VALUE>{value}</ANNOTATION_VALUE>'
        "</ALIGNABLE_ANNOTATION></ANNOTATION>\n"
    )


def _ref(aid: str, parent: str, value: str, prev: str | None = None) -> str:
    previous = f' PREVIOUS_ANNOTATION="{prev}"' if prev else ""
    return (
        f'    <ANNOTATION><REF_ANNOTATION ANNOTATION_ID="{aid}" ANNOTATION_REF="{parent}"'
        f"{previous}><ANNOTATION_VALUE>{value}</ANNOTATION_VALUE></REF_ANNOTATION></ANNOTATION>\n"
    )


def _tier(name: str, ltype: str, body: str, parent: str | None = None, who: str = "Aigerim") -> str:
    ref = f' PARENT_REF="{parent}"' if parent else ""
    return (
        f'  <TIER LINGUISTIC_TYPE_REF="{ltype}" PARTICIPANT="{who}" TIER_ID="{name}"{ref}>\n'
        f"{body}  </TIER>\n"
    )


# Two utterances; their words subdivide them with unaligned inner boundaries, except
# one that the annotator aligned by hand (ts10 = 5000); the first word is subdivided again
# into morphemes; a gloss tier and a syllable tier hang off the words. As ELAN writes
# them, the slots are listed in time order (unaligned ones where they fall).
SLOTS = [1000, None, None, None, None, None, 3000, 4000, None, 5000, None, 6000]
SUBDIVIDED = (
    HEADER
    + "  <TIME_ORDER>\n"
    + _slots(SLOTS)
    + "  </TIME_ORDER>\n"
    + _tier(
        "A",
        "utterance",
        _aligned("a1", 1, 7, "бір екі үш төрт") + _aligned("a2", 8, 12, "бес алты жеті сегіз"),
    )
    + _tier(
        "W",
        "word",
        _aligned("w1", 1, 4, "бір")
        + _aligned("w2", 4, 5, "екі")
        + _aligned("w3", 5, 6, "үш")
        + _aligned("w4", 6, 7, "төрт")
        + _aligned("w5", 8, 9, "бес")
        + _aligned("w6", 9, 10, "алты")
        + _aligned("w7", 10, 11, "жеті")
        + _aligned("w8", 11, 12, "сегіз"),
        parent="A",
    )
    + _tier(
        "M",
        "word",
        _aligned("m1", 1, 2, "б") + _aligned("m2", 2, 3, "і") + _aligned("m3", 3, 4, "р"),
        parent="W",
    )
    + _tier("G", "gloss-lt", _ref("g1", "w1", "one") + _ref("g2", "w2", "two"), parent="W")
    + _tier(
        "S",
        "syllable-lt",
        _ref("s2", "w8", "гіз", prev="s1") + _ref("s1", "w8", "се"),
        parent="W",
    )
    + TYPES
)


@pytest.fixture
def speech(project: Project, tmp_path: Path) -> int:
    return RecordingService(project).import_file(tone(tmp_path / "speech.wav", 20.0)).id


def _times(doc, tier: str) -> list[tuple[int, int, str]]:
    return [(i.start_ms, i.end_ms, i.text) for i in doc.tier(tier).items]


def test_time_subdivision_slots_are_spaced_as_elan_shows_them(tmp_path: Path) -> None:
    path = tmp_path / "speech.eaf"
    path.write_text(SUBDIVIDED, encoding="utf-8")
    doc = read_annotations(path)
    # Evenly between the parent's aligned ends: 1000…3000 in four steps.
    assert _times(doc, "W")[:4] == [
        (1000, 1500, "бір"),
        (1500, 2000, "екі"),
        (2000, 2500, "үш"),
        (2500, 3000, "төрт"),
    ]
    # A hand-aligned inner boundary (5000) is an anchor: each side is spaced on its own.
    assert _times(doc, "W")[4:] == [
        (4000, 4500, "бес"),
        (4500, 5000, "алты"),
        (5000, 5500, "жеті"),
        (5500, 6000, "сегіз"),
    ]
    # A subdivision of a subdivision: within the word's placed time 1000…1500
    # (ELAN steps by whole milliseconds: (1500 - 1000) // 3 = 166).
    assert _times(doc, "M") == [(1000, 1166, "б"), (1166, 1332, "і"), (1332, 1500, "р")]
    # Symbolic tiers take their parent's time; a subdivision follows PREVIOUS_ANNOTATION.
    assert _times(doc, "G") == [(1000, 1500, "one"), (1500, 2000, "two")]
    assert sorted(_times(doc, "S")) == [(5500, 5750, "се"), (5750, 6000, "гіз")]
    assert not doc.warnings


def test_no_word_of_a_subdivision_is_dropped(project: Project, speech: int, tmp_path: Path) -> None:
    path = tmp_path / "speech.eaf"
    path.write_text(SUBDIVIDED, encoding="utf-8")
    result = import_file(project, path)
    assert not any("no length" in w for w in result.warnings), result.warnings
    # 2 utterances + 8 words + 3 morphemes + 2 glosses + 2 syllables
    assert result.segments == 17


def test_tier_kinds_come_from_type_name_and_place(tmp_path: Path, project: Project) -> None:
    from desktop_app.core.interop.importer import default_mapping

    path = tmp_path / "speech.eaf"
    path.write_text(SUBDIVIDED, encoding="utf-8")
    mapping = {m.source: m.kind for m in default_mapping(project, read_annotations(path))}
    assert mapping == {
        "A": "transcription",  # top level, named after nobody in particular
        "W": "words",  # a time subdivision
        "M": "words",
        "G": "gloss",  # linguistic type 'gloss-lt'
        "S": "other",  # a syllable subdivision
    }


TRAINING = (
    HEADER
    + "  <TIME_ORDER>\n"
    + _slots([0, 4000, 5000, 9000, 0, 15000, 0, 18000, 18500, 19500])
    + "  </TIME_ORDER>\n"
    + _tier("Aigerim", "utterance", _aligned("a1", 1, 2, "сәлем") + _aligned("a2", 3, 4, "рақмет"))
    + _tier("POS", "pos-lt", _ref("p1", "a1", "NOUN") + _ref("p2", "a2", "NOUN"), "Aigerim")
    + _tier("Gesture_Aigerim", "gesture-lt", _aligned("g1", 5, 6, "nod"))
    + _tier(
        "Bolat", "utterance", _aligned("b1", 7, 8, "") + _aligned("b2", 9, 10, " "), who="Bolat"
    )
    + _tier("Notes", "utterance", "")
    + TYPES
)


def test_only_transcription_tiers_are_training_data(
    project: Project, speech: int, tmp_path: Path
) -> None:
    """A transcription (8 s), its POS tags, a gesture tier (15 s) and an empty
    speaker tier (19 s of annotations without text): 8 s of training data."""
    path = tmp_path / "speech.eaf"
    path.write_text(TRAINING, encoding="utf-8")
    import_file(project, path, options=ImportOptions(status="approved"))
    with project.unit() as s:
        kinds = dict(s.execute(select(Tier.name, Tier.kind)).all())
    assert kinds["POS"] == "gloss" and kinds["Gesture_Aigerim"] == "other"
    assert kinds["transcription"] == "transcription"
    splits = build_splits([project])
    examples = splits.all()
    assert sorted(e.text for e in examples) == ["рақмет", "сәлем"]
    assert sum(e.duration_s for e in examples) == pytest.approx(8.0)


def test_many_unaligned_slots_are_read_in_linear_time(tmp_path: Path) -> None:
    """Unaligned slots were placed in quadratic time (80,000 took 45 s, these 60,000
    over a minute)."""
    n = 20_000  # utterances, each split into two words at an unaligned slot
    values: list[int | None] = []
    body_a, body_w = [], []
    for k in range(n):
        values += [k * 1000, None, k * 1000 + 800]
        b = 3 * k + 1
        body_a.append(_aligned(f"a{k}", b, b + 2, "екі сөз"))
        body_w.append(_aligned(f"w{k}a", b, b + 1, "екі") + _aligned(f"w{k}b", b + 1, b + 2, "сөз"))
    path = tmp_path / "long.eaf"
    path.write_text(
        HEADER
        + "  <TIME_ORDER>\n"
        + _slots(values)
        + "  </TIME_ORDER>\n"
        + _tier("A", "utterance", "".join(body_a))
        + _tier("W", "word", "".join(body_w), parent="A")
        + TYPES,
        encoding="utf-8",
    )
    started = time.perf_counter()
    doc = read_annotations(path)
    assert time.perf_counter() - started < 10
    words = doc.tier("W").items
    assert len(words) == 2 * n
    assert (words[-2].start_ms, words[-2].end_ms) == ((n - 1) * 1000, (n - 1) * 1000 + 400)


def test_the_xml_tree_is_not_kept_while_reading(tmp_path: Path) -> None:
    """The whole element tree of a 64 MB file took over 400 MB; read as a stream,
    only what is kept (slot ids and times, annotations) stays in memory."""
    import tracemalloc

    n = 100_000
    path = tmp_path / "slots.eaf"
    path.write_text(
        HEADER
        + "  <TIME_ORDER>\n"
        + _slots([k * 10 for k in range(n)])
        + "  </TIME_ORDER>\n"
        + _tier("A", "utterance", _aligned("a1", 1, n, "бәрі"))
        + TYPES,
        encoding="utf-8",
    )
    tracemalloc.start()
    try:
        doc = read_annotations(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert _times(doc, "A") == [(0, (n - 1) * 10, "бәрі")]
    assert peak < path.stat().st_size * 4, (peak >> 20, path.stat().st_size >> 20)
