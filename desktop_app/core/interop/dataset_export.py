"""Writing a dataset export: rows, audio, the format's files, ``stats.json`` and the card.

Every dataset format (CSV/TSV, JSONL, Kaldi, Hugging Face, Lhotse,
WebDataset) goes through :func:`write_dataset`: the rows are built once
(with speaker-disjoint splits if asked), the statistics computed from them,
the audio written (or, for formats that hold it inside their own files, cut
as each row is written), then the format's files, and last the ``README.md``
card and ``stats.json`` with the sizes written. Plain CSV/TSV tables (no
audio, no splits) are annotation tables, not datasets: no card.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_app.core.audio._storage import storage_errors
from desktop_app.core.interop import (
    dataset,
    dataset_card,
    dataset_stats,
    hf,
    kaldi,
    lhotse_export,
    tables,
    webdataset_export,
)
from desktop_app.core.interop.formats import EXPORT_FORMATS
from desktop_app.core.interop.model import ExportRecording
from desktop_app.core.interop.naming import SafeNames
from desktop_app.core.interop.selection import Selection
from desktop_app.core.interop.splits import SPLITS
from desktop_app.core.jobs import Progress
from desktop_app.core.project import Project

if TYPE_CHECKING:
    from desktop_app.core.interop.exporter import ExportOptions


def write_dataset(
    project: Project,
    recordings: list[ExportRecording],
    options: ExportOptions,
    selection: Selection,
    stage: Path,
    final_root: Path,
    state: Progress,
) -> tuple[list[Path], list[str], dict[str, int]]:
    """Write the dataset into ``stage``; returns ``(files, warnings, segments per split)``."""
    fmt = EXPORT_FORMATS[options.format]
    rows, warnings = dataset.build_rows(recordings, options.splits)
    stats = dataset_stats.compute(
        rows,
        project_name=project.name,
        license_id=dataset_stats.project_license(project),
        fmt=fmt.id,
        audio="clips" if fmt.embeds_audio else options.audio,
        normalize=options.normalize,
        splits=options.splits,
        selection=selection,
        hf_names=fmt.id == "hf",
    )
    embedded = fmt.embeds_audio or (fmt.id == "hf" and options.audio == "clips")
    audio_share = 0.8 if options.audio != "none" and not embedded else 0.0
    if not embedded:
        names = SafeNames(stage)
        dataset.write_audio(rows, options.audio, stage, names, state.sub(0.05, 0.05 + audio_share))
    state.set_progress(0.05 + audio_share, f"Writing the {fmt.label}")
    sub = state.sub(0.05 + audio_share, 0.98)
    groups: dict[str, list[dataset.Row]] = {}
    for row in rows:
        groups.setdefault(row.split, []).append(row)
    order = [s for s in (*SPLITS, "all") if s in groups]
    counts = {s: len(groups[s]) for s in order} if options.splits else {}
    files: list[Path] = []
    hf_yaml: dict[str, Any] | None = None
    extra: dict[str, str] = {}
    with storage_errors(stage, f"the {fmt.label}"):
        if fmt.id == "hf":
            files, hf_yaml = hf.write_hf(rows, stage, options.normalize, embedded, sub)
        elif fmt.id == "lhotse":
            files = lhotse_export.write_lhotse(
                rows, stage, final_root, options.normalize, options.audio == "clips", sub
            )
        elif fmt.id == "webdataset":
            limit = options.shard_bytes or webdataset_export.DEFAULT_SHARD_BYTES
            files, patterns = webdataset_export.write_shards(
                rows, stage, options.normalize, limit, sub
            )
            extra["shards"] = patterns.get("train") or patterns.get("all") or ""
            stats["shards"] = patterns
        else:
            files = _tables(groups, order, fmt.id, options, stage, final_root)
        if not options.is_dataset():
            return files, warnings, counts
        stats["files"] = _sizes(stage)
        first = "train" if "train" in groups else "all"
        extra.setdefault("split", first)
        extra.setdefault(
            "manifest",
            {"jsonl": "manifest.jsonl", "csv": "segments.csv", "tsv": "segments.tsv"}.get(
                fmt.id, ""
            )
            if first == "all"
            else f"{first}.{fmt.id}",
        )
        where = final_root / first if fmt.id == "kaldi" and first != "all" else final_root
        loader = dataset_card.LOADERS[fmt.id].format(folder=where.as_posix(), **extra)
        card = dataset_card.render(
            stats,
            fmt_label=fmt.label,
            loader=loader,
            hf_yaml=hf_yaml,
            files_note=_files_note(fmt.id, options.audio),
        )
        readme = stage / "README.md"
        readme.write_text(card, encoding="utf-8")
        files = [readme, *files, dataset_stats.write_stats(stage, stats)]
    state.set_progress(1.0, "Dataset written")
    return files, warnings, counts


def _tables(
    groups: dict[str, list[dataset.Row]],
    order: list[str],
    fmt_id: str,
    options: ExportOptions,
    stage: Path,
    final_root: Path,
) -> list[Path]:
    files: list[Path] = []
    for split in order:
        base = "segments" if split == "all" else split
        group = groups[split]
        if fmt_id in ("csv", "tsv"):
            path = stage / f"{base}.{fmt_id}"
            tables.write_table(group, path, "," if fmt_id == "csv" else "\t", options.normalize)
            files.append(path)
        elif fmt_id == "jsonl":
            path = stage / f"{'manifest' if split == 'all' else split}.jsonl"
            tables.write_jsonl(group, path, options.normalize)
            files.append(path)
        else:
            sub = stage if split == "all" else stage / split
            files += kaldi.write_kaldi(
                group, sub, final_root, options.normalize, options.audio == "clips"
            )
    return files


def _sizes(stage: Path) -> dict[str, int]:
    """Bytes written: the whole export and its audio."""
    everything = [p for p in stage.rglob("*") if p.is_file()]
    audio = [p for p in everything if p.parts[len(stage.parts)] in ("clips", "audio")]
    return {
        "total_bytes": sum(p.stat().st_size for p in everything),
        "audio_files_bytes": sum(p.stat().st_size for p in audio),
        "files": len(everything),
    }


def _files_note(fmt_id: str, audio: str) -> str:
    where = {
        "none": "The audio is not copied: paths point at the Jazba project's 16 kHz FLAC "
        "files, so the set works on this machine while the project stays where it is.",
        "recordings": "Each recording is copied as a 16 kHz WAV under `audio/`; "
        "segments are offsets into it.",
        "clips": "Each segment is a 16 kHz 16-bit WAV clip under `clips/`.",
    }[audio]
    if fmt_id == "hf" and audio == "clips":
        where = (
            "The `audio` column holds each segment as 16 kHz 16-bit WAV (decoded by "
            '`datasets` 3.x with soundfile: `pip install "datasets[audio]<4"`; '
            "`datasets` 4.x needs `pip install torchcodec`, PyTorch and FFmpeg)."
        )
    if fmt_id == "webdataset":
        where = (
            "Each sample is `{key}.flac` (16 kHz 16-bit) + `{key}.json` in tar shards; "
            "`SPLIT.shards.json` indexes them."
        )
    return where + " `stats.json` holds the statistics below."
