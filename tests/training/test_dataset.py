"""Training data from approved segments: test set that never moves, splits, export, audit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import soundfile as sf

from desktop_app.core.learning.audit import audit
from desktop_app.core.learning.dataset import (
    TEST_SET_KEY,
    DatasetError,
    Example,
    Splits,
    build_splits,
    collect_examples,
    export_dataset,
    held_out,
    read_manifest,
    split_train_dev,
)
from desktop_app.core.project import Project
from desktop_app.core.services.segments import SegmentService
from desktop_app.services.active import rank_for_review
from tests.training.conftest import SPEAKERS, TEXTS


def test_collects_approved_segments_with_speaker_metadata(filled_project: Project) -> None:
    examples = collect_examples(filled_project)
    per_recording = 2 * len(TEXTS) - 2
    assert len(examples) == len(SPEAKERS) * per_recording
    assert all(ex.status == "approved" for ex in examples)
    first = examples[0]
    assert (first.speaker, first.gender, first.age_band, first.language) == (
        "Айгүл", "female", "20-29", "kk"
    )  # fmt: skip
    with_edited = collect_examples(filled_project, include_edited=True)
    assert len(with_edited) == len(examples)  # the auto ones never count


def test_test_set_is_fixed_and_survives_edits(filled_project: Project) -> None:
    examples = collect_examples(filled_project)
    pool, test = held_out(filled_project, examples)
    assert test and pool
    assert not {e.key for e in pool} & {e.key for e in test}
    policy = json.loads(filled_project.meta()[TEST_SET_KEY])
    assert policy["salt"] and policy["fraction"] == pytest.approx(0.1)

    # The same choice on every call, even with other arguments.
    _, again = held_out(filled_project, examples, fraction=0.5)
    assert [e.key for e in again] == [e.key for e in test]

    # Splitting a test segment keeps both halves in the test set; training
    # segments never move into it.
    victim = test[0]
    # (a cut inside the word: a half without text would be no example at all)
    SegmentService(filled_project).split(victim.segment_id, victim.start_ms + 700, text_cut=1)
    SegmentService(filled_project).set_status(
        max(s.id for s in SegmentService(filled_project).list(victim.recording_id)), "approved"
    )
    pool2, test2 = held_out(filled_project, collect_examples(filled_project))
    assert {e.key for e in pool2} <= {e.key for e in pool} | {e.key for e in test2}
    assert {e.key for e in pool} - {victim.key} >= {e.key for e in pool2}
    halves = [e for e in test2 if e.recording_id == victim.recording_id
              and victim.start_ms <= e.start_ms < victim.end_ms]  # fmt: skip
    assert len(halves) == 2


def test_small_projects_still_get_a_test_set(project: Project, tmp_path: Path) -> None:
    from tests.training.conftest import fill_project

    fill_project(project, tmp_path, repeats=1)
    examples = collect_examples(project)
    _pool, test = held_out(project, examples, fraction=0.0001)
    assert len(test) >= 2  # pinned on the first use


def _ex(key: str, speaker: str, seconds: float = 2.0) -> Example:
    return Example(key=key, audio_path="x.wav", text="су", start_ms=0,
                   end_ms=int(seconds * 1000), speaker=speaker, recording_id=hash(key) % 7,
                   project="p")  # fmt: skip


def test_dev_is_speaker_disjoint_when_there_are_enough_speakers() -> None:
    pool = [_ex(f"{s}-{i}", s) for s in "ABCDEFGHIJ" for i in range(5)]
    train, dev, by = split_train_dev(pool, 0.1)
    assert by == "speaker"
    assert dev and not {e.speaker for e in train} & {e.speaker for e in dev}
    assert len(train) + len(dev) == len(pool)


def test_dev_falls_back_when_one_speaker_only() -> None:
    pool = [_ex(f"k{i}", "A") for i in range(30)]
    train, dev, by = split_train_dev(pool, 0.1)
    assert by != "speaker"
    assert dev and len(train) + len(dev) == 30


def test_export_writes_16k_clips_and_a_manifest(filled_project: Project, tmp_path: Path) -> None:
    splits = build_splits([filled_project])
    manifest = export_dataset(splits, tmp_path / "data")
    rows = [json.loads(x) for x in manifest.read_text("utf-8").splitlines()]
    assert len(rows) == len(splits.all())
    assert {r["split"] for r in rows} == {"train", "dev", "test"}
    info = sf.info(manifest.parent / rows[0]["audio"])
    assert (info.samplerate, info.channels) == (16000, 1)
    assert info.duration == pytest.approx(rows[0]["duration"], abs=0.01)
    assert [e.text for e in read_manifest(manifest, "test")] == [e.text for e in splits.test]
    with pytest.raises(DatasetError, match="already exists"):
        export_dataset(splits, tmp_path / "data")


def test_failed_export_leaves_nothing(tmp_path: Path) -> None:
    bad = Splits(train=[Example("k", str(tmp_path / "missing.flac"), "су", 0, 1000)])
    with pytest.raises(Exception, match=r"missing\.flac"):
        export_dataset(bad, tmp_path / "data")
    assert list(tmp_path.iterdir()) == []


def test_audit_counts_and_flags(filled_project: Project) -> None:
    splits = build_splits([filled_project])
    splits.train.append(Example("x/1", splits.train[0].audio_path, "...", 0, 1000, speaker="Айгүл"))
    splits.train.append(
        Example("x/2", splits.train[0].audio_path, "өте ұзақ " * 20, 0, 1000, speaker="Айгүл")
    )
    result = audit(splits)
    assert result.segments == len(splits.all())
    assert set(result.speakers) == {s[0] for s in SPEAKERS}
    assert result.genders["female"] > result.genders["male"]
    assert result.languages == {"kk": result.segments - 2, "unknown": 2}
    kinds = result.counts_by_kind()
    assert kinds["empty"] == 1
    assert kinds["too_long"] == 1
    assert kinds["loop"] == 1
    assert "repeated" not in kinds  # one-word texts said by everyone are fine
    assert result.splits["test"].segments == len(splits.test)
    assert any("minutes" in line for line in result.summary_lines())


def test_audit_flags_a_text_repeated_by_one_speaker(filled_project: Project) -> None:
    splits = build_splits([filled_project])
    wav = splits.train[0].audio_path
    splits.train += [
        Example("x/1", wav, "нан мен сүт", 0, 1500, speaker="Айгүл"),
        Example("x/2", wav, "Нан мен сүт!", 2000, 3500, speaker="Айгүл"),
        Example("x/3", wav, "нан мен сүт", 4000, 5500, speaker="Ерлан"),
    ]
    flagged = [s.key for s in audit(splits).suspicious if s.kind == "repeated"]
    assert flagged == ["x/1", "x/2"]


def test_review_queue_puts_least_confident_first(filled_project: Project) -> None:
    items = rank_for_review(filled_project)
    assert len(items) == 2 * len(SPEAKERS)  # the auto segments only
    # no unit-LM perplexities here: the priority is the ASR doubt alone
    priorities = [it.priority for it in items]
    assert priorities == sorted(priorities, reverse=True)
    assert all(it.priority == pytest.approx(it.asr_risk) for it in items)
    assert all(it.segment.status != "approved" for it in items)
