"""Lhotse manifests: recordings, supervisions and cuts as ``.jsonl.gz``, per split.

Written as JSON lines in Lhotse's own manifest schema (``Recording``,
``SupervisionSegment``, ``MonoCut``), without importing Lhotse (which loads
PyTorch, never loaded by the app process); the tests read them back with
Lhotse itself, validate them and load the audio. Layout::

    recordings_train.jsonl.gz     # one Recording per audio file
    supervisions_train.jsonl.gz   # one SupervisionSegment per segment
    cuts_train.jsonl.gz           # one MonoCut per segment (what recipes train on)

(``_all`` instead of ``_train`` when the set is not split.) Audio paths are
absolute, as Lhotse resolves them: the project's own 16 kHz FLAC with audio
``none``, the copied WAVs with ``recordings``, one WAV per segment with
``clips``. Supervisions carry the speaker (the ASCII id; ``custom.speaker_name``
is the name), the language, the speaker's gender and, in ``custom``, the
speaker's age band, birth year, dialect, region and first languages (``l1``),
the review status, tier, code-switch flag (language ``mixed``, or words of two
languages), word languages, raw and normalised text and units.
"""

from __future__ import annotations

import contextlib
import gzip
import json
from pathlib import Path
from typing import Any

import soundfile as sf

from desktop_app.core.audio.resample import MODEL_RATE
from desktop_app.core.interop.dataset import Row
from desktop_app.core.jobs import Progress
from desktop_app.core.langtag import code_switched, lang_list

KINDS = ("recordings", "supervisions", "cuts")


def _recording(rec_id: str, source: str, num_samples: int) -> dict[str, Any]:
    return {
        "id": rec_id,
        "sources": [{"type": "file", "channels": [0], "source": source}],
        "sampling_rate": MODEL_RATE,
        "num_samples": num_samples,
        "duration": num_samples / MODEL_RATE,
        "channel_ids": [0],
    }


def _supervision(
    row: Row, rec_id: str, start: float, duration: float, normalize: bool
) -> dict[str, Any]:
    item = row.item
    custom: dict[str, Any] = {
        "speaker_name": item.speaker,
        **{k: v for k, v in row.participant.items() if k != "gender" and v is not None},
        "status": item.status,
        "tier": item.tier,
        "code_switched": code_switched(item.word_langs, item.language),
        "text_raw": row.text_raw,
        "text_normalized": row.text_normalized,
        "recording_title": row.rec.title,
        "start_ms": item.start_ms,
        "end_ms": item.end_ms,
    }
    if item.units is not None:
        custom["units"] = list(item.units)
    if item.word_langs:
        custom["word_langs"] = lang_list(item.word_langs)
    sup: dict[str, Any] = {
        "id": row.utt_id,
        "recording_id": rec_id,
        "start": round(start, 6),
        "duration": round(duration, 6),
        "channel": 0,
        "text": row.text_normalized if normalize else row.text_raw,
        "speaker": row.speaker_id,
    }
    if item.language:
        sup["language"] = item.language
    if row.participant["gender"]:
        sup["gender"] = row.participant["gender"]
    sup["custom"] = custom
    return sup


def _samples(path: Path) -> int:
    return sf.info(str(path)).frames


def write_lhotse(
    rows: list[Row], folder: Path, final_root: Path, normalize: bool, clips: bool, state: Progress
) -> list[Path]:
    """Write the manifests of every split into ``folder``; audio paths point under
    ``final_root`` (where the export ends up) or at the project's audio."""
    by_split: dict[str, list[Row]] = {}
    for row in rows:
        by_split.setdefault(row.split, []).append(row)
    frames: dict[Path, int] = {}
    written: list[Path] = []
    for n, (split, group) in enumerate(by_split.items()):
        state.set_progress(n / len(by_split), f"Writing the Lhotse {split} manifests")
        paths = {k: folder / f"{k}_{split}.jsonl.gz" for k in KINDS}
        with contextlib.ExitStack() as stack:
            files = {
                k: stack.enter_context(gzip.open(p, "wt", encoding="utf-8", compresslevel=6))
                for k, p in paths.items()
            }
            seen: set[str] = set()
            for row in group:
                _write_row(row, files, seen, frames, final_root, normalize, clips)
        written += paths.values()
    return written


def _write_row(
    row: Row,
    files: dict[str, Any],
    seen: set[str],
    frames: dict[Path, int],
    final_root: Path,
    normalize: bool,
    clips: bool,
) -> None:
    local = row.audio_file or Path(row.audio)  # the file as it is now (staged or the project's)
    source = str(final_root / row.audio) if row.audio_file else row.audio
    if local not in frames:
        frames[local] = _samples(local)
    total = frames[local]
    if clips:
        rec_id, start = row.utt_id, 0.0
        duration = total / MODEL_RATE
    else:
        rec_id = row.recording_key
        start = row.item.start_ms / 1000
        duration = min(row.item.end_ms / 1000, total / MODEL_RATE) - start
    recording = _recording(rec_id, source, total)
    if rec_id not in seen:
        seen.add(rec_id)
        files["recordings"].write(json.dumps(recording, ensure_ascii=False) + "\n")
    sup = _supervision(row, rec_id, start, duration, normalize)
    files["supervisions"].write(json.dumps(sup, ensure_ascii=False) + "\n")
    cut = {
        "id": row.utt_id,
        "start": sup["start"],
        "duration": sup["duration"],
        "channel": 0,
        "supervisions": [sup | {"start": 0.0}],
        "recording": recording,
        "type": "MonoCut",
    }
    files["cuts"].write(json.dumps(cut, ensure_ascii=False) + "\n")
