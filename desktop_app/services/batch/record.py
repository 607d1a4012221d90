"""What the driver does with each result: shards, pieces, the manifest's entries.

A whole file's result becomes its shard. A long file's *preparation* gives
its pieces (kept in the manifest entry) and puts them at the front of the
queue, so the pieces of a file are done before further files are started
(and few decoded copies wait in ``work/``). Each finished piece is kept in
``parts/``; when the last one is in, the file's shard is put together in
the pieces' order and the parts and the decoded copy are removed. A piece
that fails fails its file (with the piece named); the other pieces are kept
for a resumed run.
"""

from __future__ import annotations

import shutil
import time
from collections import deque
from pathlib import Path
from typing import Any

from desktop_app.services.batch.manifest import FileEntry, RunFolder, RunManifest
from desktop_app.services.batch.work import (
    CHUNK,
    PREPARE,
    EngineSettings,
    FileResult,
    FileTask,
    as_stored,
    row_segment,
)


def chunk_tasks(entry: FileEntry, key: str) -> list[FileTask]:
    """The work items of ``entry``'s pieces that are not done yet."""
    assert entry.chunks is not None and entry.work_audio is not None
    return [
        FileTask(
            key=key,
            path=entry.path,
            sha256=entry.sha256,
            model_audio=entry.work_audio,
            duration_s=entry.audio_s,
            kind=CHUNK,
            index=i,
            start_s=c["start_s"],
            end_s=c["end_s"],
        )
        for i, c in enumerate(entry.chunks)
        if c["status"] != "done"
    ]


def done_chunk_seconds(entry: FileEntry) -> float:
    return sum(c["end_s"] - c["start_s"] for c in entry.chunks or [] if c["status"] == "done")


class Recorder:
    """Applies results to the run folder and the manifest; counts progress."""

    def __init__(
        self,
        folder: RunFolder,
        manifest: RunManifest,
        settings: EngineSettings,
        queue: deque[FileTask],
        progress: Any,  # BatchProgress
    ) -> None:
        self.folder = folder
        self.manifest = manifest
        self.settings = settings
        self.queue = queue
        self.progress = progress

    def handle(self, result: FileResult) -> None:
        entry = self.manifest.files[result.key]
        if result.device_warning and result.device_warning not in self.progress.notes:
            self.progress.notes.append(result.device_warning)
        self.progress.last = entry.path
        if result.kind == PREPARE:
            self._prepared(entry, result)
        elif result.kind == CHUNK:
            self._chunk(entry, result)
        else:
            self._file(entry, result)

    # -- a whole file --------------------------------------------------------------------
    def _file(self, entry: FileEntry, result: FileResult) -> None:
        entry.attempts += 1
        entry.wall_s = round(result.wall_s, 3)
        if not result.ok:
            self._fail(entry, result.reason)
            return
        self._done(entry, result.segments, result.audio_s, result.language)
        self.progress.audio_s_done += result.audio_s

    def _fail(self, entry: FileEntry, reason: str | None) -> None:
        if entry.status != "failed":
            self.progress.files_failed += 1
        entry.status, entry.reason = "failed", reason
        entry.finished_at = time.time()
        entry.model_id = self.settings.model_id

    def _done(
        self, entry: FileEntry, rows: list[dict[str, Any]], audio_s: float, language: str | None
    ) -> None:
        model_id = self.settings.model_id
        name = self.folder.shard_name(entry.path, entry.sha256)
        head = {"file": entry.path, "sha256": entry.sha256, "model_id": model_id}
        rows = [{**head, **r} for r in rows]
        self.folder.write_shard(name, rows)  # before the manifest names it
        if self.settings.task == "diarize":
            from desktop_app.services.batch.diarize_task import rttm

            self.folder.write_text(self.folder.rttm_name(entry.path, entry.sha256), rttm(
                Path(entry.path).stem, rows
            ))  # fmt: skip
        entry.status, entry.reason, entry.shard = "done", None, name
        entry.finished_at = time.time()
        entry.model_id = model_id
        entry.audio_s = round(audio_s, 3)
        entry.segments = len(rows)
        entry.language = language
        entry.progress = 1.0
        if self.settings.task == "units":
            from desktop_app.services.batch.units_task import summary

            entry.summary = summary(rows)
        self.progress.files_done += 1

    # -- a long file's pieces ------------------------------------------------------------
    def _prepared(self, entry: FileEntry, result: FileResult) -> None:
        if not result.ok or not result.plan:
            entry.attempts += 1
            self._fail(entry, result.reason)
            return
        guess = entry.audio_s or 0.0
        entry.audio_s = round(result.audio_s, 3)
        self.progress.audio_s_total += entry.audio_s - guess
        entry.work_audio = result.model_audio
        entry.chunks = [
            {"start_s": a, "end_s": b, "status": "pending", "attempts": 0, "reason": None}
            for a, b in result.plan
        ]
        entry.progress = 0.0
        self.queue.extendleft(reversed(chunk_tasks(entry, result.key)))

    def _chunk(self, entry: FileEntry, result: FileResult) -> None:
        assert entry.chunks is not None
        chunk = entry.chunks[result.index]
        chunk["attempts"] += 1
        chunk["wall_s"] = round(result.wall_s, 3)
        if not result.ok:
            chunk["status"], chunk["reason"] = "failed", result.reason
            where = f"{chunk['start_s']:.1f}-{chunk['end_s']:.1f} s"
            entry.attempts += 1
            self._fail(entry, f"the piece at {where}: {result.reason}")
            return
        name = self.folder.part_name(entry.path, entry.sha256, result.index)
        self.folder.write_shard(name, result.segments)  # before the manifest says done
        chunk["status"], chunk["reason"], chunk["language"] = "done", None, result.language
        self.progress.audio_s_done += chunk["end_s"] - chunk["start_s"]
        entry.progress = round(done_chunk_seconds(entry) / (entry.audio_s or 1.0), 4)
        if all(c["status"] == "done" for c in entry.chunks) and entry.status != "done":
            self._assemble(entry)

    def _assemble(self, entry: FileEntry) -> None:
        assert entry.chunks is not None
        rows: list[dict[str, Any]] = []
        language = self.settings.language if self.settings.task == "transcribe" else None
        for i, chunk in enumerate(entry.chunks):
            rows += self.folder.read_shard(self.folder.part_name(entry.path, entry.sha256, i))
            language = language or chunk.get("language")
        audio_s = entry.audio_s or 0.0
        if self.settings.task == "transcribe":
            rows = as_stored([row_segment(r) for r in rows], round(audio_s * 1000))
        entry.attempts += 1
        entry.wall_s = round(sum(c.get("wall_s", 0.0) for c in entry.chunks), 3)
        was_failed = entry.status == "failed"
        self._done(entry, rows, audio_s, language)
        if was_failed:  # a piece failed earlier in this run, and was redone
            self.progress.files_failed -= 1
        self.cleanup(entry)

    def cleanup(self, entry: FileEntry) -> None:
        """Remove a finished file's parts and decoded copy (never a project's audio)."""
        shutil.rmtree(self.folder.parts_dir(entry.path, entry.sha256), ignore_errors=True)
        work = self.folder.work_dir(entry.path, entry.sha256)
        if entry.work_audio and Path(entry.work_audio).is_relative_to(work):
            shutil.rmtree(work, ignore_errors=True)
        entry.work_audio = None
