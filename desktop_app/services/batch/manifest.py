"""A batch run's folder: ``run.json`` (what ran, how far, what failed) and one
JSONL shard of results per input file (segments, unit scores or speaker turns;
for speaker turns also an RTTM file).

A long file is cut into pieces that are done separately: each finished piece
is kept in ``parts/`` (so a resumed run redoes only the pieces that were not
finished) and the file's shard is put together, in order, when all are done.

Everything is written atomically (a temporary file, fsync, rename), so a run
killed at any moment leaves a manifest and shards that are whole; a shard is
written before the manifest names it, so ``done`` always has its segments.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from desktop_app.core.errors import JazbaError

RUN_FILE = "run.json"
SHARD_DIR = "segments"
PARTS_DIR = "parts"
WORK_DIR = "work"  # decoded 16 kHz copies of long files while their pieces are done
RTTM_DIR = "rttm"
FORMAT_VERSION = 1


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so readers see the old or the new file, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass
class FileEntry:
    """One input's state in the run: ``pending``, ``done`` or ``failed``."""

    path: str
    sha256: str
    size: int
    mtime_ns: int = 0
    status: str = "pending"
    reason: str | None = None
    model_id: str | None = None
    audio_s: float | None = None
    wall_s: float | None = None
    segments: int | None = None
    language: str | None = None
    shard: str | None = None
    attempts: int = 0
    finished_at: float | None = None
    #: A long file's pieces: ``{"start_s", "end_s", "status", "attempts", "reason"}``.
    chunks: list[dict[str, Any]] | None = None
    work_audio: str | None = None  # its 16 kHz copy while pieces are being done
    progress: float | None = None  # share of the file's audio done (pieces)
    summary: dict[str, Any] | None = None  # the task's figures for the file (units: perplexity)


@dataclass
class RunManifest:
    """The contents of ``run.json``."""

    model_id: str
    model_name: str
    settings: dict[str, Any]
    source: str
    engine: str
    task: str = "transcribe"
    files: dict[str, FileEntry] = field(default_factory=dict)
    started_at: float = field(default_factory=time.time)
    updated_at: float = 0.0
    finished_at: float | None = None
    resumes: int = 0
    progress: dict[str, Any] = field(default_factory=dict)
    format: int = FORMAT_VERSION

    def counts(self) -> dict[str, int]:
        out = {"pending": 0, "done": 0, "failed": 0}
        for e in self.files.values():
            out[e.status] = out.get(e.status, 0) + 1
        return out

    def to_json(self) -> str:
        data = asdict(self)
        data["counts"] = self.counts()
        return json.dumps(data, ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> RunManifest:
        data = json.loads(text)
        data.pop("counts", None)
        files = {k: FileEntry(**v) for k, v in data.pop("files", {}).items()}
        return cls(files=files, **data)


class RunFolder:
    """The run directory OUT: its manifest and its shards."""

    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self.run_file = self.out / RUN_FILE
        self.shards = self.out / SHARD_DIR

    def exists(self) -> bool:
        return self.run_file.is_file()

    def load(self) -> RunManifest:
        try:
            return RunManifest.from_json(self.run_file.read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError) as exc:
            raise JazbaError(f"Cannot read the run manifest '{self.run_file}': {exc}") from exc

    def save(self, manifest: RunManifest) -> None:
        manifest.updated_at = time.time()
        write_atomic(self.run_file, manifest.to_json())

    def shard_name(self, key: str, sha256: str) -> str:
        stem = re.sub(r"[^\w.-]+", "_", Path(key).stem)[:60] or "audio"
        return f"{SHARD_DIR}/{stem}-{sha256[:12]}.jsonl"

    def write_shard(self, name: str, rows: list[dict[str, Any]]) -> None:
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        write_atomic(self.out / name, text)

    def read_shard(self, name: str) -> list[dict[str, Any]]:
        with open(self.out / name, encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]

    def _stem(self, key: str, sha256: str) -> str:
        return Path(self.shard_name(key, sha256)).stem

    def parts_dir(self, key: str, sha256: str) -> Path:
        return self.out / PARTS_DIR / self._stem(key, sha256)

    def part_name(self, key: str, sha256: str, index: int) -> str:
        return f"{PARTS_DIR}/{self._stem(key, sha256)}/{index:05d}.jsonl"

    def work_dir(self, key: str, sha256: str) -> Path:
        return self.out / WORK_DIR / self._stem(key, sha256)

    def rttm_name(self, key: str, sha256: str) -> str:
        return f"{RTTM_DIR}/{self._stem(key, sha256)}.rttm"

    def write_text(self, name: str, text: str) -> None:
        write_atomic(self.out / name, text)
