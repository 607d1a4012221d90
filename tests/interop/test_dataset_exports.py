"""Dataset exports read back by the toolkits people train with: Hugging Face ``datasets``,
Lhotse, WebDataset, and Kaldi's data-directory rules; the safe default (only checked
transcriptions) and what each export says it left out; the dataset card and stats.

The annotated fixture has, on the transcription tier, 5 edited segments, 1 approved
and 1 model draft (auto); its translation tier has 1 approved segment.
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from desktop_app.cli.main import app
from desktop_app.core.interop.clips import ClipReader
from desktop_app.core.interop.dataset_stats import set_project_license
from desktop_app.core.interop.exporter import ExportOptions, export_project
from desktop_app.core.interop.model import ExportRecording
from desktop_app.core.interop.select import ExportFilter, gather
from desktop_app.core.interop.splits import SplitSpec
from desktop_app.core.services.segments import SegmentService
from tests.interop.conftest import Annotated

DRAFTS = ExportFilter(include_drafts=True)
SPLIT = SplitSpec(0.6, 0.2, 0.2, seed=1)


def _clips(annotated: Annotated) -> dict[tuple[str, int, int], np.ndarray]:
    """Jazba's own clip of every segment, as 16-bit samples, by (recording, start, end)."""
    out = {}
    recs: list[ExportRecording] = gather(annotated.project, ExportFilter())
    for rec in recs:
        reader = ClipReader(rec)
        for item in rec.items:
            samples = reader.read(item.start_ms, item.end_ms)
            out[rec.title, item.start_ms, item.end_ms] = np.round(samples * 32768).astype(np.int16)
    return out


def _int16(samples: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(samples, dtype=np.float64).reshape(-1) * 32768).astype(np.int16)


def test_datasets_hold_only_checked_transcriptions_by_default(
    annotated: Annotated, tmp_path: Path
) -> None:
    result = export_project(annotated.project, tmp_path / "d", ExportOptions("jsonl"))
    rows = [json.loads(x) for x in (tmp_path / "d" / "manifest.jsonl").read_text().splitlines()]
    assert [r["text"] for r in rows] == ["екінші жазба"]
    sel = result.selection
    assert sel is not None and sel.included == 1
    assert sel.left_out == {"edited": 5, "drafts": 1, "translation-tier": 1}
    assert "1 model draft" in result.summary() and "--include-drafts" in result.summary()
    stats = json.loads((tmp_path / "d" / "stats.json").read_text())
    assert stats["selection"]["left_out"] == {"drafts": 1, "edited": 5, "translation-tier": 1}
    listed = json.loads((tmp_path / "d" / ".jazba-export.json").read_text())
    assert listed["last_export"]["selection"]["included"] == 1

    edited = ExportOptions("jsonl", ExportFilter(include_edited=True))
    assert edited.selection(annotated.project).included == 6
    assert ExportOptions("jsonl", DRAFTS).selection(annotated.project).included == 7
    named = ExportOptions("jsonl", ExportFilter(tiers=frozenset({"translation"})))
    assert named.selection(annotated.project).left_out == {"filters": 7}
    table = ExportOptions("csv")  # an annotation table, not a dataset: everything
    assert table.selection(annotated.project).included == 8
    assert ExportOptions("csv", audio="clips").selection(annotated.project).included == 1


def test_cli_prints_what_it_left_out(annotated: Annotated, tmp_path: Path) -> None:
    res = CliRunner().invoke(
        app, ["export", str(annotated.project.path), str(tmp_path / "k"), "-f", "kaldi", "-q"]
    )
    assert res.exit_code == 0, res.output
    assert "5 edited but not approved, 1 model draft and 1 translation-tier row left out" in (
        res.output
    )
    assert "--include-drafts to add drafts" in res.output
    res = CliRunner().invoke(
        app,
        [
            *("export", str(annotated.project.path), str(tmp_path / "w"), "-f", "webdataset"),
            *("--include-drafts", "--shard-size", "1MB", "-q"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "Exported 7 segment(s)" in res.output


def test_hugging_face_audio_decodes_sample_exact(annotated: Annotated, tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    pytest.importorskip("librosa")  # datasets 3.x decodes with soundfile (+ librosa)
    out = tmp_path / "hf"
    export_project(annotated.project, out, ExportOptions("hf", DRAFTS, audio="clips", splits=SPLIT))
    assert not (out / "clips").exists()  # the audio is inside the Parquet files only
    ds = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "cache"))
    clips = _clips(annotated)
    seen = 0
    for split in ds:
        for row in ds[split]:
            audio = row["audio"]  # decoded: what a training script reads first
            assert audio["sampling_rate"] == 16_000
            want = clips[row["recording"], row["start_ms"], row["end_ms"]]
            assert np.array_equal(_int16(audio["array"]), want)
            seen += 1
    assert seen == 7


def test_lhotse_manifests_validate_and_load(annotated: Annotated, tmp_path: Path) -> None:
    lhotse = pytest.importorskip("lhotse")
    from lhotse.qa import validate, validate_recordings_and_supervisions

    clips = _clips(annotated)
    for audio in ("none", "recordings", "clips"):
        out = tmp_path / audio
        export_project(annotated.project, out, ExportOptions("lhotse", DRAFTS, audio=audio))
        recs = lhotse.RecordingSet.from_file(out / "recordings_all.jsonl.gz")
        sups = lhotse.SupervisionSet.from_file(out / "supervisions_all.jsonl.gz")
        validate_recordings_and_supervisions(recs, sups)
        cuts = lhotse.CutSet.from_file(out / "cuts_all.jsonl.gz")
        validate(cuts, read_data=True)
        assert len(cuts) == len(sups) == 7
        for cut in cuts:
            sup = cut.supervisions[0]
            c = sup.custom
            assert abs(cut.duration - (c["end_ms"] - c["start_ms"]) / 1000) < 0.001
            assert sup.text == c["text_raw"] and c["status"] in ("auto", "edited", "approved")
            samples = cut.load_audio()
            assert samples.shape[0] == 1
            want = clips[c["recording_title"], c["start_ms"], c["end_ms"]]
            assert np.array_equal(_int16(samples), want), (audio, cut.id)
    assert (out / "README.md").is_file() and (out / "stats.json").is_file()


def test_webdataset_shards_read_back(annotated: Annotated, tmp_path: Path) -> None:
    wds = pytest.importorskip("webdataset")
    out = tmp_path / "wds"
    opts = ExportOptions("webdataset", DRAFTS, splits=SPLIT, normalize=True, shard_bytes=10_000)
    export_project(annotated.project, out, opts)
    clips = _clips(annotated)
    seen = 0
    for split in ("train", "dev", "test"):
        index = json.loads((out / f"{split}.shards.json").read_text())
        urls = [str(out / s["url"]) for s in index["shardlist"]]
        samples = list(wds.WebDataset(urls, shardshuffle=False).to_tuple("__key__", "flac", "json"))
        assert len(samples) == sum(s["nsamples"] for s in index["shardlist"])
        for key, flac, meta in samples:
            row = json.loads(meta)
            assert row["id"] == key and row["split"] == split
            assert row["text"] == row["text_normalized"]
            data, rate = sf.read(io.BytesIO(flac), dtype="int16")
            assert rate == 16_000
            assert np.array_equal(data, clips[row["recording"], row["start_ms"], row["end_ms"]])
            seen += 1
    assert seen == 7
    assert len(list(out.glob("train-*.tar"))) > 1  # 10 kB shards: the train split needs more
    stats = json.loads((out / "stats.json").read_text())
    assert stats["shards"]["train"].startswith("train-{000000..")


def test_kaldi_dirs_follow_validate_data_dir(annotated: Annotated, tmp_path: Path) -> None:
    """What Kaldi's utils/validate_data_dir.sh checks: C-sorted unique keys, utt2spk and
    spk2utt consistent, speaker-prefixed utterance ids, text for every utterance, and
    with recordings, segments inside the recordings that wav.scp and reco2dur list."""
    opts = ExportOptions("kaldi", DRAFTS, audio="recordings", splits=SPLIT)
    export_project(annotated.project, tmp_path, opts)
    clips = _clips(annotated)
    for split in ("train", "dev", "test"):
        d = tmp_path / split
        files = {
            n: (d / n).read_text(encoding="utf-8").splitlines()
            for n in ("wav.scp", "segments", "reco2dur", "text", "utt2spk", "spk2utt")
        }
        for name, lines in files.items():
            keys = [line.split(" ", 1)[0] for line in lines]
            assert keys == sorted(keys, key=lambda k: k.encode()), name
            assert len(set(keys)) == len(keys), name
        utt2spk = dict(line.split() for line in files["utt2spk"])
        assert all(utt.startswith(spk + "-") for utt, spk in utt2spk.items())
        spk2utt = {line.split()[0]: line.split()[1:] for line in files["spk2utt"]}
        assert all(us == sorted(us) for us in spk2utt.values())
        assert {u: s for s, us in spk2utt.items() for u in us} == utt2spk
        assert {line.split()[0] for line in files["text"]} == set(utt2spk)
        wavs = dict(line.split(" ", 1) for line in files["wav.scp"])
        durs = {k: float(v) for k, v in (line.split() for line in files["reco2dur"])}
        assert set(durs) == set(wavs)
        titles = {}
        for line in files["segments"]:
            utt, rec, start, end = line.split()
            assert utt in utt2spk and rec in wavs
            assert 0 <= float(start) < float(end) <= durs[rec] + 0.001
            audio, rate = sf.read(wavs[rec], dtype="int16")
            assert rate == 16_000 and abs(len(audio) / rate - durs[rec]) < 0.001
            cut = audio[round(float(start) * rate) : round(float(end) * rate)]
            titles[utt] = cut
        assert all(any(np.array_equal(c, w) for w in clips.values()) for c in titles.values())
        assert (tmp_path / "README.md").is_file() and (tmp_path / "stats.json").is_file()


def test_dataset_card_has_hub_metadata_and_statistics(annotated: Annotated, tmp_path: Path) -> None:
    yaml = pytest.importorskip("yaml")
    segs = SegmentService(annotated.project)
    first = segs.list(annotated.rec_ids[0])[0]
    segs.set_language(first.id, "mixed")
    out = tmp_path / "hf"
    export_project(annotated.project, out, ExportOptions("hf", DRAFTS, splits=SPLIT))
    card = (out / "README.md").read_text(encoding="utf-8")
    meta = yaml.safe_load(card.split("---")[1])
    assert meta["pretty_name"] == "Annotated"
    assert meta["license"] == "unknown" and "No license is set" in card
    assert meta["task_categories"] == ["automatic-speech-recognition"]
    assert set(meta["language"]) == {"kk", "ru"}
    info = meta["dataset_info"]
    assert {f["name"] for f in info["features"]} >= {"text", "speaker", "audio_filepath"}
    assert sum(s["num_examples"] for s in info["splits"]) == 7 and info["download_size"] > 0
    stats = json.loads((out / "stats.json").read_text())
    assert stats["splits"] == {
        "method": "speaker-disjoint",
        "ratios": {"train": 0.6, "dev": 0.2, "test": 0.2},
        "seed": 1,
    }
    total = stats["total"]
    assert total["segments"] == 7 and total["code_switched_share"] == round(1 / 7, 4)
    assert total["statuses"] == {"approved": 1, "auto": 1, "edited": 5}
    assert abs(sum(total["language_share"].values()) - 1) < 0.001
    assert sum(s["segments"] for s in stats["per_split"].values()) == 7
    for text in ("## Contents", "| train |", "Code-switched", "load_dataset(", "seed 1"):
        assert text in card

    res = CliRunner().invoke(app, ["project", "license", str(annotated.project.path), "cc-by-4.0"])
    assert res.exit_code == 0 and "cc-by-4.0" in res.output
    export_project(annotated.project, tmp_path / "k", ExportOptions("kaldi"))
    card = (tmp_path / "k" / "README.md").read_text(encoding="utf-8")
    assert yaml.safe_load(card.split("---")[1])["license"] == "cc-by-4.0"
    set_project_license(annotated.project, "")
    assert json.loads((tmp_path / "k" / "stats.json").read_text())["license"] == "cc-by-4.0"


def test_lhotse_supervisions_carry_custom_fields(annotated: Annotated, tmp_path: Path) -> None:
    export_project(annotated.project, tmp_path, ExportOptions("lhotse", DRAFTS, normalize=True))
    with gzip.open(tmp_path / "supervisions_all.jsonl.gz", "rt", encoding="utf-8") as fh:
        sups = [json.loads(line) for line in fh]
    first = next(s for s in sups if s["custom"]["text_raw"] == "Сәлем, досым!")
    assert first["text"] == "сәлем досым" and first["language"] == "kk"
    assert first["custom"]["speaker_name"] == "Айгерім" and first["speaker"].startswith("s")
    assert first["custom"]["tier"] == "transcription" and first["custom"]["status"] == "edited"
    assert first["custom"]["code_switched"] is False
