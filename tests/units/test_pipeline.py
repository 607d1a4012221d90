"""The whole path on tiny models: extract -> k-means -> train -> export -> ORT score."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from desktop_app.asr.registry import ModelRegistry
from desktop_app.core.jobs import JobState
from desktop_app.core.project import Project
from desktop_app.core.services.recordings import RecordingService
from desktop_app.core.services.segments import NewSegment, SegmentService
from desktop_app.services.unit_lm import FitOptions, fit_units
from desktop_app.services.unit_scoring import (
    ScoreRequest,
    read_reference,
    review_queue,
    score_project,
    segment_units,
    unit_flags,
)
from desktop_app.units.extract import cache_dir
from desktop_app.units.registry import UnitRegistry

from .conftest import synth


def test_fit_makes_a_codebook_version_and_cached_units(trained) -> None:
    project, registry, units, _lm = trained
    assert units.config.k == 50 and units.config.features.kind == "hf"
    assert units.config.features.layer == 1 and units.config.features.dim == 32
    assert units.codebook().shape == (50, 32)
    assert not units.has_lm and units.manifest.kind == "units"
    files = sorted(cache_dir(project.path, units.config.cache_key).glob("*.npy"))
    assert len(files) == 4
    frames = np.load(files[0])
    assert frames.dtype == np.int16 and 290 <= frames.size <= 300  # 6 s at 50 Hz
    assert units.manifest.metrics["extract_x_real_time"] > 0
    registry.verify(units.id)  # checksums of every file


def test_train_reports_heldout_metrics_and_exports_a_matching_graph(trained) -> None:
    _project, registry, units, lm = trained
    assert lm.has_lm and lm.manifest.parent_id == units.id and lm.manifest.kind == "unit-lm"
    assert registry.active().id == lm.id
    m = lm.manifest.metrics
    for key in ("heldout_nll", "heldout_ppl", "unigram_ppl", "uniform_ppl", "train_tokens"):
        assert math.isfinite(m[key]), key
    assert m["uniform_ppl"] == 50
    assert math.isclose(m["heldout_ppl"], math.exp(m["heldout_nll"]), rel_tol=1e-6)
    assert m["onnx_max_abs_diff"] < 1e-3
    assert lm.config.cache_key == units.config.cache_key  # same codebook, same cache


def test_scoring_stores_perplexity_without_revisions(trained) -> None:
    project, registry, _units, lm = trained
    recs = RecordingService(project).list()
    segs = SegmentService(project)
    for rec in recs:
        segs.add_many(rec.id, [NewSegment(0, 1500, "a"), NewSegment(2000, 5000, "b")])
    before = {s.id: s for r in recs for s in segs.list(r.id) if s.end_ms <= 5000}
    history = {seg_id: len(segs.history(seg_id)) for seg_id in before}
    undo_step = segs.last_undoable()
    result = score_project(project, ScoreRequest(), JobState(), registry=registry)
    after = {s.id: s for r in recs for s in segs.list(r.id)}
    assert result.version_id == lm.id and result.scored == len(after) >= 8
    assert result.too_short == 0
    after = {k: v for k, v in after.items() if k in before}
    for seg_id, seg in after.items():
        assert before[seg_id].unit_perplexity is None
        assert seg.unit_perplexity is not None and seg.unit_perplexity >= 1.0
        # derived data: no revision, no undo step, everything else unchanged
        assert len(segs.history(seg_id)) == history[seg_id]
        assert seg == replace(before[seg_id], unit_perplexity=seg.unit_perplexity)
    assert segs.last_undoable() == undo_step
    assert project.meta()["unit_lm_version"] == lm.id
    reference = read_reference(project)  # 3 s windows of all audio: 2 per 6 s recording
    assert reference is not None and reference.version_id == lm.id and reference.windows == 8
    assert reference.spread >= 0.05 and 0 < reference.median < math.log(50)
    # scores equal the scorer's own on the segment's unit sequence
    seg = next(iter(after.values()))
    seq = segment_units(project, seg, version=lm)
    assert seq and all(0 <= u < 50 for u in seq)
    assert np.all(np.diff(seq) != 0)  # collapsed
    expect = lm.scorer().score(np.array(seq)).perplexity
    assert seg.unit_perplexity == pytest.approx(expect, rel=1e-3)
    frames = segment_units(project, seg.id, version=lm, collapsed=False)
    assert len(frames) == (seg.end_ms - seg.start_ms) // 20


def test_review_queue_and_flags_use_perplexity(trained) -> None:
    project, _registry, _units, _lm = trained
    queue = review_queue(project)
    assert [it.priority for it in queue] == sorted((it.priority for it in queue), reverse=True)
    assert all(0.0 <= it.unit_risk <= 1.0 for it in queue)
    # with no ASR confidence the order is the perplexity order
    ppl = [it.segment.unit_perplexity for it in queue]
    assert ppl == sorted(ppl, reverse=True)
    flags = unit_flags([it.segment for it in queue])
    assert set(flags) == {it.segment.id for it in queue}
    assert set(flags.values()) <= {None, "noise", "other-language"}


def test_whisper_stand_in_features_run_in_process(
    tmp_path: Path, tiny_whisper_registry: Path, write_wav
) -> None:
    from desktop_app.services.unit_lm import ensure_units
    from desktop_app.units.extract import UnitExtractor

    project = Project.create(tmp_path / "w")
    try:
        for i in range(2):
            RecordingService(project).import_file(write_wav(f"v{i}.wav", synth(3.0, i)))
        registry = UnitRegistry(tmp_path / "unitlm")
        version = fit_units(
            project,
            FitOptions(k=50, max_frames=5000),
            registry=registry,
            asr_registry=ModelRegistry(tiny_whisper_registry),
        )
        spec = version.config.features
        assert spec.kind == "whisper-onnx" and spec.layer == 1 and spec.dim == 32
        assert spec.source == "tiny-whisper"
        # the cached units (subprocess) equal the in-process ONNX Runtime extraction
        files = ensure_units(project, version)
        rec = RecordingService(project).list()[0]
        from desktop_app.core.audio.importer import load_model_audio

        audio = load_model_audio(project.abspath(rec.model_audio_path))
        units = UnitExtractor(version)(audio)
        assert units.size == 150
        assert np.array_equal(np.load(files[rec.id]), units)
    finally:
        project.close()


def test_missing_hf_units_are_extracted_again_in_the_subprocess(trained) -> None:
    from desktop_app.services.unit_lm import ensure_units

    project, _registry, units, lm = trained
    files = ensure_units(project, lm)  # all cached: nothing to run
    rec_id, path = next(iter(files.items()))
    kept = np.load(path)
    path.unlink()
    again = ensure_units(project, units, recording_ids=[rec_id])
    assert list(again) == [rec_id]
    assert np.array_equal(np.load(again[rec_id]), kept)


def test_dataset_export_carries_unit_sequences(trained, tmp_path: Path) -> None:
    import json

    from desktop_app.core.interop.exporter import ExportOptions, export_project
    from desktop_app.core.interop.select import ExportFilter
    from desktop_app.services.unit_scoring import unit_provider

    project, registry, _units, _lm = trained
    segs = SegmentService(project)
    rec = RecordingService(project).list()[0]
    if not segs.list(rec.id):
        segs.add_many(rec.id, [NewSegment(0, 1500, "a")])
    provider = unit_provider(project, registry)
    assert provider is not None
    opts = ExportOptions(format="jsonl", filter=ExportFilter(include_drafts=True))
    export_project(project, tmp_path / "out", opts, units=provider)
    (manifest,) = (tmp_path / "out").glob("*.jsonl")
    rows = [json.loads(line) for line in manifest.read_text("utf-8").splitlines()]
    assert rows and all(row["units"] for row in rows)
    first = next(s for r in RecordingService(project).list() for s in segs.list(r.id))
    assert rows[0]["units"] == segment_units(project, first, version=registry.active())
    assert unit_provider(project, UnitRegistry(tmp_path / "none")) is None
