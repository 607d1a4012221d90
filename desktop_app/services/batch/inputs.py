"""What a batch run reads: a folder of audio (recursive), a list file, or a project.

Every input gets its content hash (SHA-256 of the file's bytes, the same hash a
project stores for an imported recording), so a file already transcribed with
the same model version is found again whatever its name or place.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from desktop_app.core.errors import JazbaError
from desktop_app.core.project import DB_NAME, PROJECT_SUFFIX

#: What a folder walk picks up (lower case); the decoders read more, by content.
AUDIO_SUFFIXES = frozenset(
    {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".m4a", ".aac", ".wma", ".aif"}
    | {".aiff", ".caf", ".mp4", ".mkv", ".webm", ".mov"}
)
_HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class BatchInput:
    """One file to transcribe.

    ``model_audio`` is set for a project's recording (its 16 kHz copy, already
    decoded, with ``duration_s`` known); a plain file is decoded by the worker.
    """

    key: str  # stable name within the run (the source path as given)
    path: Path
    sha256: str
    size: int
    model_audio: Path | None = None
    duration_s: float | None = None
    recording_id: int | None = None


HashCache = dict[str, tuple[int, int, str]]  # path -> (size, mtime_ns, sha256)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def is_project(source: Path) -> bool:
    return source.is_dir() and (source.suffix == PROJECT_SUFFIX or (source / DB_NAME).is_file())


def discover(
    source: Path,
    known: HashCache | None = None,
    on_unreadable: Callable[[Path, str], None] | None = None,
) -> list[BatchInput]:
    """The inputs of ``source`` in a stable order (sorted by path).

    ``known`` maps paths to (size, mtime_ns, sha256) from an earlier run, so a
    resumed run does not read unchanged files again to hash them. A file that
    cannot even be read to hash it goes to ``on_unreadable(path, reason)``
    (the run lists it as failed) instead of stopping the discovery.
    """
    source = Path(source)
    if is_project(source):
        return _project_inputs(source)
    if source.is_dir():
        paths: Iterable[Path] = sorted(
            p for p in source.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES
        )
    elif source.is_file():
        paths = _list_file(source)
    else:
        raise JazbaError(f"'{source}' is neither a folder, a list of files nor a project.")
    out = []
    for p in paths:
        try:
            st = p.stat()
            cached = (known or {}).get(str(p))
            if cached and cached[0] == st.st_size and cached[1] == st.st_mtime_ns:
                digest = cached[2]
            else:
                digest = file_sha256(p)
        except OSError as exc:
            if on_unreadable is None:
                raise
            on_unreadable(p, f"the file cannot be read ({exc.strerror or exc})")
            continue
        out.append(BatchInput(key=str(p), path=p, sha256=digest, size=st.st_size))
    return out


def _list_file(list_path: Path) -> list[Path]:
    """One path a line; blank lines and ``#`` comments skipped; relative to the list."""
    base = list_path.parent
    paths = []
    for raw in list_path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        p = Path(os.path.expanduser(line))
        paths.append(p if p.is_absolute() else base / p)
    return paths


def _project_inputs(folder: Path) -> list[BatchInput]:
    from desktop_app.core.project import Project
    from desktop_app.core.services.recordings import RecordingService

    project = Project.open(folder, read_only=True)
    try:
        out = []
        for r in RecordingService(project).list():
            original = project.abspath(r.audio_path)
            out.append(
                BatchInput(
                    key=f"{folder.name}#{r.id}",
                    path=original,
                    sha256=r.sha256,
                    size=original.stat().st_size if original.exists() else 0,
                    model_audio=project.abspath(r.model_audio_path),
                    duration_s=r.duration_ms / 1000,
                    recording_id=r.id,
                )
            )
        return out
    finally:
        project.close()
