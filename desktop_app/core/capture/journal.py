"""The sidecar journal of a recording in progress (``<name>.json`` beside ``<name>.wav``).

It holds what the audio file cannot: when the recording started, the session
metadata (speakers, place, consent…), the markers, the utterances the live
VAD found, the dropped-audio counts and whether the recording finished. It is
replaced atomically (write a temporary file, fsync, rename, fsync the folder),
so after a crash it is either the previous or the new version, never half.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from desktop_app.core.audio._storage import fsync_dir

JOURNAL_VERSION = 1


@dataclass(frozen=True)
class SessionMeta:
    """What the linguist tells about a recording session (all optional)."""

    title: str | None = None
    recorded_on: str | None = None  # ISO date
    place: str | None = None
    languages: str | None = None  # comma separated tags: kk,ru
    consent: str | None = None  # given or not, and how
    notes: str | None = None
    speaker_ids: tuple[int, ...] = ()

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SessionMeta:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in d.items() if k in known}
        values["speaker_ids"] = tuple(int(x) for x in values.get("speaker_ids", ()))
        return cls(**values)


@dataclass(frozen=True)
class Marker:
    frame: int  # position in the recorded audio
    label: str


@dataclass
class Journal:
    audio_file: str  # name of the WAV beside the journal
    sample_rate: int
    channels: int
    started_at: str  # UTC, ISO
    bits: int = 16  # PCM bit depth of the WAV (16 or 24)
    device: str = ""
    final_format: str = "wav"  # what the project keeps: wav or flac
    state: str = "recording"  # recording, stopped
    stop_reason: str | None = None
    frames: int = 0  # frames on disk at the last sync
    meta: SessionMeta = field(default_factory=SessionMeta)
    markers: list[Marker] = field(default_factory=list)
    utterances: list[tuple[int, int]] = field(default_factory=list)  # [start, end) frames
    dropped_frames: int = 0
    dropped_blocks: int = 0
    overflows: int = 0
    version: int = JOURNAL_VERSION

    def to_json(self) -> str:
        d = asdict(self)
        d["meta"]["speaker_ids"] = list(self.meta.speaker_ids)
        d["utterances"] = [list(u) for u in self.utterances]
        return json.dumps(d, ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Journal:
        d = json.loads(text)
        if int(d.get("version", 0)) > JOURNAL_VERSION:
            raise ValueError(f"journal version {d['version']} is newer than this Jazba")
        known = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k in known}
        d["meta"] = SessionMeta.from_dict(d.get("meta") or {})
        d["markers"] = [Marker(int(m["frame"]), str(m["label"])) for m in d.get("markers", [])]
        d["utterances"] = [(int(a), int(b)) for a, b in d.get("utterances", [])]
        return cls(**d)

    def save(self, path: Path) -> None:
        """Replace ``path`` atomically with this journal (durable on return)."""
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(self.to_json())
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        fsync_dir(path.parent)

    @classmethod
    def load(cls, path: Path) -> Journal:
        return cls.from_json(path.read_text(encoding="utf-8"))
