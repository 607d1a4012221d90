"""The demo project: a few Kazakh clips (espeak-ng) with their script.

The clips go into the ``transcription`` tier's recordings untranscribed, so the
first thing a new user can do is transcribe them; the script they were spoken
from is kept in a ``reference`` tier to compare against.
"""

from __future__ import annotations

import json
from pathlib import Path

from desktop_app.core.jobs import JobState, Progress
from desktop_app.core.paths import data_dir
from desktop_app.core.project import Project, project_path
from desktop_app.core.resources import demo_dir
from desktop_app.core.services.recordings import RecordingMeta, RecordingService
from desktop_app.core.services.segments import NewSegment, SegmentService
from desktop_app.core.services.speakers import SpeakerService, TierService

DEMO_NAME = "Jazba demo"
REFERENCE_TIER = "reference"


def default_demo_path() -> Path:
    return data_dir() / "demo" / "jazba-demo.jazba"


def open_or_build_demo(path: Path | None = None, state: Progress | None = None) -> Project:
    """Open the demo project at ``path``, building it first if it does not exist."""
    folder = project_path(path or default_demo_path())
    if (folder / "project.sqlite").exists():
        return Project.open(folder)
    return build_demo(folder, state)


def build_demo(path: Path, state: Progress | None = None) -> Project:
    state = state or JobState()
    manifest = json.loads((demo_dir() / "demo.json").read_text(encoding="utf-8"))
    clips = manifest["clips"]
    path.parent.mkdir(parents=True, exist_ok=True)
    project = Project.create(path, DEMO_NAME)
    recordings, segments = RecordingService(project), SegmentService(project)
    speakers = SpeakerService(project)
    ref_tier = TierService(project).create(REFERENCE_TIER, kind="comment")
    for i, clip in enumerate(clips):
        langs = sorted({s["language"] for s in clip["segments"]})
        meta = RecordingMeta(
            title=clip["title"],
            languages=",".join(langs),
            place="synthetic (espeak-ng)",
            consent="Synthetic speech; no consent needed.",
            notes=f"Spoken by espeak-ng voice {clip['voice']} from resources/demo/demo.json.",
        )
        info = recordings.import_file(
            demo_dir() / clip["file"], meta, state.sub(i / len(clips), (i + 1) / len(clips))
        )
        speaker = speakers.get_or_create(clip["speaker"])
        segments.add_many(
            info.id,
            [
                NewSegment(
                    s["start_ms"],
                    s["end_ms"],
                    s["text"],
                    speaker_id=speaker.id,
                    language=s["language"],
                )
                for s in clip["segments"]
            ],
            tier_id=ref_tier.id,
            status="approved",
            source="import",
            source_detail="resources/demo/demo.json",
        )
    state.set_progress(1.0, "Demo project ready")
    return project
