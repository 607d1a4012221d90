"""``--task diarize``: who spoke when, for every file of an archive.

Each worker loads the speaker embedder once; a file goes through the
diarization service's :func:`~desktop_app.services.diarization.diarize_audio`
(speech, embeddings, clustering) with the service's default settings. A file
is diarized whole, never in pieces: telling speakers apart needs all of a
file's voices in one clustering. The rows are the turns (times and a speaker
label ``S1``, ``S2``… per file); the run also writes them as RTTM.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from desktop_app.core.audio.importer import load_model_audio
from desktop_app.core.interop.rttm import token
from desktop_app.core.jobs import JobState
from desktop_app.services.batch.work import EngineSettings, FileResult, FileTask, model_audio
from desktop_app.services.diarization import DiarizeRequest, diarize_audio
from desktop_app.speakers.embedder import SpeakerEmbedder
from desktop_app.speakers.models import read_speaker_model


def open_embedder(settings: EngineSettings) -> SpeakerEmbedder:
    return SpeakerEmbedder(read_speaker_model(Path(settings.model_dir)), threads=settings.threads)


def diarize_work(
    engine: SpeakerEmbedder, settings: EngineSettings, task: FileTask, result: FileResult
) -> None:
    request = DiarizeRequest(recording_id=0)
    with model_audio(task) as (path, total_s):
        audio = load_model_audio(path)
        found = diarize_audio(
            audio, engine, request.cluster_options(), JobState(), request.window_s, request.hop_s
        )
    result.audio_s = total_s
    result.segments = [
        {
            "start_ms": round(t.start_s * 1000),
            "end_ms": round(t.end_s * 1000),
            "speaker": f"S{t.label + 1}",
        }
        for t in found.turns
    ]


def rttm(file_id: str, rows: list[dict[str, Any]]) -> str:
    """The turns as RTTM lines (NIST), as :mod:`desktop_app.core.interop.rttm` reads them."""
    name = token(file_id)
    return "".join(
        f"SPEAKER {name} 1 {r['start_ms'] / 1000:.3f} {(r['end_ms'] - r['start_ms']) / 1000:.3f} "
        f"<NA> <NA> {r['speaker']} <NA> <NA>\n"
        for r in rows
    )
