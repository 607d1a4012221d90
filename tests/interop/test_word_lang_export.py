"""Word language tags in exports: the ``#wordlang`` TextGrid tier (and back),
dataset manifest fields (JSONL, Lhotse, WebDataset, Hugging Face)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from desktop_app.core.interop.exporter import ExportOptions, export_project
from desktop_app.core.interop.select import ExportFilter, gather
from desktop_app.core.interop.textgrid import read_textgrid
from desktop_app.core.langtag.timing import word_times
from desktop_app.core.services.segments import NewSegment, SegmentService
from desktop_app.core.services.word_langs import WordLangService
from tests.interop.conftest import Annotated

DRAFTS = ExportFilter(include_drafts=True)


@pytest.fixture
def tagged(annotated: Annotated) -> Annotated:
    """The annotated project plus one code-switched segment, every word tagged."""
    segs = SegmentService(annotated.project)
    sid = segs.add(annotated.rec_ids[1], NewSegment(3100, 3900, "Мен очень шаршадым")).segment_id
    words = WordLangService(annotated.project)
    words.tag_project()
    words.set_word_lang(sid, 0, "kk")  # a person's tag travels like the others
    return annotated


def test_textgrid_has_a_word_language_tier_at_word_times(tagged: Annotated, tmp_path: Path) -> None:
    from praatio import textgrid

    export_project(tagged.project, tmp_path, ExportOptions("textgrid"))
    tg = textgrid.openTextgrid(str(tmp_path / "interview_a.TextGrid"), includeEmptyIntervals=False)
    tier = tg.getTier("transcription@Айгерім#wordlang")
    entries = [(round(e.start * 1000), round(e.end * 1000), e.label) for e in tier.entries]
    # "Сәлем, досым!" has model word times; "Жақсы, рақмет." is shared out by characters
    assert entries[:2] == [(100, 500, "kk"), (550, 1100, "kk")]
    assert [label for _, _, label in entries[2:]] == ["kk", "kk"]
    assert entries[2][0] == 2400 and entries[3][1] == 3300
    assert [e.label for e in tg.getTier("transcription@Bolat#wordlang").entries] == ["ru", "ru"]
    # reading our own file back gives each segment its words' languages
    doc = read_textgrid(tmp_path / "interview_b.TextGrid")
    items = [i for t in doc.tiers for i in t.items if i.word_langs]
    langs = {i.text: [w["l"] for w in i.word_langs or []] for i in items}
    assert langs["Мен очень шаршадым"] == ["kk", "ru", "kk"]
    assert not any(t.name.endswith("#wordlang") for t in doc.tiers)


def test_untagged_segments_export_as_before(annotated: Annotated, tmp_path: Path) -> None:
    export_project(annotated.project, tmp_path, ExportOptions("textgrid"))
    text = (tmp_path / "interview_a.TextGrid").read_text(encoding="utf-8")
    assert "#wordlang" not in text
    export_project(annotated.project, tmp_path / "j", ExportOptions("jsonl", DRAFTS))
    rows = [json.loads(x) for x in (tmp_path / "j" / "manifest.jsonl").read_text().splitlines()]
    assert all("word_langs" not in r for r in rows)


def test_manifests_carry_word_languages(tagged: Annotated, tmp_path: Path) -> None:
    export_project(tagged.project, tmp_path / "j", ExportOptions("jsonl", DRAFTS))
    rows = [json.loads(x) for x in (tmp_path / "j" / "manifest.jsonl").read_text().splitlines()]
    by_text = {r["text_raw"]: r for r in rows}
    mixed = by_text["Мен очень шаршадым"]
    assert mixed["word_langs"] == ["kk", "ru", "kk"] and mixed["code_switched"] is True
    assert by_text["Как дела?"]["word_langs"] == ["ru", "ru"]
    assert by_text["Как дела?"]["code_switched"] is False

    export_project(tagged.project, tmp_path / "l", ExportOptions("lhotse", DRAFTS))
    with gzip.open(tmp_path / "l" / "supervisions_all.jsonl.gz", "rt", encoding="utf-8") as fh:
        sups = {s["custom"]["text_raw"]: s for s in map(json.loads, fh)}
    assert sups["Мен очень шаршадым"]["custom"]["word_langs"] == ["kk", "ru", "kk"]
    assert sups["Мен очень шаршадым"]["custom"]["code_switched"] is True
    assert sups["Сәлем, досым!"]["custom"]["code_switched"] is False


def test_hugging_face_rows_carry_word_languages(tagged: Annotated, tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    out = tmp_path / "hf"
    export_project(tagged.project, out, ExportOptions("hf", DRAFTS))
    ds = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "cache"))
    rows = {r["text_raw"]: r for split in ds for r in ds[split]}
    assert rows["Мен очень шаршадым"]["word_langs"] == ["kk", "ru", "kk"]
    assert rows["Мен очень шаршадым"]["code_switched"] is True
    assert rows["no speaker here"]["word_langs"] == ["other", "other", "other"]


def test_export_items_carry_tags_and_word_times_spread_by_characters(tagged: Annotated) -> None:
    recs = gather(tagged.project, DRAFTS)
    item = next(i for r in recs for i in r.items if i.text == "Мен очень шаршадым")
    assert [(t["w"], t["l"], t["by"]) for t in item.word_langs or []] == [
        ("Мен", "kk", "user"),
        ("очень", "ru", "auto"),
        ("шаршадым", "kk", "auto"),
    ]
    times = word_times(0, 1900, item.word_langs or [])
    assert [(a, b) for a, b, _, _ in times] == [(0, 400), (400, 1000), (1000, 1900)]


def test_eaf_carries_word_languages_and_participants_both_ways(
    tagged: Annotated, tmp_path: Path
) -> None:
    import shutil
    import subprocess

    from pympi import Elan

    from desktop_app.core.interop.importer import import_file
    from desktop_app.core.services.speakers import SpeakerService
    from desktop_app.core.services.tiers import TierService
    from tests.conftest import SHARED_DIR
    from tests.interop.conftest import fresh_project

    SpeakerService(tagged.project).update(
        SpeakerService(tagged.project).find("Bolat").id, gender="male", birth_year=1961
    )
    export_project(tagged.project, tmp_path / "out", ExportOptions("eaf"))
    path = tmp_path / "out" / "interview_b.eaf"
    xsd = SHARED_DIR / "schemas" / "EAFv3.0.xsd"
    if shutil.which("xmllint") and xsd.exists():
        subprocess.run(["xmllint", "--noout", "--schema", str(xsd), str(path)], check=True)
    eaf = Elan.Eaf(str(path))
    tier = "transcription@Bolat#wordlang"
    params = eaf.get_parameters_for_tier(tier)
    assert params["PARENT_REF"] == "transcription@Bolat"
    assert eaf.linguistic_types[params["LINGUISTIC_TYPE_REF"]]["CONSTRAINTS"] == (
        "Symbolic_Subdivision"
    )
    props = dict(eaf.properties)
    assert props["jazba:participant:Bolat:gender"] == "male"
    assert props["jazba:participant:Bolat:birth_year"] == "1961"

    other = fresh_project(tmp_path, "again", tagged.audio)
    try:
        import_file(other, path)
        got = {
            s.text: [w["l"] for w in s.word_langs or []]
            for s in SegmentService(other).list(2)
            if s.word_langs
        }
        assert got["Мен очень шаршадым"] == ["kk", "ru", "kk"]
        # the tier is in the file, but on import it folds into its parent, not a tier
        assert tier in eaf.get_tier_names()
        assert not any(t.name.endswith("#wordlang") for t in TierService(other).list())
        # the speaker the import creates takes the participant metadata from the file
        bolat = SpeakerService(other).find("Bolat")
        assert (bolat.gender, bolat.birth_year) == ("male", 1961)
        from desktop_app.core.services.vocabularies import VocabularyService

        assert not any("jazba" in cv.name for cv in VocabularyService(other).list())
    finally:
        other.close()
