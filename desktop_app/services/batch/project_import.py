"""Put a batch run's segments into a project as ``auto`` drafts.

Each done file is matched to the project's recording with the same audio
content (SHA-256), imported first when the project does not have it, and its
segments go in through a :class:`~desktop_app.core.services.model_pass.ModelPass`:
one undo step per recording, old drafts replaced, segments a person edited
or approved never touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from desktop_app.core.errors import JazbaError
from desktop_app.core.project import Project
from desktop_app.core.services.model_pass import ModelPass, ModelRef
from desktop_app.core.services.recordings import RecordingService
from desktop_app.core.store.schema import Recording
from desktop_app.services.batch.manifest import RunFolder, RunManifest
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
    summary = ImportSummary()
    model = ModelRef(manifest.model_id, manifest.model_name, source or "batch")
    recordings = RecordingService(project)
    seen: set[str] = set()
    for entry in manifest.files.values():
        if entry.status != "done" or not entry.shard or entry.sha256 in seen:
            continue
        seen.add(entry.sha256)
        with project.unit() as s:
            rec_id = s.scalar(select(Recording.id).where(Recording.sha256 == entry.sha256))
        try:
            if rec_id is None:
                rec_id = recordings.import_file(Path(entry.path)).id
                summary.imported_audio += 1
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
