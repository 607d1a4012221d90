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
from dataclasses import dataclass, field, replace
from pathlib import Path

from desktop_app.core.audio._storage import storage_errors
from desktop_app.core.errors import InteropError
from desktop_app.core.interop import eaf, export_manifest, rttm, subtitles, textgrid
from desktop_app.core.interop.dataset import AUDIO_MODES
from desktop_app.core.interop.dataset_export import write_dataset
from desktop_app.core.interop.formats import EXPORT_FORMATS, ExportFormat
from desktop_app.core.interop.model import ExportRecording
from desktop_app.core.interop.naming import SafeNames, inside
from desktop_app.core.interop.select import ExportFilter, UnitProvider, gather
from desktop_app.core.interop.selection import Selection, describe
from desktop_app.core.interop.splits import SplitSpec
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
    shard_bytes: int | None = None  # WebDataset: close a shard past this size

    def is_dataset(self) -> bool:
        """A training set (checked transcriptions by default): the dataset formats,
        and CSV/TSV tables when they carry audio or splits."""
        fmt = EXPORT_FORMATS.get(self.format)
        if fmt is None or fmt.per_recording:
            return False
        return fmt.dataset or self.audio != "none" or self.splits is not None

    def effective_filter(self) -> ExportFilter:
        """The filter the export applies: the user's, plus the dataset defaults."""
        if self.format == "rttm":  # speaker turns, with or without text (diarization's)
            return replace(self.filter, skip_empty=False)
        return self.filter.for_dataset() if self.is_dataset() else self.filter

    def selection(self, project: Project) -> Selection:
        """What this export would include and leave out (cheap: one grouped query)."""
        return describe(project, self.filter, self.effective_filter())

    def check(self) -> ExportFormat:
        fmt = EXPORT_FORMATS.get(self.format)
        if fmt is None:
            raise InteropError(
                f"Unknown export format '{self.format}' (use one of {', '.join(EXPORT_FORMATS)})."
            )
        if self.audio not in AUDIO_MODES:
            raise InteropError(
                f"Unknown audio choice '{self.audio}' (use one of {', '.join(AUDIO_MODES)})."
            )
        if fmt.embeds_audio and self.audio == "recordings":
            raise InteropError(
                f"{fmt.label} hold one clip per segment inside the shards: "
                "choose audio 'clips' (or leave it out), not 'recordings'."
            )
        if fmt.per_recording and self.audio == "clips":
            raise InteropError(
                f"{fmt.label} files annotate whole recordings: choose audio 'recordings' "
                "(copy them alongside) or 'none', not per-segment clips."
            )
        if fmt.per_recording and self.splits is not None:
            raise InteropError(
                "Train/dev/test splits apply to dataset formats "
                "(CSV, JSONL, Kaldi, Hugging Face, Lhotse, WebDataset)."
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
    selection: Selection | None = None

    def summary(self) -> str:
        text = (
            f"Exported {self.segments} segment(s) of {self.recordings} recording(s) "
            f"as {EXPORT_FORMATS[self.format].label} to {self.folder}"
        )
        if self.split_counts:
            text += " (" + ", ".join(f"{k} {v}" for k, v in self.split_counts.items()) + ")"
        if self.selection is not None and self.selection.left_out:
            text += "\n" + self.selection.summary()
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
    selection = options.selection(project)
    recordings = [r for r in gather(project, options.effective_filter(), units) if r.items]
    if not recordings:
        raise InteropError(
            f"Nothing to export: no segment matches the filters ({selection.summary()})"
        )
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
            files, warnings, splits = write_dataset(
                project, recordings, options, selection, stage, folder, state
            )
        state.check()
        about = {"format": fmt.id, "selection": selection.to_json()}
        final = export_manifest.commit(stage, folder, fmt.id, options.overwrite, about)
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
        selection=selection,
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
