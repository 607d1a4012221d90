"""WebDataset shards: tar files of ``{key}.flac`` + ``{key}.json``, for streaming.

Each segment becomes one sample: its 16 kHz 16-bit FLAC clip, cut from the
recording as it is written (one recording's audio in memory at a time), and
a JSON record (text, speaker, language, status, times…). A split's shards
``train-000000.tar``, ``train-000001.tar``… are closed at ``shard_bytes``;
``train.shards.json`` indexes them in the wids shard-index format (file
name, samples, bytes), and the card gives the brace pattern
(``train-{000000..000003}.tar``) that ``webdataset.WebDataset`` expands.
Tar members have fixed times and owners, so the same export gives the same bytes.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from desktop_app.core.audio.resample import MODEL_RATE
from desktop_app.core.errors import InteropError
from desktop_app.core.interop.clips import ClipReader
from desktop_app.core.interop.dataset import Row
from desktop_app.core.jobs import Progress
from desktop_app.core.langtag import code_switched, lang_list

DEFAULT_SHARD_BYTES = 500_000_000
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)b?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """``500MB`` → 500,000,000 bytes (``KiB``/``MiB``/``GiB`` are powers of two)."""
    m = _SIZE.match(text)
    if not m:
        raise InteropError(f"Shard size '{text}': use a size such as 500MB or 2GB.")
    power = " kmgt".index(m.group(2).lower() or " ")
    size = int(float(m.group(1)) * (1024 if m.group(3) else 1000) ** power)
    if size < 1_000_000:
        raise InteropError(f"Shard size '{text}' is too small: use 1MB or more.")
    return size


def flac_bytes(samples: np.ndarray) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, samples, MODEL_RATE, subtype="PCM_16", format="FLAC")
    return buf.getvalue()


def _record(row: Row, normalize: bool) -> dict[str, Any]:
    item = row.item
    rec: dict[str, Any] = {
        "id": row.utt_id,
        "text": row.text_normalized if normalize else row.text_raw,
        "text_raw": row.text_raw,
        "text_normalized": row.text_normalized,
        "speaker": row.speaker_id,
        "speaker_name": item.speaker,
        **row.participant,
        "language": item.language,
        "code_switched": code_switched(item.word_langs, item.language),
        "status": item.status,
        "tier": item.tier,
        "recording_id": row.rec.id,
        "recording": row.rec.title,
        "start_ms": item.start_ms,
        "end_ms": item.end_ms,
        "duration": row.duration_s,
        "sampling_rate": MODEL_RATE,
        "split": row.split,
    }
    if item.units is not None:
        rec["units"] = list(item.units)
    if item.word_langs:
        rec["word_langs"] = lang_list(item.word_langs)
    return rec


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0
    info.mode = 0o444
    info.uname = info.gname = "jazba"
    tar.addfile(info, io.BytesIO(data))


class _Shards:
    def __init__(self, folder: Path, split: str, limit: int) -> None:
        self.folder, self.split, self.limit = folder, split, limit
        self.index: list[dict[str, Any]] = []
        self.tar: tarfile.TarFile | None = None
        self.written = 0

    def add(self, key: str, flac: bytes, meta: bytes) -> None:
        size = len(flac) + len(meta) + 3 * 512
        if self.tar is None or (self.index[-1]["nsamples"] and self.written + size > self.limit):
            self.close()
            name = f"{self.split}-{len(self.index):06d}.tar"
            # open across add() calls, closed by close() (and always, in write_shards)
            self.tar = tarfile.open(  # noqa: SIM115
                self.folder / name, mode="w", format=tarfile.USTAR_FORMAT
            )
            self.index.append({"url": name, "nsamples": 0, "filesize": 0})
            self.written = 0
        assert self.tar is not None
        _add(self.tar, f"{key}.flac", flac)
        _add(self.tar, f"{key}.json", meta)
        self.index[-1]["nsamples"] += 1
        self.written += size

    def close(self) -> None:
        if self.tar is not None:
            self.tar.close()
            self.index[-1]["filesize"] = (self.folder / self.index[-1]["url"]).stat().st_size
            self.tar = None

    def pattern(self) -> str:
        last = len(self.index) - 1
        if last == 0:
            return self.index[0]["url"]
        return f"{self.split}-{{000000..{last:06d}}}.tar"


def write_shards(
    rows: list[Row], folder: Path, normalize: bool, shard_bytes: int, state: Progress
) -> tuple[list[Path], dict[str, str]]:
    """Write every split's shards and index; returns the files and each split's
    shard pattern (for the card)."""
    by_split: dict[str, list[Row]] = {}
    for row in rows:
        by_split.setdefault(row.split, []).append(row)
    written: list[Path] = []
    patterns: dict[str, str] = {}
    done, total = 0, max(1, len(rows))
    reader: ClipReader | None = None
    for split, group in by_split.items():
        shards = _Shards(folder, split, shard_bytes)
        try:
            for row in group:
                if done % 20 == 0:
                    state.set_progress(
                        done / total, f"Writing shard {len(shards.index)} of {split}"
                    )
                done += 1
                if reader is None or reader.rec.id != row.rec.id:
                    reader = ClipReader(row.rec)
                flac = flac_bytes(reader.read(row.item.start_ms, row.item.end_ms))
                meta = json.dumps(_record(row, normalize), ensure_ascii=False).encode("utf-8")
                shards.add(row.utt_id, flac, meta)
        finally:
            shards.close()
        index = folder / f"{split}.shards.json"
        body = {
            "__kind__": "wids-shard-index-v1",
            "wids_version": 1,
            "name": split,
            "shardlist": shards.index,
        }
        index.write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
        written += [folder / s["url"] for s in shards.index] + [index]
        patterns[split] = shards.pattern()
    return written, patterns
