"""Archive-scale batch jobs (transcription, unit-LM scoring, diarization): a folder,
list or project in, a run folder out.

:func:`run_batch` drives a pool of model workers (local processes or Ray
actors); :func:`import_run` puts a run's segments into a project as drafts.
"""

from desktop_app.services.batch.manifest import RunFolder, RunManifest
from desktop_app.services.batch.project_import import (
    DiarizationImport,
    ImportSummary,
    import_diarization,
    import_run,
)
from desktop_app.services.batch.run import BatchOptions, BatchProgress, Models, run_batch

__all__ = [
    "BatchOptions",
    "BatchProgress",
    "DiarizationImport",
    "ImportSummary",
    "Models",
    "RunFolder",
    "RunManifest",
    "import_diarization",
    "import_run",
    "run_batch",
]
