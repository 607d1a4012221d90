"""An annotated project built from two short generated recordings.

Two recordings (6 s and 4 s of tones), three speakers (one with a Cyrillic
name, one named like a path attack), two tiers, languages kk/ru/none, every
status, word timings on one segment and two overlapping segments of one
speaker (which ELAN and Praat need overflow tiers for).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from sqlalchemy import func, select

from desktop_app.core.project import Project
from desktop_app.core.services.recordings import RecordingService
from desktop_app.core.services.segments import NewSegment, SegmentService
from desktop_app.core.services.speakers import SpeakerService, TierService
from desktop_app.core.store.schema import Operation, Segment, Speaker, Tier

HOSTILE = "../../etc"


def tone(path: Path, seconds: float, freq: float = 220.0) -> Path:
    t = np.arange(round(seconds * 16_000)) / 16_000
    sf.write(path, (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), 16_000)
    return path


@dataclass
class Annotated:
    project: Project
    audio: list[Path]  # the source audio files (to import into a fresh project)
    rec_ids: list[int]


def fresh_project(tmp_path: Path, name: str, audio: list[Path]) -> Project:
    """A new project with the same audio imported (recordings matched by name)."""
    project = Project.create(tmp_path / name)
    for f in audio:
        RecordingService(project).import_file(f)
    return project


def build_annotated(tmp_path: Path) -> Annotated:
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    audio = [tone(src / "interview_a.wav", 6.0), tone(src / "interview_b.wav", 4.0, 330.0)]
    project = Project.create(tmp_path / "annotated", name="Annotated")
    recs = [RecordingService(project).import_file(f).id for f in audio]
    speakers = SpeakerService(project)
    aigerim = speakers.create("Айгерім").id
    bolat = speakers.create("Bolat").id
    hostile = speakers.create(HOSTILE).id
    translation = TierService(project).create("translation", kind="translation").id
    segs = SegmentService(project)
    words = [{"w": "сәлем", "s": 0.1, "e": 0.5, "p": 0.9}, {"w": "досым", "s": 0.55, "e": 1.1}]
    segs.add_many(
        recs[0],
        [
            NewSegment(100, 1200, "Сәлем, досым!", aigerim, "kk", words=words),
            NewSegment(1300, 2500, "Как дела?", bolat, "ru"),
            NewSegment(2400, 3300, "Жақсы, рақмет.", aigerim, "kk"),
            NewSegment(3000, 3900, "overlapping speech", aigerim, None),  # overlaps the previous
            NewSegment(4000, 5990, "соңғы сөз", hostile, "kk"),
        ],
        status="edited",
        source="user",
    )
    segs.add_many(
        recs[0],
        [NewSegment(100, 1200, "Hello, my friend!", aigerim, "en")],
        tier_id=translation,
        status="approved",
        source="user",
    )
    b = segs.add_many(
        recs[1],
        [
            NewSegment(0, 1500, "екінші жазба", bolat, "kk"),
            NewSegment(1600, 3000, "no speaker here", None, "ru"),
        ],
        status="auto",
        source="user",
    )
    segs.set_status(b.segment_ids[0], "approved")
    return Annotated(project, audio, recs)


@pytest.fixture
def annotated(tmp_path: Path) -> Iterator[Annotated]:
    a = build_annotated(tmp_path)
    yield a
    a.project.close()


@pytest.fixture
def make_fresh(tmp_path: Path) -> Iterator[Callable[[list[Path]], Project]]:
    opened: list[Project] = []

    def make(audio: list[Path]) -> Project:
        p = fresh_project(tmp_path, f"fresh{len(opened)}", audio)
        opened.append(p)
        return p

    yield make
    for p in opened:
        p.close()


def project_counts(project: Project) -> tuple[int, int, int, int]:
    """(segments, operations, speakers, tiers): to check that a failure changed nothing."""
    with project.unit() as s:
        return (
            s.scalar(select(func.count()).select_from(Segment)) or 0,
            s.scalar(select(func.count()).select_from(Operation)) or 0,
            s.scalar(select(func.count()).select_from(Speaker)) or 0,
            s.scalar(select(func.count()).select_from(Tier)) or 0,
        )


def canonical(
    project: Project, fields: tuple[str, ...] = ("text", "speaker", "tier", "language")
) -> list[tuple]:
    """The project's segments as comparable tuples: recording title, times, ``fields``."""
    out = []
    with project.unit() as s:
        rows = s.execute(
            select(Segment, Tier.name, Tier.kind, Speaker.name)
            .join(Tier, Tier.id == Segment.tier_id)
            .outerjoin(Speaker, Speaker.id == Segment.speaker_id)
            .where(Segment.deleted.is_(False))
        )
        for seg, tier, kind, speaker in rows:
            values = {
                "text": seg.text,
                "speaker": speaker,
                "tier": tier,
                "kind": kind,
                "language": seg.language,
                "status": seg.status,
            }
            out.append(
                (seg.recording.title, seg.start_ms, seg.end_ms, *(values[f] for f in fields))
            )
    return sorted(out, key=lambda t: (*t[:3], *("" if x is None else str(x) for x in t[3:])))
