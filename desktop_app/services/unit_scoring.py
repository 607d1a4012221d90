"""Unit-LM perplexity of segments: scoring job, flags, review queue, unit sequences.

``score_project`` gives every segment a perplexity under the active unit LM
(ONNX Runtime, CPU or CUDA) and stores it in ``Segment.unit_perplexity``. It
is *derived data*, like the audio cache: it is written with a plain update,
not as a user revision, so it makes no undo step and leaves the segment's
``updated_at`` and history alone; re-scoring simply overwrites it. The unit LM
that produced the values is recorded in the project meta (``unit_lm_version``).

High perplexity means "unlike the rest of this project's audio": noise,
music, silence, another language, or simply unusual speech. Flags are
therefore relative to the project's own distribution: robust z-scores of
log-perplexity against 3 s windows of all the project's audio (the
:class:`Reference`, stored in the project meta by each scoring run), and
:func:`review_queue` mixes them with ASR confidence. That queue is the one
review ranking of the app (the main window, ``jazba units score``, and via
:func:`desktop_app.services.active.rank_for_review` the Training dialog
and ``jazba review-queue``).
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from desktop_app.core.jobs import JobState, Progress, SubState
from desktop_app.core.project import Project
from desktop_app.core.services.dto import SegmentInfo
from desktop_app.core.services.job_log import JobLog
from desktop_app.core.services.recordings import RecordingService
from desktop_app.core.services.segments import to_info
from desktop_app.core.store.schema import Recording, Segment
from desktop_app.services.unit_lm import ensure_units
from desktop_app.units.codebook import collapse
from desktop_app.units.extract import cache_file, load_units
from desktop_app.units.registry import UnitRegistry, UnitVersion
from desktop_app.units.scorer import UnitLMScorer

log = logging.getLogger(__name__)

META_KEY = "unit_lm_version"
FRAME_MS = 20


@dataclass(frozen=True)
class ScoreRequest:
    version_id: str | None = None  # None: the active unit LM
    recording_ids: list[int] | None = None  # None: all recordings
    device: str = "cpu"  # cpu, cuda, auto (ONNX Runtime)
    threads: int | None = None


@dataclass(frozen=True)
class ScoreResult:
    version_id: str
    scored: int
    too_short: int
    audio_seconds: float
    wall_seconds: float
    device: str


def frames_of(units: np.ndarray, start_ms: int, end_ms: int) -> np.ndarray:
    """The frame units covering ``[start_ms, end_ms)`` (20 ms frames)."""
    first = max(0, start_ms // FRAME_MS)
    last = min(units.size, -(-end_ms // FRAME_MS))
    return units[first:last] if last > first else units[:0]


def _version(registry: UnitRegistry | None, version_id: str | None) -> UnitVersion:
    return (registry or UnitRegistry()).resolve(version_id, need_lm=True)


def _current_version(registry: UnitRegistry) -> UnitVersion | None:
    """The active unit version, else the newest installed one, else None."""
    return registry.active() or (registry.versions() or [None])[-1]


def segment_units(
    project: Project,
    segment: SegmentInfo | int,
    *,
    version: UnitVersion | None = None,
    collapsed: bool | None = None,
) -> list[int] | None:
    """The unit sequence of ``segment`` (for exporters), or None when not available.

    Uses the active unit LM's codebook and the project's unit cache (filled by
    scoring or training); None when no unit model is installed, the units of
    the recording were never extracted, or the segment is shorter than one
    20 ms frame. ``collapsed`` defaults to the version's setting.
    """
    if version is None:
        version = _current_version(UnitRegistry())
        if version is None:
            return None
    seg_id = segment if isinstance(segment, int) else segment.id
    with project.unit() as s:
        row = s.execute(
            select(Segment.start_ms, Segment.end_ms, Recording.sha256)
            .join(Recording, Recording.id == Segment.recording_id)
            .where(Segment.id == seg_id)
        ).first()
    if row is None:
        return None
    units = load_units(cache_file(project.path, version.config.cache_key, row.sha256))
    if units is None:
        return None
    piece = frames_of(units, row.start_ms, row.end_ms)
    if piece.size == 0:
        return None
    if version.config.collapse if collapsed is None else collapsed:
        piece = collapse(piece)
    return [int(u) for u in piece]


def unit_provider(
    project: Project, registry: UnitRegistry | None = None
) -> Callable[[int], list[int] | None] | None:
    """Segment id → unit sequence, for the dataset exporters; None without a unit model."""
    version = _current_version(registry or UnitRegistry())
    if version is None:
        return None
    return lambda seg_id: segment_units(project, seg_id, version=version)


def score_project(
    project: Project,
    request: ScoreRequest | None = None,
    state: Progress | None = None,
    *,
    registry: UnitRegistry | None = None,
    python: str | None = None,
) -> ScoreResult:
    """Store every (non-deleted) segment's unit-LM perplexity; see the module doc."""
    request = request or ScoreRequest()
    state = state or JobState()
    version = _version(registry, request.version_id)
    t0 = time.perf_counter()
    with JobLog(project).track("unitlm-score", {"version": version.id}):
        files = ensure_units(
            project,
            version,
            SubState(state, 0.0, 0.6),
            recording_ids=request.recording_ids,
            device=request.device,
            python=python,
        )
        scorer = version.scorer(request.device, request.threads)
        recordings = {r.id: r for r in RecordingService(project).list()}
        wanted = request.recording_ids or list(recordings)
        scored = too_short = 0
        audio_s = 0.0
        for i, rec_id in enumerate(wanted):
            state.set_progress(0.6 + 0.4 * i / max(1, len(wanted)), "Scoring segments")
            with project.unit() as s:
                segs = s.execute(
                    select(Segment.id, Segment.start_ms, Segment.end_ms).where(
                        Segment.recording_id == rec_id, Segment.deleted.is_(False)
                    )
                ).all()
            units = np.load(files[rec_id]) if rec_id in files else np.zeros(0, np.int16)
            ids, seqs, empty = [], [], []
            for seg in segs:
                piece = frames_of(units, seg.start_ms, seg.end_ms)
                if version.config.collapse:
                    piece = collapse(piece)
                if piece.size:
                    ids.append(seg.id)
                    seqs.append(piece)
                else:
                    empty.append(seg.id)
            scores = scorer.score_many(seqs)
            state.check()
            with project.unit() as s:
                for seg_id, score in zip(ids, scores, strict=True):
                    _store(s, seg_id, round(score.perplexity, 4))
                for seg_id in empty:
                    _store(s, seg_id, None)
            scored += len(ids)
            too_short += len(empty)
            audio_s += recordings[rec_id].duration_ms / 1000 if rec_id in recordings else 0.0
        state.set_progress(0.98, "Scoring the project's audio for reference")
        arrays = [np.load(path) for path in unit_files(project, version).values()]
        reference = window_reference(version, scorer, arrays)
        project.set_meta(META_KEY, version.id)
        project.set_meta(REFERENCE_KEY, json.dumps(asdict(reference)) if reference else "")
        state.set_progress(1.0, f"Scored {scored} segment(s)")
    return ScoreResult(
        version.id, scored, too_short, audio_s, time.perf_counter() - t0, scorer.device.device
    )


def _store(session: Session, segment_id: int, value: float | None) -> None:
    """Plain update of derived data: no revision, ``updated_at`` kept as it was."""
    session.execute(
        update(Segment)
        .where(Segment.id == segment_id)
        .values(unit_perplexity=value, updated_at=Segment.updated_at)
    )


# -- flags and the review queue -------------------------------------------------------


@dataclass(frozen=True)
class FlagThresholds:
    """Robust z-scores of log-perplexity (median, MAD) within the project."""

    unusual: float = 1.5  # likely other language or unusual speech
    noise: float = 3.0  # likely noise / non-speech
    min_segments: int = 8  # fewer scored segments: no flags (no distribution yet)


FLAG_NOISE = "noise"
FLAG_OTHER = "other-language"
FLAG_TEXT = {
    FLAG_NOISE: "Likely noise or non-speech (very unlike this project's audio)",
    FLAG_OTHER: "Unusual: possibly another language or unclear speech",
}


@dataclass(frozen=True)
class Reference:
    """What "typical" means in this project: log-perplexity of 3 s windows of all its audio.

    Segments are often a biased sample (only what was transcribed); the whole
    audio, segmented or not, is what the project sounds like.
    """

    version_id: str
    median: float
    spread: float  # 1.4826 * MAD (a robust standard deviation), at least MIN_SPREAD
    windows: int


MIN_SPREAD = 0.05
REFERENCE_KEY = "unit_lm_reference"
WINDOW_FRAMES = 150  # 3 s


def _robust(logs: np.ndarray) -> tuple[float, float]:
    median = float(np.median(logs))
    return median, max(1.4826 * float(np.median(np.abs(logs - median))), MIN_SPREAD)


def window_reference(
    version: UnitVersion, scorer: UnitLMScorer, unit_arrays: list[np.ndarray]
) -> Reference | None:
    """Score 3 s windows of every recording's units; None when there are fewer than 8."""
    seqs = []
    for units in unit_arrays:
        for i in range(0, max(0, units.size - WINDOW_FRAMES // 2), WINDOW_FRAMES):
            piece = units[i : i + WINDOW_FRAMES]
            seqs.append(collapse(piece) if version.config.collapse else piece)
    logs = np.array([math.log(sc.perplexity) for sc in scorer.score_many(seqs) if sc.tokens])
    if logs.size < 8:
        return None
    median, spread = _robust(logs)
    return Reference(version.id, median, spread, int(logs.size))


def read_reference(project: Project) -> Reference | None:
    """The reference stored by the last scoring run, if it belongs to the LM that scored."""
    meta = project.meta()
    try:
        data = json.loads(meta.get(REFERENCE_KEY, ""))
        ref = Reference(**data)
    except (ValueError, TypeError):
        return None
    return ref if ref.version_id == meta.get(META_KEY) else None


def perplexity_z(values: dict[int, float], reference: Reference | None = None) -> dict[int, float]:
    """Robust z-score of log-perplexity for each segment id (against ``reference`` if given,
    else against the values themselves)."""
    if not values:
        return {}
    if reference is not None:
        median, spread = reference.median, reference.spread
    else:
        median, spread = _robust(np.log(np.array(list(values.values()), dtype=np.float64)))
    return {k: (math.log(v) - median) / spread for k, v in values.items()}


def unit_flags(
    segments: list[SegmentInfo],
    thresholds: FlagThresholds | None = None,
    reference: Reference | None = None,
) -> dict[int, str | None]:
    """``{segment id: flag or None}`` relative to ``reference`` (the project's audio), or
    without one to the perplexities of ``segments`` (then at least ``min_segments``)."""
    thresholds = thresholds or FlagThresholds()
    values = {s.id: float(s.unit_perplexity) for s in segments if s.unit_perplexity}
    if reference is None and len(values) < thresholds.min_segments:
        return {s.id: None for s in segments}
    z = perplexity_z(values, reference)
    out: dict[int, str | None] = {}
    for s in segments:
        score = z.get(s.id)
        if score is None or score < thresholds.unusual:
            out[s.id] = None
        else:
            out[s.id] = FLAG_NOISE if score >= thresholds.noise else FLAG_OTHER
    return out


@dataclass(frozen=True)
class ReviewItem:
    segment: SegmentInfo
    priority: float  # 0..1, higher = review first
    asr_risk: float  # 1 - ASR confidence, weakest word counted (0.5 when unknown)
    unit_risk: float  # percentile of the segment's perplexity in the project (0.5 when unknown)
    flag: str | None
    recording_title: str = ""
    weakest_word: str | None = None


def asr_confidence(seg: SegmentInfo) -> tuple[float | None, str | None]:
    """``(confidence, weakest word)``: the ASR confidence (exp of the mean token
    log-probability) pulled down by the segment's weakest word, so one garbled
    word in an otherwise confident line still surfaces; None when never scored."""
    weakest: tuple[float, str | None] = (1.0, None)
    for w in seg.words or []:
        p = w.get("p") if isinstance(w, dict) else None
        if isinstance(p, (int, float)) and p < weakest[0]:
            weakest = (float(p), str(w.get("w", "")).strip() or None)
    if seg.confidence is None:
        return None, weakest[1]
    conf = float(seg.confidence)
    return min(conf, 0.5 * (conf + weakest[0])), weakest[1]


def review_queue(
    project: Project,
    recording_id: int | None = None,
    *,
    weight: float = 0.5,
    include_approved: bool = False,
    thresholds: FlagThresholds | None = None,
    text_only: bool = False,
    limit: int | None = None,
) -> list[ReviewItem]:
    """Segments to review, most doubtful first: the project's one review ranking.

    ``priority = weight * (1 - confidence) + (1 - weight) * perplexity percentile``:
    the ASR's own doubt (see :func:`asr_confidence`) and "this audio is unlike
    the rest of the project". Until at least two segments have a unit-LM
    perplexity the priority is the ASR doubt alone. Segments with neither a
    confidence nor a perplexity (never scored, e.g. imported) get priority 0
    and come last. Perplexity percentiles and flags are computed over the
    whole project. ``text_only`` leaves out segments without text; ``limit``
    keeps the first N.
    """
    with project.unit() as s:
        rows = s.execute(
            select(Segment, Recording.title)
            .join(Recording, Recording.id == Segment.recording_id)
            .where(Segment.deleted.is_(False))
        ).all()
        titled = [(to_info(r), title) for r, title in rows]
    segments = [seg for seg, _title in titled]
    flags = unit_flags(segments, thresholds, read_reference(project))
    ppl = np.array([s.unit_perplexity for s in segments if s.unit_perplexity], dtype=np.float64)
    ranks = np.sort(ppl)
    items = []
    for seg, title in titled:
        if recording_id is not None and seg.recording_id != recording_id:
            continue
        if seg.status == "approved" and not include_approved:
            continue
        if text_only and not seg.text.strip():
            continue
        conf, weakest = asr_confidence(seg)
        asr = 0.5 if conf is None else 1.0 - conf
        if seg.unit_perplexity and ranks.size > 1:
            unit = float(np.searchsorted(ranks, seg.unit_perplexity, side="right") - 1) / (
                ranks.size - 1
            )
        else:
            unit = 0.5
        if conf is None and not seg.unit_perplexity:
            priority = 0.0  # nothing known about it
        elif ranks.size > 1:
            priority = weight * asr + (1.0 - weight) * unit
        else:
            priority = asr  # no perplexities stored: ASR confidence alone
        items.append(ReviewItem(seg, priority, asr, unit, flags.get(seg.id), title, weakest))
    items.sort(key=lambda it: (-it.priority, it.segment.recording_id, it.segment.start_ms))
    return items if limit is None else items[:limit]


def unit_files(project: Project, version: UnitVersion) -> dict[int, Path]:
    """Cached unit files of the project's recordings for ``version`` (exporters, tools)."""
    out = {}
    for r in RecordingService(project).list():
        path = cache_file(project.path, version.config.cache_key, r.sha256)
        if path.is_file():
            out[r.id] = path
    return out


def project_z_and_flags(
    project: Project, thresholds: FlagThresholds | None = None
) -> tuple[dict[int, float], dict[int, str | None]]:
    """Robust z-scores and flags of every scored segment of the project (for views)."""
    with project.unit() as s:
        rows = s.scalars(
            select(Segment).where(Segment.deleted.is_(False), Segment.unit_perplexity.is_not(None))
        ).all()
        segments = [to_info(r) for r in rows]
    values = {seg.id: float(seg.unit_perplexity) for seg in segments if seg.unit_perplexity}
    reference = read_reference(project)
    return perplexity_z(values, reference), unit_flags(segments, thresholds, reference)
