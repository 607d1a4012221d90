"""Put a batch run's results into a project.

Each done file is matched to the project's recording with the same audio
content (SHA-256), imported first when the project does not have it.
Transcripts go in as ``auto`` drafts through a
:class:`~desktop_app.core.services.model_pass.ModelPass`: one undo step per
recording, old drafts replaced, segments a person edited or approved never
touched. Speaker turns go onto the recording's segments through
:func:`~desktop_app.core.services.diarize_apply.apply_turns` (one undo step
per recording; a speaker a person set is never changed), each of a file's
speakers becoming a new project speaker "Speaker N".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from desktop_app.core.errors import JazbaError
from desktop_app.core.project import Project
from desktop_app.core.services.diarize_apply import SpeakerTurn, apply_turns
from desktop_app.core.services.model_pass import ModelPass, ModelRef
from desktop_app.core.services.recordings import RecordingService
from desktop_app.core.services.speakers import SpeakerService
from desktop_app.core.store.schema import Recording, Speaker
from desktop_app.services.batch.manifest import FileEntry, RunFolder, RunManifest
from desktop_app.services.batch.work import row_segment


@dataclass
class ImportSummary:
    recordings: int = 0
    imported_audio: int = 0
    added: int = 0
    skipped: int = 0  # model segments that fell on a person's work
    failed: list[tuple[str, str]] = field(default_factory=list)


def import_run(
    project: Project, out: Path, manifest: RunManifest | None = None, *, source: str = ""
) -> ImportSummary:
    """Write every done file of the run in ``out`` into ``project``."""
    folder = RunFolder(out)
    manifest = manifest or folder.load()
    _check_task(manifest, "transcribe")
    summary = ImportSummary()
    model = ModelRef(manifest.model_id, manifest.model_name, source or "batch")
    for entry in _done_files(manifest):
        try:
            rec_id, new = _recording(project, entry)
            summary.imported_audio += new
            mp = ModelPass(project, rec_id, model)
            mp.begin()
            for row in folder.read_shard(entry.shard):
                mp.add(row_segment(row))
            mp.finish()
        except (JazbaError, OSError) as exc:
            summary.failed.append((entry.path, str(exc)))
            continue
        summary.recordings += 1
        summary.added += mp.added
        summary.skipped += mp.skipped
    return summary


def _check_task(manifest: RunManifest, task: str) -> None:
    if manifest.task != task:
        raise JazbaError(f"The run holds results of the task '{manifest.task}', not '{task}'.")


def _done_files(manifest: RunManifest) -> list[FileEntry]:
    """Done files, one per audio content."""
    seen: set[str] = set()
    out = []
    for entry in manifest.files.values():
        if entry.status == "done" and entry.shard and entry.sha256 not in seen:
            seen.add(entry.sha256)
            out.append(entry)
    return out


def _recording(project: Project, entry: FileEntry) -> tuple[int, int]:
    """The project's recording of ``entry``'s audio (imported when missing), and 1 if new."""
    with project.unit() as s:
        rec_id = s.scalar(select(Recording.id).where(Recording.sha256 == entry.sha256))
    if rec_id is not None:
        return rec_id, 0
    return RecordingService(project).import_file(Path(entry.path)).id, 1


@dataclass
class DiarizationImport:
    recordings: int = 0
    imported_audio: int = 0
    labelled: int = 0
    created: int = 0
    split: int = 0
    kept: int = 0  # segments whose speaker a person set (left as they are)
    failed: list[tuple[str, str]] = field(default_factory=list)


def import_diarization(
    project: Project, out: Path, manifest: RunManifest | None = None
) -> DiarizationImport:
    """Write the speaker turns of every done file of the run in ``out`` into ``project``."""
    folder = RunFolder(out)
    manifest = manifest or folder.load()
    _check_task(manifest, "diarize")
    summary = DiarizationImport()
    speakers = SpeakerService(project)
    for entry in _done_files(manifest):
        try:
            rows = folder.read_shard(entry.shard or "")
            rec_id, new = _recording(project, entry)
            summary.imported_audio += new
            labels = list(dict.fromkeys(r["speaker"] for r in rows))
            ids = {
                label: speakers.create(name).id
                for label, name in zip(labels, _free_names(project, len(labels)), strict=True)
            }
            turns = [SpeakerTurn(r["start_ms"], r["end_ms"], ids[r["speaker"]]) for r in rows]
            applied = apply_turns(project, rec_id, turns, model_id=manifest.model_id)
        except (JazbaError, OSError) as exc:
            summary.failed.append((entry.path, str(exc)))
            continue
        summary.recordings += 1
        summary.labelled += applied.labelled
        summary.created += applied.created
        summary.split += applied.split
        summary.kept += applied.kept
    return summary


def _free_names(project: Project, n: int) -> list[str]:
    """``n`` names "Speaker K" that no speaker of the project has yet."""
    with project.unit() as s:
        taken = set(s.scalars(select(Speaker.name)))
    names, k = [], 1
    while len(names) < n:
        if f"Speaker {k}" not in taken:
            names.append(f"Speaker {k}")
        k += 1
    return names
