"""Export a project's annotations: the job function behind ``jazba export`` and the dialog.

Everything is written into a hidden staging folder inside the destination and
moved into place only when complete; on an error or a cancel the staging
folder is deleted, so the destination never holds a half-written export.
Existing files of the same name are replaced only with ``overwrite``, and only
when an earlier Jazba export wrote them (see
:mod:`~desktop_app.core.interop.export_manifest`): a user's own files are never
replaced or removed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from desktop_app.core.audio._storage import storage_errors
from desktop_app.core.errors import InteropError
from desktop_app.core.interop import (
    dataset,
    eaf,
    export_manifest,
    hf,
    kaldi,
    rttm,
    subtitles,
    tables,
    textgrid,
)
from desktop_app.core.interop.formats import EXPORT_FORMATS, ExportFormat
from desktop_app.core.interop.model import ExportRecording
from desktop_app.core.interop.naming import SafeNames, inside
from desktop_app.core.interop.select import ExportFilter, UnitProvider, gather
from desktop_app.core.interop.splits import SPLITS, SplitSpec
from desktop_app.core.jobs import JobState, Progress
from desktop_app.core.project import Project

log = logging.getLogger(__name__)
STAGE_PREFIX = ".jazba-export-"


@dataclass(frozen=True)
class ExportOptions:
    """What to export and how. ``audio``: ``none``, ``recordings`` or ``clips``
    (see :mod:`desktop_app.core.interop.dataset`); annotation formats take
    ``none`` (link the project's audio) or ``recordings`` (copy it alongside)."""

    format: str
    filter: ExportFilter = field(default_factory=ExportFilter)
    audio: str = "none"
    splits: SplitSpec | None = None
    normalize: bool = False
    overwrite: bool = False

    def check(self) -> ExportFormat:
        fmt = EXPORT_FORMATS.get(self.format)
        if fmt is None:
            raise InteropError(
                f"Unknown export format '{self.format}' (use one of {', '.join(EXPORT_FORMATS)})."
            )
        if self.audio not in dataset.AUDIO_MODES:
            raise InteropError(
                f"Unknown audio choice '{self.audio}' "
                f"(use one of {', '.join(dataset.AUDIO_MODES)})."
            )
        if fmt.per_recording and self.audio == "clips":
            raise InteropError(
                f"{fmt.label} files annotate whole recordings: choose audio 'recordings' "
                "(copy them alongside) or 'none', not per-segment clips."
            )
        if fmt.per_recording and self.splits is not None:
            raise InteropError(
                "Train/dev/test splits apply to dataset formats (CSV, JSONL, Kaldi, Hugging Face)."
            )
        if self.splits is not None:
            self.splits.ratios()
        self.filter.check()
        return fmt


@dataclass(frozen=True)
class ExportResult:
    folder: Path
    format: str
    files: tuple[Path, ...]
    recordings: int
    segments: int
    warnings: tuple[str, ...] = ()
    split_counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        text = (
            f"Exported {self.segments} segment(s) of {self.recordings} recording(s) "
            f"as {EXPORT_FORMATS[self.format].label} to {self.folder}"
        )
        if self.split_counts:
            text += " (" + ", ".join(f"{k} {v}" for k, v in self.split_counts.items()) + ")"
        return text


def export_project(
    project: Project,
    dest: str | os.PathLike[str],
    options: ExportOptions,
    state: Progress | None = None,
    units: UnitProvider | None = None,
) -> ExportResult:
    """Export what ``options`` selects into the folder ``dest`` (created if needed)."""
    state = state or JobState()
    fmt = options.check()
    folder = Path(dest).expanduser().absolute()
    if folder.exists() and not folder.is_dir():
        raise InteropError(f"Cannot export to '{folder}': it is a file, not a folder.")
    if (
        folder.resolve() == project.path.resolve()
        or project.path.resolve() in folder.resolve().parents
    ):
        raise InteropError("Choose a destination outside the project folder.")
    state.set_progress(0.0, "Reading segments")
    flt = options.filter.for_training() if fmt.transcripts_only else options.filter
    recordings = [r for r in gather(project, flt, units) if r.items]
    if not recordings:
        raise InteropError("Nothing to export: no segment matches the filters.")
    created = not folder.exists()
    with storage_errors(folder, "the export"):
        folder.mkdir(parents=True, exist_ok=True)
    stage = folder / f"{STAGE_PREFIX}{uuid.uuid4().hex[:8]}"
    try:
        with storage_errors(folder, "the export"):
            stage.mkdir()
        warnings: list[str] = []
        splits: dict[str, int] = {}
        if fmt.per_recording:
            files = _annotations(recordings, fmt, options, stage, folder, state)
        else:
            files, warnings, splits = _dataset(recordings, fmt, options, stage, folder, state)
        state.check()
        final = export_manifest.commit(stage, folder, fmt.id, options.overwrite)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        if created:
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    state.set_progress(1.0, "Export complete")
    return ExportResult(
        folder=folder,
        format=fmt.id,
        files=tuple(final[f] for f in files if f in final) or tuple(final.values()),
        recordings=len(recordings),
        segments=sum(len(r.items) for r in recordings),
        warnings=tuple(warnings),
        split_counts=splits,
    )


def _annotations(
    recordings: list[ExportRecording],
    fmt: ExportFormat,
    options: ExportOptions,
    stage: Path,
    final_root: Path,
    state: Progress,
) -> list[Path]:
    names = SafeNames(stage)
    files: list[Path] = []
    for n, rec in enumerate(recordings):
        state.set_progress(0.05 + 0.9 * n / len(recordings), f"Writing '{rec.title}'")
        stem = names.stem(rec.title)
        path = inside(stage, Path(stem + fmt.suffix))
        media, relative = rec.audio_path, None
        if options.audio == "recordings":
            copy = inside(stage, Path(stem + (rec.audio_path.suffix.lower() or ".wav")))
            with storage_errors(stage, f"a copy of '{rec.audio_path.name}'"):
                shutil.copyfile(rec.audio_path, copy)
            files.append(copy)
            media, relative = final_root / copy.name, f"./{copy.name}"
        with storage_errors(stage, f"'{path.name}'"):
            if fmt.id == "eaf":
                eaf.write_eaf(rec, path, media, relative)
            elif fmt.id == "textgrid":
                textgrid.write_textgrid(rec, path)
            elif fmt.id == "srt":
                subtitles.write_srt(rec, path)
            elif fmt.id == "rttm":
                rttm.write_rttm(rec, path)
            else:
                subtitles.write_vtt(rec, path)
        files.append(path)
    return files


def _dataset(
    recordings: list[ExportRecording],
    fmt: ExportFormat,
    options: ExportOptions,
    stage: Path,
    final_root: Path,
    state: Progress,
) -> tuple[list[Path], list[str], dict[str, int]]:
    rows, warnings = dataset.build_rows(recordings, options.splits)
    names = SafeNames(stage)
    audio_share = 0.8 if options.audio != "none" else 0.0
    dataset.write_audio(rows, options.audio, stage, names, state.sub(0.05, 0.05 + audio_share))
    state.set_progress(0.05 + audio_share, f"Writing the {fmt.label}")
    groups: dict[str, list[dataset.Row]] = {}
    for row in rows:
        groups.setdefault(row.split, []).append(row)
    order = [s for s in (*SPLITS, "all") if s in groups]
    counts = {s: len(groups[s]) for s in order} if options.splits else {}
    files: list[Path] = []
    with storage_errors(stage, f"the {fmt.label}"):
        if fmt.id == "hf":
            title = f"Jazba export ({len(rows)} segments)"
            sub = state.sub(0.05 + audio_share, 1.0)
            files += hf.write_hf(
                rows, stage, options.normalize, options.audio == "clips", title, sub
            )
            return files, warnings, counts
        for split in order:
            base = "segments" if split == "all" else split
            group = groups[split]
            if fmt.id in ("csv", "tsv"):
                path = stage / f"{base}.{fmt.id}"
                tables.write_table(group, path, "," if fmt.id == "csv" else "\t", options.normalize)
                files.append(path)
            elif fmt.id == "jsonl":
                path = stage / f"{'manifest' if split == 'all' else split}.jsonl"
                tables.write_jsonl(group, path, options.normalize)
                files.append(path)
            else:
                sub = stage if split == "all" else stage / split
                files += kaldi.write_kaldi(
                    group, sub, final_root, options.normalize, options.audio == "clips"
                )
    return files, warnings, counts
