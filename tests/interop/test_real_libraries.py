"""Our exports read by the real tools: xmllint + the EAF 3.0 schema, pympi, praatio,
Praat itself, Hugging Face datasets, and Kaldi's sorting rules."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import soundfile as sf

from desktop_app.core.interop.exporter import ExportOptions, export_project
from desktop_app.core.interop.select import ExportFilter
from desktop_app.core.interop.splits import SplitSpec
from tests.conftest import SHARED_DIR
from tests.interop.conftest import HOSTILE, Annotated

EAF_XSD = SHARED_DIR / "schemas" / "EAFv3.0.xsd"


def test_eaf_validates_and_pympi_reads_it(annotated: Annotated, tmp_path: Path) -> None:
    from pympi import Elan

    export_project(annotated.project, tmp_path, ExportOptions("eaf", audio="recordings"))
    path = tmp_path / "interview_a.eaf"
    if shutil.which("xmllint") and EAF_XSD.exists():
        out = subprocess.run(
            ["xmllint", "--noout", "--schema", str(EAF_XSD), str(path)],
            capture_output=True,
            text=True,
        )
        assert out.returncode == 0, out.stderr
    eaf = Elan.Eaf(str(path))
    main = "transcription@Айгерім"
    assert eaf.get_parameters_for_tier(main)["PARTICIPANT"] == "Айгерім"
    assert eaf.get_parameters_for_tier(main)["LANG_REF"] == "kk"
    assert eaf.get_parameters_for_tier(main)["LINGUISTIC_TYPE_REF"] == "transcription"
    assert [a[:3] for a in eaf.get_annotation_data_for_tier(main)] == [
        (100, 1200, "Сәлем, досым!"),
        (2400, 3300, "Жақсы, рақмет."),
    ]
    assert eaf.get_annotation_data_for_tier("transcription@Айгерім~2")[0][:3] == (
        3000,
        3900,
        "overlapping speech",
    )
    status = eaf.get_ref_annotation_data_for_tier(main + "#status")
    assert [a[2] for a in status] == ["edited", "edited"]
    assert eaf.linguistic_types["jazba-status"]["CONTROLLED_VOCABULARY_REF"] == "jazba-status"
    cv = eaf.controlled_vocabularies["jazba-status"][1]
    assert sorted(v[0][0][0] for v in cv.values()) == ["approved", "auto", "edited"]
    media = eaf.media_descriptors[0]
    assert media["RELATIVE_MEDIA_URL"] == "./interview_a.wav"
    assert (tmp_path / "interview_a.wav").read_bytes() == annotated.audio[0].read_bytes()
    assert f"transcription@{HOSTILE}" in eaf.get_tier_names()


def test_textgrid_reads_in_praatio_and_praat(annotated: Annotated, tmp_path: Path) -> None:
    from praatio import textgrid

    export_project(annotated.project, tmp_path, ExportOptions("textgrid"))
    path = tmp_path / "interview_a.TextGrid"
    tg = textgrid.openTextgrid(str(path), includeEmptyIntervals=False)
    assert tg.tierNames[0] == "transcription@Айгерім"
    tier = tg.getTier("transcription@Айгерім")
    assert [(round(e.start * 1000), round(e.end * 1000), e.label) for e in tier.entries] == [
        (100, 1200, "Сәлем, досым!"),
        (2400, 3300, "Жақсы, рақмет."),
    ]
    words = tg.getTier("transcription@Айгерім#words")
    assert [e.label for e in words.entries] == ["сәлем", "досым"]
    assert [e.label for e in tg.getTier("transcription@Айгерім#lang").entries] == ["kk", "kk"]

    praat = shutil.which("praat")
    if praat is None:
        pytest.skip("Praat is not installed")
    script = tmp_path / "read.praat"
    script.write_text(
        "form Read\n  sentence File\nendform\n"
        "Read from file: file$\n"
        "n = Get number of tiers\n"
        "name$ = Get tier name: 1\n"
        "label$ = Get label of interval: 1, 2\n"
        'appendInfoLine: "tiers=", n\n'
        'appendInfoLine: "name=", name$\n'
        'appendInfoLine: "label=", label$\n',
        encoding="utf-8",
    )
    out = subprocess.run(
        [praat, "--run", str(script), str(path)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert f"tiers={len(tg.tierNames)}" in out.stdout
    assert "name=transcription@Айгерім" in out.stdout
    assert "label=Сәлем, досым!" in out.stdout


def test_hugging_face_dataset_loads(annotated: Annotated, tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    out = tmp_path / "hf"
    result = export_project(
        annotated.project,
        out,
        ExportOptions(
            "hf",
            ExportFilter(include_drafts=True),
            audio="clips",
            splits=SplitSpec(0.6, 0.2, 0.2),
            normalize=True,
        ),
    )
    ds = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "cache"))
    # 8 segments, less the one on the translation tier: a training set holds transcriptions
    assert sum(len(ds[s]) for s in ds) == result.segments == 7
    assert set(ds) <= {"train", "validation", "test"}
    assert isinstance(ds["train"].features["audio"], datasets.Audio)
    speakers = {s: set(ds[s]["speaker"]) - {None} for s in ds}
    names = list(speakers.values())
    assert all(a.isdisjoint(b) for i, a in enumerate(names) for b in names[i + 1 :])
    rows = ds["train"].cast_column("audio", datasets.Audio(decode=False))
    for row in rows:
        samples, rate = sf.read(__import__("io").BytesIO(row["audio"]["bytes"]))
        assert rate == 16_000
        assert abs(len(samples) - (row["end_ms"] - row["start_ms"]) * 16) <= 16
        assert row["text"] == row["text_normalized"]
        assert row["text"] == row["text"].lower()


def test_kaldi_dir_is_sorted_and_consistent(annotated: Annotated, tmp_path: Path) -> None:
    opts = ExportOptions("kaldi", ExportFilter(include_drafts=True), audio="recordings")
    export_project(annotated.project, tmp_path, opts)
    files = {
        n: (tmp_path / n).read_text(encoding="utf-8").splitlines()
        for n in ("wav.scp", "segments", "text", "utt2spk", "spk2utt")
    }
    for name, lines in files.items():
        keys = [line.split(" ", 1)[0] for line in lines]
        assert keys == sorted(keys, key=lambda k: k.encode()), name
        assert len(set(keys)) == len(keys), name
    utt2spk = dict(line.split() for line in files["utt2spk"])
    assert all(utt.startswith(spk + "-") for utt, spk in utt2spk.items())
    spk2utt = {line.split()[0]: line.split()[1:] for line in files["spk2utt"]}
    assert {u: s for s, us in spk2utt.items() for u in us} == utt2spk
    assert {line.split()[0] for line in files["text"]} == set(utt2spk)
    for line in files["wav.scp"]:
        _rec, path = line.split(" ", 1)
        info = sf.info(path)
        assert (info.samplerate, info.channels) == (16_000, 1)
        assert path.startswith(str(tmp_path))
    for line in files["segments"]:
        _, _rec, start, end = line.split()
        assert 0 <= float(start) < float(end)


def test_jsonl_clips_match_their_durations(annotated: Annotated, tmp_path: Path) -> None:
    opts = ExportOptions("jsonl", ExportFilter(include_drafts=True), audio="clips")
    export_project(annotated.project, tmp_path, opts)
    rows = [json.loads(x) for x in (tmp_path / "manifest.jsonl").read_text("utf-8").splitlines()]
    assert len(rows) == 7  # every status, transcription tiers only
    for row in rows:
        assert "offset" not in row
        info = sf.info(tmp_path / row["audio_filepath"])
        assert info.samplerate == 16_000
        assert abs(info.duration - row["duration"]) < 0.002
        assert row["utt_id"].startswith(("s0", "u0"))
