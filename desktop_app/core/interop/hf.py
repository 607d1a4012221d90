"""Hugging Face datasets: Parquet shards plus a dataset card, for ``datasets.load_dataset``.

``datasets`` is the optional ``hf`` extra, imported only here and only when
this format is used. Layout::

    README.md                      # card with a `configs:` block naming the splits
    data/train-00000-of-00002.parquet
    data/validation-00000-of-00001.parquet
    data/test-00000-of-00001.parquet

With clips, an ``audio`` column (``datasets.Audio``, 16 kHz) holds each
segment's WAV bytes, so the dataset is self-contained. Shards hold at most
:data:`SHARD_BYTES` of audio so memory stays bounded.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

from desktop_app.core.errors import InteropError
from desktop_app.core.interop.dataset import Row
from desktop_app.core.jobs import Progress

HF_SPLITS = {"train": "train", "dev": "validation", "test": "test", "all": "train"}
SHARD_BYTES = 200 << 20


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
        "tier": value("string"),
        "language": value("string"),
        "status": value("string"),
        "text": value("string"),
        "text_raw": value("string"),
        "text_normalized": value("string"),
        "units": ds.List(value("int32")),
    }
    if clips:
        cols["audio"] = ds.Audio(sampling_rate=16_000)
    else:
        cols["audio_filepath"] = value("string")
        cols["offset"] = value("float32")
    return ds.Features(cols)


def _columns(rows: list[Row], normalize: bool, clips: bool) -> dict[str, list[Any]]:
    cols: dict[str, list[Any]] = {}

    def put(key: str, value: Any) -> None:
        cols.setdefault(key, []).append(value)

    for row in rows:
        item = row.item
        put("id", row.utt_id)
        put("recording_id", row.rec.id)
        put("recording", row.rec.title)
        put("start_ms", item.start_ms)
        put("end_ms", item.end_ms)
        put("duration", row.duration_s)
        put("speaker", item.speaker)
        put("tier", item.tier)
        put("language", item.language)
        put("status", item.status)
        put("text", row.text_normalized if normalize else row.text_raw)
        put("text_raw", row.text_raw)
        put("text_normalized", row.text_normalized)
        put("units", list(item.units) if item.units is not None else [])
        if clips:
            assert row.audio_file is not None
            put("audio", {"bytes": row.audio_file.read_bytes(), "path": row.audio_file.name})
        else:
            put("audio_filepath", row.audio)
            put("offset", row.offset_s)
    return cols


def write_hf(
    rows: list[Row], folder: Path, normalize: bool, clips: bool, title: str, state: Progress
) -> list[Path]:
    ds = load_datasets()
    pa = importlib.import_module("pyarrow")
    pq = importlib.import_module("pyarrow.parquet")
    features = _features(ds, clips)
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    by_split: dict[str, list[Row]] = {}
    for row in rows:
        by_split.setdefault(HF_SPLITS[row.split], []).append(row)
    written: list[Path] = []
    for n, (split, split_rows) in enumerate(sorted(by_split.items())):
        state.set_progress(n / len(by_split), f"Writing the {split} split")
        shards: list[list[Row]] = [[]]
        size = 0
        for row in split_rows:
            weight = row.audio_file.stat().st_size if clips and row.audio_file else 200
            if shards[-1] and size + weight > SHARD_BYTES:
                shards.append([])
                size = 0
            shards[-1].append(row)
            size += weight
        for i, shard in enumerate(shards):
            path = data / f"{split}-{i:05d}-of-{len(shards):05d}.parquet"
            # pyarrow directly: datasets' own Audio encoder needs torch, which the app
            # process never loads. The schema carries the features, so load_dataset
            # still sees an Audio column.
            schema = features.arrow_schema
            table = pa.Table.from_pydict(_columns(shard, normalize, clips), schema=schema)
            pq.write_table(table, str(path))
            written.append(path)
    card = folder / "README.md"
    card.write_text(_card(title, sorted(by_split), clips), encoding="utf-8")
    return [card, *written]


def _card(title: str, splits: list[str], clips: bool) -> str:
    lines = ["---", "configs:", "- config_name: default", "  data_files:"]
    for split in splits:
        lines += [f"  - split: {split}", f"    path: data/{split}-*.parquet"]
    lines += ["---", "", f"# {title}", ""]
    lines.append(
        "Exported from Jazba. One row per segment: text (raw and normalised), speaker, "
        "language, review status and times in milliseconds."
    )
    if clips:
        lines.append("The `audio` column holds each segment as 16 kHz mono WAV.")
    else:
        lines.append("`audio_filepath` + `offset`/`duration` point into the recordings.")
    lines.append("Splits are speaker-disjoint when there is more than one.")
    return "\n".join(lines) + "\n"
