"""Learn voice profiles from the segments people labelled, under one speaker model.

Profiles are per embedding model, so after installing another speaker model
the project's known speakers have no profile under it yet. Diarizing a
recording teaches it from that recording's labelled segments; this job does it
for the whole project at once, without touching any segment: for every
recording, windows inside segments whose speaker a person set are embedded
and folded into that speaker's profile under the model. By default only
speakers without a profile under the model are taught (running it twice adds
nothing twice).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from desktop_app.core.audio.importer import load_model_audio
from desktop_app.core.jobs import Progress
from desktop_app.core.project import Project
from desktop_app.core.services.recordings import RecordingService
from desktop_app.core.services.speaker_profiles import ProfileService
from desktop_app.services.diarization import SAMPLE_RATE, _human_speakers
from desktop_app.speakers.cluster import sliding_windows
from desktop_app.speakers.embedder import SpeakerEmbedder
from desktop_app.speakers.models import choose_speaker_model


@dataclass(frozen=True)
class Learnt:
    model_id: str
    windows: dict[int, int]  # speaker id -> windows folded into its profile


def learn_profiles(
    project: Project,
    state: Progress,
    speaker_model: str | None = None,
    embedder: SpeakerEmbedder | None = None,
    only_missing: bool = True,
    window_s: float = 1.5,
    hop_s: float = 0.75,
) -> Learnt:
    """Teach ``speaker_model`` (None: the best installed) the labelled speakers' voices."""
    if embedder is None:
        embedder = SpeakerEmbedder(choose_speaker_model(speaker_model, state))
    model_id = embedder.model.id
    profiles = ProfileService(project)
    have = {p.speaker_id for p in profiles.profiles(model_id)} if only_missing else set()
    sums: dict[int, np.ndarray] = {}
    counts: dict[int, int] = {}
    recordings = RecordingService(project).list()
    for i, rec in enumerate(recordings):
        state.check()
        state.set_progress(i / max(1, len(recordings)), f"Listening to {rec.title}")
        human = [h for h in _human_speakers(project, rec.id, None) if h[2] not in have]
        if not human:
            continue
        audio = load_model_audio(project.abspath(rec.model_audio_path))
        for start, end, spk in human:
            region = (start * SAMPLE_RATE // 1000, end * SAMPLE_RATE // 1000)
            windows = sliding_windows([region], window_s, hop_s)
            if not windows:
                continue
            emb = embedder.embed(audio, windows)
            sums[spk] = sums.get(spk, 0) + emb.sum(axis=0)
            counts[spk] = counts.get(spk, 0) + len(windows)
    for spk, total in sums.items():
        profiles.add(spk, model_id, total / counts[spk], counts[spk])
    state.set_progress(1.0, f"Learnt {len(counts)} voice(s) with {embedder.model.name}")
    return Learnt(model_id, counts)
