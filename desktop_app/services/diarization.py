"""The diarization job: who spoke when in a recording, written onto its segments.

``diarize_recording`` is a plain function with a progress state, used alike by
the GUI (in a worker thread), the CLI and tests: speech activity → a speaker
embedding every ``hop_s`` over ``window_s`` windows → agglomerative clustering
(number of speakers given, a range, or estimated) → turns → one undoable
operation on the recording (see :mod:`desktop_app.core.services.diarize_apply`).
With a segmentation model (pyannote segmentation-3.0 from the catalog), its
speech regions replace the VAD's and its overlap regions give a second
speaker where two people speak at once (see :mod:`desktop_app.speakers.overlap`):
the turns then overlap, and the project gets the second speakers on its
overlap tier. Each cluster becomes a new project speaker ("Speaker 1", "Speaker 2"…) with a
voice profile; a cluster that sounds like a known speaker's profile gives a
suggestion (or, with ``use_matches``, is labelled as that speaker at once).
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select

from desktop_app.asr.options import VadOptions
from desktop_app.asr.vad import detect_speech
from desktop_app.core.audio.importer import load_model_audio
from desktop_app.core.errors import EditError
from desktop_app.core.jobs import Progress
from desktop_app.core.project import Project
from desktop_app.core.services.diarize_apply import ApplyResult, SpeakerTurn, apply_turns
from desktop_app.core.services.recordings import RecordingService
from desktop_app.core.services.segments import default_tier_id
from desktop_app.core.services.speaker_profiles import MATCH_THRESHOLD, Match, ProfileService
from desktop_app.core.services.speakers import SpeakerService
from desktop_app.core.store.schema import Segment, Speaker
from desktop_app.speakers.cluster import (
    ClusterOptions,
    Turn,
    centroids,
    cluster,
    sliding_windows,
    turns_from_windows,
)
from desktop_app.speakers.embedder import SpeakerEmbedder, Window
from desktop_app.speakers.models import SpeakerModel, choose_speaker_model
from desktop_app.speakers.overlap import second_speakers
from desktop_app.speakers.segmentation import SegmentationOptions, Segmenter
from desktop_app.speakers.segmentation_model import (
    best_segmentation_model,
    find_segmentation_model,
)

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
AUTO = "auto"
NO_SEGMENTATION = "none"
DIARIZATION_VAD = VadOptions(min_silence_ms=250, speech_pad_ms=60, min_speech_ms=200)


@dataclass(frozen=True)
class DiarizeRequest:
    recording_id: int
    n_speakers: int | None = None
    min_speakers: int = 1
    max_speakers: int = 8
    threshold: float = ClusterOptions.threshold
    window_s: float = 1.5
    hop_s: float = 0.75
    match_threshold: float = MATCH_THRESHOLD
    use_matches: bool = False  # label matched clusters with the known speaker at once
    threads: int | None = None
    tier_id: int | None = None
    #: The segmentation model for speech and overlaps: an installed model's id,
    #: AUTO (the best one installed, if any) or NO_SEGMENTATION (VAD, one speaker at a time).
    segmentation: str = "auto"
    #: The speaker model's id; None: the best installed (a catalog model over GE2E).
    speaker_model: str | None = None

    def cluster_options(self) -> ClusterOptions:
        if self.n_speakers is not None and self.n_speakers < 1:
            raise EditError("The number of speakers must be at least 1.")
        if self.min_speakers > self.max_speakers:
            raise EditError("The smallest number of speakers is larger than the largest.")
        return ClusterOptions(
            n_speakers=self.n_speakers,
            min_speakers=self.min_speakers,
            max_speakers=self.max_speakers,
            threshold=self.threshold,
        )


@dataclass(frozen=True)
class FoundSpeaker:
    speaker_id: int
    name: str
    seconds: float
    match: Match | None = None  # the known speaker it sounds like
    suggestion_id: int | None = None


@dataclass(frozen=True)
class DiarizeResult:
    recording_id: int
    speakers: tuple[FoundSpeaker, ...]
    turns: tuple[SpeakerTurn, ...]
    applied: ApplyResult
    audio_seconds: float
    wall_seconds: float
    model_id: str
    timings: dict[str, float] = field(default_factory=dict)
    overlaps: tuple[SpeakerTurn, ...] = ()  # the second speakers' turns (also in ``turns``)
    segmentation_id: str | None = None  # the segmentation model used (None: the VAD)
    model_name: str = ""

    @property
    def rtf(self) -> float:
        return self.wall_seconds / self.audio_seconds if self.audio_seconds else 0.0


@dataclass(frozen=True)
class Diarization:
    """What the audio says, before anything is written: turns with cluster labels."""

    turns: list[Turn]
    centroids: np.ndarray  # (k, dim) unit vectors
    counts: list[int]  # windows per cluster
    timings: dict[str, float]
    windows: list[Window] = field(default_factory=list)
    embeddings: np.ndarray | None = None  # (len(windows), dim)
    overlaps: list[Turn] = field(default_factory=list)  # second speakers (they overlap turns)


def diarize_audio(
    audio: np.ndarray,
    embedder: SpeakerEmbedder,
    opts: ClusterOptions,
    state: Progress,
    window_s: float = 1.5,
    hop_s: float = 0.75,
    segmenter: Segmenter | None = None,
    overlap_regions: list[tuple[float, float]] | None = None,
) -> Diarization:
    """Turns of 16 kHz mono ``audio`` (no project involved; the benchmark uses this).

    With ``segmenter``, speech and overlaps come from it; ``overlap_regions``
    (seconds) overrides the overlaps (the benchmark's oracle)."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    state.set_progress(0.0, "Finding speech")
    regions, found_overlaps = speech_and_overlaps(audio, segmenter, state)
    if overlap_regions is not None:
        found_overlaps = overlap_regions
    timings["vad"] = time.perf_counter() - t0
    state.check()
    windows = sliding_windows(regions, window_s, hop_s)
    embeddings = np.zeros((0, embedder.dim), dtype=np.float32)
    t1 = time.perf_counter()
    step = 64
    parts = []
    for i in range(0, len(windows), step):
        state.check()
        state.set_progress(0.1 + 0.8 * i / max(1, len(windows)), "Listening to the voices")
        parts.append(embedder.embed(audio, windows[i : i + step]))
    if parts:
        embeddings = np.concatenate(parts)
    timings["embed"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    state.set_progress(0.9, "Telling the speakers apart")
    labels = cluster(embeddings, opts)
    turns = turns_from_windows(windows, labels, regions)
    timings["cluster"] = time.perf_counter() - t2
    cents = centroids(embeddings, labels) if len(labels) else embeddings
    counts = np.bincount(labels).tolist() if len(labels) else []
    seconds = second_speakers(turns, found_overlaps)
    return Diarization(turns, cents, counts, timings, windows, embeddings, seconds)


def speech_and_overlaps(
    audio: np.ndarray, segmenter: Segmenter | None, state: Progress
) -> tuple[list[tuple[int, int]], list[tuple[float, float]]]:
    """Speech regions (samples) and overlap regions (seconds): from the segmentation
    model when there is one, else from the VAD (no overlaps)."""
    if segmenter is None:
        vad = detect_speech(audio, DIARIZATION_VAD)
        return [(r.start, r.end) for r in vad.regions], []
    found = segmenter.segment(audio, SegmentationOptions(), state)
    speech = [(round(a * SAMPLE_RATE), round(b * SAMPLE_RATE)) for a, b in found.speech]
    return speech, found.overlap


def choose_segmenter(choice: str, threads: int | None = None) -> Segmenter | None:
    """The segmenter a request asks for: an installed model's id, :data:`AUTO` (the
    best installed, or none) or :data:`NO_SEGMENTATION`."""
    if choice == NO_SEGMENTATION:
        return None
    model = best_segmentation_model() if choice == AUTO else find_segmentation_model(choice)
    return Segmenter(model, threads=threads) if model is not None else None


HUMAN_SHARE = 0.6  # of a cluster's speech inside segments a person gave one speaker


def _human_speakers(
    project: Project, recording_id: int, tier_id: int | None
) -> list[tuple[int, int, int]]:
    """``(start_ms, end_ms, speaker_id)`` of the segments whose speaker a person set."""
    with project.unit() as s:
        tier = tier_id if tier_id is not None else default_tier_id(s)
        rows = s.execute(
            select(Segment.start_ms, Segment.end_ms, Segment.speaker_id).where(
                Segment.recording_id == recording_id,
                Segment.tier_id == tier,
                Segment.deleted.is_(False),
                Segment.status != "auto",
                Segment.speaker_id.is_not(None),
            )
        ).all()
    return [(a, b, int(spk)) for a, b, spk in rows]


def _learn_from_people(
    found: Diarization, human: list[tuple[int, int, int]]
) -> tuple[dict[int, tuple[np.ndarray, int]], dict[int, int]]:
    """What the segments a person labelled teach: each such speaker's profile update
    (mean of the windows inside their segments) and the clusters that are mostly them
    (cluster -> speaker, at most one cluster per speaker)."""
    updates: dict[int, tuple[np.ndarray, int]] = {}
    if found.embeddings is not None:
        by_speaker: dict[int, list[int]] = {}
        for i, w in enumerate(found.windows):
            a, b = w.start * 1000 // SAMPLE_RATE, w.end * 1000 // SAMPLE_RATE
            for start, end, spk in human:
                if start <= a and b <= end:
                    by_speaker.setdefault(spk, []).append(i)
                    break
        for spk, idx in by_speaker.items():
            updates[spk] = (found.embeddings[idx].mean(axis=0), len(idx))
    share: dict[tuple[int, int], float] = {}
    total = [0.0] * len(found.counts)
    for t in found.turns:
        total[t.label] += t.end_s - t.start_s
        for start, end, spk in human:
            o = min(t.end_s, end / 1000) - max(t.start_s, start / 1000)
            if o > 0:
                share[(t.label, spk)] = share.get((t.label, spk), 0.0) + o
    claimed: dict[int, int] = {}
    for (label, spk), secs in sorted(share.items(), key=lambda kv: -kv[1]):
        mostly = total[label] and secs / total[label] >= HUMAN_SHARE
        if mostly and label not in claimed and spk not in claimed.values():
            claimed[label] = spk
    return updates, claimed


AUTO_NAME = re.compile(r"^Speaker \d+$")


def _own_speakers(project: Project, recording_id: int) -> set[int]:
    """Speakers a diarization made for this recording and nobody renamed: named
    "Speaker N", with segments in this recording only (a re-run reuses them)."""
    with project.unit() as s:
        rows = s.execute(
            select(Segment.speaker_id, Segment.recording_id, Speaker.name)
            .join(Speaker, Speaker.id == Segment.speaker_id)
            .where(Segment.deleted.is_(False), Speaker.merged_into_id.is_(None))
            .distinct()
        ).all()
    where: dict[int, set[int]] = {}
    names: dict[int, str] = {}
    for spk, rec, name in rows:
        where.setdefault(spk, set()).add(rec)
        names[spk] = name
    return {
        spk for spk, recs in where.items() if recs == {recording_id} and AUTO_NAME.match(names[spk])
    }


def _next_speaker_names(project: Project, n: int) -> list[str]:
    with project.unit() as s:
        taken = set(s.scalars(select(Speaker.name)))
    names, k = [], 1
    while len(names) < n:
        name = f"Speaker {k}"
        if name not in taken:
            names.append(name)
        k += 1
    return names


def diarize_recording(
    project: Project,
    request: DiarizeRequest,
    state: Progress,
    model: SpeakerModel | None = None,
    embedder: SpeakerEmbedder | None = None,
    segmenter: Segmenter | None = None,
) -> DiarizeResult:
    """Diarize one recording and label its segments (one undo step).

    ``segmenter`` (else the one ``request.segmentation`` names) adds overlaps."""
    opts = request.cluster_options()
    start = time.perf_counter()
    recording = RecordingService(project).get(request.recording_id)
    if embedder is None:
        model = model or choose_speaker_model(request.speaker_model, state)
        embedder = SpeakerEmbedder(model, threads=request.threads)
    model_id = embedder.model.id
    log.info("Identifying speakers with the speaker model '%s'", model_id)
    state.set_progress(0.0, f"Reading the audio (speaker model: {embedder.model.name})")
    audio = load_model_audio(project.abspath(recording.model_audio_path))
    if segmenter is None:
        segmenter = choose_segmenter(request.segmentation, request.threads)
    found = diarize_audio(
        audio, embedder, opts, state, request.window_s, request.hop_s, segmenter=segmenter
    )
    state.check()
    state.set_progress(0.95, "Writing the speakers")
    profiles = ProfileService(project)
    updates, claimed = _learn_from_people(
        found, _human_speakers(project, recording.id, request.tier_id)
    )
    for spk, (vec, count) in updates.items():
        profiles.add(spk, model_id, vec, count)
    matches = profiles.match(
        found.centroids, model_id, request.match_threshold, exclude=set(claimed.values())
    )
    speakers_svc = SpeakerService(project)
    known = {sp.id: sp.name for sp in speakers_svc.list()}
    names = iter(_next_speaker_names(project, len(found.counts)))
    seconds = [0.0] * len(found.counts)
    for t in found.turns:
        seconds[t.label] += t.end_s - t.start_s
    ids: list[int] = []
    out: list[FoundSpeaker] = []
    own = _own_speakers(project, recording.id)
    for k, (match, count) in enumerate(zip(matches, found.counts, strict=True)):
        if k not in claimed and match is not None and match.speaker_id in own:
            claimed[k] = match.speaker_id  # found here by an earlier run (already in its profile)
        if k in claimed:  # mostly segments a person gave this speaker
            ids.append(claimed[k])
            out.append(FoundSpeaker(claimed[k], known.get(claimed[k], "?"), seconds[k]))
            continue
        if match is not None and request.use_matches:
            ids.append(match.speaker_id)
            profiles.add(match.speaker_id, model_id, found.centroids[k], count)
            out.append(FoundSpeaker(match.speaker_id, match.name, seconds[k], match))
            continue
        info = speakers_svc.create(next(names))
        ids.append(info.id)
        profiles.add(info.id, model_id, found.centroids[k], count)
        sug = profiles.suggest(recording.id, info.id, match) if match is not None else None
        out.append(FoundSpeaker(info.id, info.name, seconds[k], match, sug))
    turns, overlaps = _speaker_turns(found.turns, ids), _speaker_turns(found.overlaps, ids)
    applied = apply_turns(
        project,
        recording.id,
        turns,
        tier_id=request.tier_id,
        model_id=model_id,
        overlaps=overlaps if segmenter is not None else None,
    )
    wall = time.perf_counter() - start
    state.set_progress(1.0, "Speakers identified")
    return DiarizeResult(
        recording.id,
        tuple(out),
        tuple(sorted([*turns, *overlaps], key=lambda t: (t.start_ms, t.end_ms))),
        applied,
        audio.shape[0] / SAMPLE_RATE,
        wall,
        model_id,
        found.timings,
        tuple(overlaps),
        segmenter.model.id if segmenter is not None else None,
        embedder.model.name,
    )


def _speaker_turns(turns: list[Turn], ids: list[int]) -> list[SpeakerTurn]:
    return [
        SpeakerTurn(round(t.start_s * 1000), round(t.end_s * 1000), ids[t.label]) for t in turns
    ]
