"""Rows of a training dataset: one per segment, with its split, ids and audio.

Dataset formats (CSV/TSV, JSONL, Kaldi, Hugging Face) all write the same
:class:`Row` s; this module builds them and writes the audio they point at.
Audio modes:

* ``none``: rows point at the project's own 16 kHz model audio (absolute
  path) with an offset — nothing is copied, the dataset only works on this
  machine while the project stays where it is;
* ``recordings``: one 16 kHz WAV per recording under ``audio/``, with offsets;
* ``clips``: one 16 kHz WAV per segment under ``clips/`` (what most training
  recipes want).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop_app.core.interop.clips import ClipReader, write_wav
from desktop_app.core.interop.model import ExportRecording, Item
from desktop_app.core.interop.naming import SafeNames, ascii_id
from desktop_app.core.interop.splits import SplitSpec, assign_splits, speaker_key
from desktop_app.core.interop.text import normalize_text
from desktop_app.core.jobs import Progress

AUDIO_MODES = ("none", "recordings", "clips")
PARTICIPANT_FIELDS = ("gender", "age_band", "birth_year", "dialect", "region", "l1")
"""The speaker's participant metadata every dataset row carries (None when unset)."""


@dataclass
class Row:
    utt_id: str
    speaker_id: str  # an ASCII id (Kaldi); the name is ``item.speaker``
    recording_key: str  # an ASCII id of the recording
    rec: ExportRecording
    item: Item
    split: str
    text_raw: str
    text_normalized: str
    audio: str = ""  # path as written into the manifest
    audio_file: Path | None = None  # the file itself, when we wrote it
    offset_s: float | None = None  # None for clips

    @property
    def duration_s(self) -> float:
        return self.item.duration_ms / 1000

    @property
    def participant(self) -> dict[str, Any]:
        """The speaker's gender, age band, birth year, dialect, region and first
        language(s) (``l1``, comma separated ISO 639 codes); None where unknown."""
        info = self.rec.participants.get(self.item.speaker or "") or {}
        return {key: info.get(key) for key in PARTICIPANT_FIELDS}


def build_rows(
    recordings: list[ExportRecording], splits: SplitSpec | None
) -> tuple[list[Row], list[str]]:
    """Rows in a stable order (recording, time), with speaker-disjoint splits if asked."""
    warnings: list[str] = []
    assignment: dict[str, str] = {}
    if splits is not None:
        assignment, warnings = assign_splits(recordings, splits)
    names = sorted({i.speaker for r in recordings for i in r.items if i.speaker})
    spk_ids = {name: f"s{n:04d}" for n, name in enumerate(names, 1)}
    rows: list[Row] = []
    used: set[str] = set()
    for rec in recordings:
        rkey = f"r{rec.id:04d}"
        for item in rec.items:
            spk = spk_ids[item.speaker] if item.speaker else f"u{rec.id:04d}"
            utt = f"{spk}-{rkey}-{item.start_ms:08d}-{item.end_ms:08d}"
            base, n = utt, 2
            while utt in used:
                utt = f"{base}-{n}"
                n += 1
            used.add(utt)
            text = " ".join(item.text.split())
            rows.append(
                Row(
                    utt_id=utt,
                    speaker_id=spk,
                    recording_key=rkey,
                    rec=rec,
                    item=item,
                    split=assignment.get(speaker_key(rec, item), "all") if splits else "all",
                    text_raw=text,
                    text_normalized=normalize_text(text),
                )
            )
    return rows, warnings


def speaker_names(rows: list[Row]) -> dict[str, str]:
    """ASCII speaker id → display name (``unknown (recording)`` for unnamed voices)."""
    return {r.speaker_id: r.item.speaker or f"unknown ({r.rec.title})" for r in rows}


def write_audio(rows: list[Row], mode: str, stage: Path, names: SafeNames, state: Progress) -> None:
    """Fill ``audio``/``offset_s`` of every row, writing WAVs into ``stage`` as needed."""
    if mode == "none":
        for row in rows:
            row.audio = str(row.rec.model_audio_path.resolve())
            row.offset_s = row.item.start_ms / 1000
        return
    readers: dict[int, ClipReader] = {}
    if mode == "recordings":
        recs = {r.rec.id: r.rec for r in rows}
        done: dict[int, Path] = {}
        for n, rec in enumerate(recs.values()):
            state.set_progress(n / len(recs), f"Writing audio of '{rec.title}'")
            path = names.path(
                "audio", f"{rec.id:04d}-{ascii_id(rec.title, 'recording')}", suffix=".wav"
            )
            write_wav(path, ClipReader(rec).whole())
            done[rec.id] = path
        for row in rows:
            row.audio_file = done[row.rec.id]
            row.audio = row.audio_file.relative_to(stage).as_posix()
            row.offset_s = row.item.start_ms / 1000
        return
    for n, row in enumerate(rows):
        if n % 10 == 0:
            state.set_progress(n / max(1, len(rows)), f"Writing clip {n + 1} of {len(rows)}")
        reader = readers.get(row.rec.id)
        if reader is None:
            readers.clear()  # keep one recording's audio in memory at a time
            reader = readers[row.rec.id] = ClipReader(row.rec)
        path = names.path("clips", row.utt_id, suffix=".wav")
        write_wav(path, reader.read(row.item.start_ms, row.item.end_ms))
        row.audio_file = path
        row.audio = path.relative_to(stage).as_posix()
    state.set_progress(1.0, "Clips written")
