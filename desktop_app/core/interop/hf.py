"""Hugging Face datasets: Parquet shards plus a dataset card, for ``datasets.load_dataset``.

``datasets`` is the optional ``hf`` extra, imported only here and only when
this format is used. Layout::

    README.md                      # card with a `configs:` block naming the splits
    data/train-00000-of-00002.parquet
    data/validation-00000-of-00001.parquet
    data/test-00000-of-00001.parquet

With clips, an ``audio`` column (``datasets.Audio``, 16 kHz) holds each
segment's WAV bytes, so the dataset is self-contained. Shards are written a
row group (:data:`ROW_GROUP_BYTES` of audio) at a time and hold about
:data:`SHARD_BYTES`, so memory stays bounded whatever the size of the set.

Decoding the ``audio`` column: ``datasets`` 3.x decodes with soundfile
(``pip install "datasets[audio]<4"``, what Jazba's ``hf`` extra installs);
``datasets`` 4.x decodes only with torchcodec, which needs PyTorch and the
FFmpeg libraries (``pip install datasets torchcodec``). Either way the array
is the exact 16-bit samples Jazba cut.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

from desktop_app.core.errors import InteropError
from desktop_app.core.interop.clips import ClipReader, wav_bytes
from desktop_app.core.interop.dataset import PARTICIPANT_FIELDS, Row
from desktop_app.core.jobs import Progress
from desktop_app.core.langtag import code_switched, lang_list

HF_SPLITS = {"train": "train", "dev": "validation", "test": "test", "all": "train"}
SHARD_BYTES = 256 << 20
ROW_GROUP_BYTES = 16 << 20


def load_datasets() -> ModuleType:
    try:
        return importlib.import_module("datasets")
    except ImportError as exc:
        raise InteropError(
            "Exporting a Hugging Face dataset needs the 'datasets' package: "
            "install Jazba's 'hf' extra (pip install 'jazba[hf]')."
        ) from exc


def _features(ds: ModuleType, clips: bool) -> Any:
    value = ds.Value
    cols = {
        "id": value("string"),
        "recording_id": value("int32"),
        "recording": value("string"),
        "start_ms": value("int32"),
        "end_ms": value("int32"),
        "duration": value("float32"),
        "speaker": value("string"),
        **{k: value("int32" if k == "birth_year" else "string") for k in PARTICIPANT_FIELDS},
        "tier": value("string"),
        "language": value("string"),
        "status": value("string"),
        "text": value("string"),
        "text_raw": value("string"),
        "text_normalized": value("string"),
        "units": getattr(ds, "List", ds.Sequence)(value("int32")),  # List: datasets >= 4
        "word_langs": getattr(ds, "List", ds.Sequence)(value("string")),  # kk/ru/other per word
        "code_switched": value("bool"),
    }
    if clips:
        cols["audio"] = ds.Audio(sampling_rate=16_000)
    else:
        cols["audio_filepath"] = value("string")
        cols["offset"] = value("float32")
    return ds.Features(cols)


def _record(row: Row, normalize: bool, audio: bytes | None) -> dict[str, Any]:
    item = row.item
    rec: dict[str, Any] = {
        "id": row.utt_id,
        "recording_id": row.rec.id,
        "recording": row.rec.title,
        "start_ms": item.start_ms,
        "end_ms": item.end_ms,
        "duration": row.duration_s,
        "speaker": item.speaker,
        **row.participant,
        "tier": item.tier,
        "language": item.language,
        "status": item.status,
        "text": row.text_normalized if normalize else row.text_raw,
        "text_raw": row.text_raw,
        "text_normalized": row.text_normalized,
        "units": list(item.units) if item.units is not None else [],
        "word_langs": lang_list(item.word_langs),
        "code_switched": code_switched(item.word_langs, item.language),
    }
    if audio is not None:
        rec["audio"] = {"bytes": audio, "path": f"{row.utt_id}.wav"}
    else:
        rec["audio_filepath"] = row.audio
        rec["offset"] = row.offset_s
    return rec


class _ShardWriter:
    """Parquet shards of one split, written a row group at a time (bounded memory);
    a new shard starts past :data:`SHARD_BYTES`. Named ``-of-N`` once all are written."""

    def __init__(self, folder: Path, split: str, schema: Any) -> None:
        self.pq = importlib.import_module("pyarrow.parquet")
        self.pa = importlib.import_module("pyarrow")
        self.folder, self.split, self.schema = folder, split, schema
        self.paths: list[Path] = []
        self.writer: Any = None
        self.size = 0
        self.batch: list[dict[str, Any]] = []
        self.batch_bytes = 0

    def add(self, record: dict[str, Any], weight: int) -> None:
        self.batch.append(record)
        self.batch_bytes += weight
        if self.batch_bytes >= ROW_GROUP_BYTES:
            self.flush()

    def flush(self) -> None:
        if not self.batch:
            return
        if self.writer is None or self.size >= SHARD_BYTES:
            self.close()
            path = self.folder / f".{self.split}-{len(self.paths):05d}.parquet"
            self.paths.append(path)
            self.writer = self.pq.ParquetWriter(str(path), self.schema)
            self.size = 0
        self.writer.write_table(self.pa.Table.from_pylist(self.batch, schema=self.schema))
        self.size += self.batch_bytes
        self.batch, self.batch_bytes = [], 0

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def finish(self) -> list[Path]:
        self.flush()
        self.close()
        final = []
        for i, path in enumerate(self.paths):
            name = f"{self.split}-{i:05d}-of-{len(self.paths):05d}.parquet"
            final.append(path.rename(path.with_name(name)))
        return final


def write_hf(
    rows: list[Row], folder: Path, normalize: bool, clips: bool, state: Progress
) -> tuple[list[Path], dict[str, Any]]:
    """Write the Parquet shards; returns them and the card's ``configs``/``dataset_info``.

    With ``clips``, each segment's 16 kHz WAV is cut from its recording and put
    into the ``audio`` column as it is written (nothing is kept on disk twice)."""
    ds = load_datasets()
    features = _features(ds, clips)
    # pyarrow directly: datasets' own Audio encoder needs extra decoders. The schema
    # carries the features, so load_dataset still sees an Audio column.
    schema = features.arrow_schema
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    by_split: dict[str, list[Row]] = {}
    for row in rows:
        by_split.setdefault(HF_SPLITS[row.split], []).append(row)
    written: list[Path] = []
    splits_info = []
    done, total = 0, max(1, len(rows))
    reader: ClipReader | None = None
    for split in sorted(by_split):
        shards = _ShardWriter(data, split, schema)
        for row in by_split[split]:
            if done % 20 == 0:
                state.set_progress(done / total, f"Writing the {split} split ({done} of {total})")
            done += 1
            audio = None
            if clips:
                if reader is None or reader.rec.id != row.rec.id:
                    reader = ClipReader(row.rec)  # one recording's audio in memory at a time
                audio = wav_bytes(reader.read(row.item.start_ms, row.item.end_ms))
            record = _record(row, normalize, audio)
            shards.add(record, len(audio) if audio is not None else 300)
        files = shards.finish()
        written += files
        splits_info.append(
            {
                "name": split,
                "num_bytes": sum(p.stat().st_size for p in files),
                "num_examples": len(by_split[split]),
            }
        )
    size = sum(s["num_bytes"] for s in splits_info)
    info = ds.DatasetInfo(features=features)._to_yaml_dict()
    yaml = {
        "configs": [
            {
                "config_name": "default",
                "data_files": [
                    {"split": split, "path": f"data/{split}-*.parquet"}
                    for split in sorted(by_split)
                ],
            }
        ],
        "dataset_info": {
            "features": info["features"],
            "splits": splits_info,
            "download_size": size,
            "dataset_size": size,
        },
    }
    return written, yaml
