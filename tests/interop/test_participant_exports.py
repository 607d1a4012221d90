"""Speakers' participant metadata (gender, age band, birth year, dialect, region,
first languages) in dataset manifests, Kaldi's spk2gender, stats and card."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest

from desktop_app.core.interop.exporter import ExportOptions, export_project
from desktop_app.core.interop.select import ExportFilter, gather
from desktop_app.core.services.speakers import SpeakerService
from tests.interop.conftest import Annotated

DRAFTS = ExportFilter(include_drafts=True)
AIGERIM = {
    "gender": "female",
    "age_band": "30-39",
    "birth_year": 1990,
    "dialect": "оңтүстік",
    "region": "Шымкент",
    "l1": "kk,ru",
}


@pytest.fixture
def described(annotated: Annotated) -> Annotated:
    sp = SpeakerService(annotated.project)
    sp.update(sp.find("Айгерім").id, **AIGERIM, notes="not exported")
    sp.update(sp.find("Bolat").id, gender="m", birth_year=1975, l1="kk")
    return annotated


def test_export_recordings_carry_participants(described: Annotated) -> None:
    recs = gather(described.project, DRAFTS)
    first = recs[0].participants
    assert first["Айгерім"] == {**AIGERIM, "notes": "not exported"}
    assert first["Bolat"]["gender"] == "male" and first["Bolat"]["dialect"] is None
    assert set(recs[1].participants) == {"Bolat"}  # only who speaks in that recording


def test_jsonl_and_csv_rows_carry_participant_fields(described: Annotated, tmp_path: Path) -> None:
    export_project(described.project, tmp_path / "j", ExportOptions("jsonl", DRAFTS))
    rows = [json.loads(x) for x in (tmp_path / "j" / "manifest.jsonl").read_text().splitlines()]
    by_speaker = {r["speaker"]: r for r in rows}
    assert {k: by_speaker["Айгерім"][k] for k in AIGERIM} == AIGERIM
    assert "notes" not in by_speaker["Айгерім"]
    assert by_speaker["Bolat"]["birth_year"] == 1975 and by_speaker["Bolat"]["region"] is None
    assert by_speaker[None]["gender"] is None  # no speaker: every field null
    export_project(described.project, tmp_path / "c", ExportOptions("csv", DRAFTS))
    with (tmp_path / "c" / "segments.csv").open(encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    aigerim = next(r for r in table if r["speaker"] == "Айгерім")
    assert (aigerim["l1"], aigerim["birth_year"], aigerim["dialect"]) == (
        "kk,ru",
        "1990",
        "оңтүстік",
    )


def test_lhotse_supervisions_carry_gender_and_custom_fields(
    described: Annotated, tmp_path: Path
) -> None:
    export_project(described.project, tmp_path, ExportOptions("lhotse", DRAFTS))
    with gzip.open(tmp_path / "supervisions_all.jsonl.gz", "rt", encoding="utf-8") as fh:
        sups = [json.loads(line) for line in fh]
    aigerim = next(s for s in sups if s["custom"]["speaker_name"] == "Айгерім")
    assert aigerim["gender"] == "female"
    assert aigerim["custom"]["birth_year"] == 1990 and aigerim["custom"]["l1"] == "kk,ru"
    unnamed = next(s for s in sups if s["custom"]["speaker_name"] is None)
    assert "gender" not in unnamed and "dialect" not in unnamed["custom"]


def test_kaldi_spk2gender_only_when_complete(described: Annotated, tmp_path: Path) -> None:
    export_project(described.project, tmp_path / "all", ExportOptions("kaldi", DRAFTS))
    assert not (tmp_path / "all" / "spk2gender").exists()  # unnamed voices have no gender
    two = ExportFilter(include_drafts=True, speakers=frozenset({"Айгерім", "Bolat"}))
    export_project(described.project, tmp_path / "two", ExportOptions("kaldi", two))
    spk2utt = (tmp_path / "two" / "spk2utt").read_text().splitlines()
    genders = (tmp_path / "two" / "spk2gender").read_text().splitlines()
    assert [g.split()[0] for g in genders] == [s.split()[0] for s in spk2utt]
    names = dict(x.split(" ", 1) for x in (tmp_path / "two" / "spk2name").read_text().splitlines())
    assert {names[s]: g for s, g in (x.split() for x in genders)} == {"Айгерім": "f", "Bolat": "m"}


def test_stats_and_card_break_hours_down_by_participant(
    described: Annotated, tmp_path: Path
) -> None:
    export_project(described.project, tmp_path, ExportOptions("jsonl", DRAFTS))
    stats = json.loads((tmp_path / "stats.json").read_text())
    gender = stats["participants"]["gender"]
    assert set(gender) == {"female", "male", "unknown"}
    assert gender["female"]["speakers"] == 1
    total = sum(v["hours"] for v in gender.values())
    assert abs(total - stats["total"]["hours"]) < 0.001
    assert stats["participants"]["l1"]["kk,ru"]["speakers"] == 1
    card = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "## Speakers" in card and "| dialect | оңтүстік |" in card
    assert "| first language(s) | kk |" in card


def test_hugging_face_columns(described: Annotated, tmp_path: Path) -> None:
    pytest.importorskip("datasets")
    pq = pytest.importorskip("pyarrow.parquet")
    export_project(described.project, tmp_path, ExportOptions("hf", DRAFTS))
    table = pq.read_table(next((tmp_path / "data").glob("*.parquet")))
    rows = table.to_pylist()
    aigerim = next(r for r in rows if r["speaker"] == "Айгерім")
    assert {k: aigerim[k] for k in AIGERIM} == AIGERIM
    assert str(table.schema.field("birth_year").type) == "int32"
