"""Recording into a project, finishing a recording, and recovering after a crash.

A recording in progress lives in the project folder, in
``recordings-in-progress/``: ``<name>.wav`` (the audio, see
:mod:`~desktop_app.core.capture.wavstream`), ``<name>.json`` (the journal)
and ``<name>.lock`` (held by the recording process, so a second Jazba that
opens the project leaves a live recording alone). When the recording stops,
:func:`import_recording` adds it to the project through
:meth:`RecordingService.import_file` with its metadata, markers (tier
"markers"), live-VAD utterances (empty draft segments on the transcription
tier) and speakers, then deletes the in-progress files.

After a crash, :func:`recover_unfinished` finds what was left there, repairs
the WAV header from the file length and imports it marked ``recovered``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import soundfile as sf
from sqlalchemy import select

from desktop_app.core.capture.journal import Journal, SessionMeta
from desktop_app.core.capture.recorder import Recorder, RecorderOptions
from desktop_app.core.capture.sources import CaptureError, CaptureSource
from desktop_app.core.capture.wavstream import read_facts, repair_wav, sample_dtype
from desktop_app.core.errors import JazbaError, StorageError
from desktop_app.core.jobs import JobState, Progress
from desktop_app.core.project import DEFAULT_TIER, Project
from desktop_app.core.services.dto import RecordingInfo
from desktop_app.core.services.recordings import (
    RecordingMeta,
    RecordingService,
    set_recording_speakers,
)
from desktop_app.core.services.segments import MIN_SEGMENT_MS, NewSegment, SegmentService
from desktop_app.core.services.speakers import TierService
from desktop_app.core.store.schema import Recording

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; recovery then trusts the journal state
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

IN_PROGRESS_DIR = "recordings-in-progress"
MARKER_TIER = "markers"
FINAL_FORMATS = ("wav", "flac")


def in_progress_dir(project: Project) -> Path:
    return project.path / IN_PROGRESS_DIR


class _Lock:
    """An advisory lock on ``<name>.lock`` held while a process owns a recording."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = -1

    def acquire(self) -> bool:
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        if fcntl is None:
            return True
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self.fd)
            self.fd = -1
            return False
        return True

    def release(self, remove: bool = False) -> None:
        if remove:
            self.path.unlink(missing_ok=True)
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class ProjectRecorder(Recorder):
    """A :class:`Recorder` writing into a project's in-progress folder."""

    def __init__(self, project: Project, *args, lock: _Lock, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.project = project
        self.lock = lock


def start_recording(
    project: Project,
    source: CaptureSource,
    meta: SessionMeta | None = None,
    *,
    final_format: str = "wav",
    options: RecorderOptions | None = None,
) -> ProjectRecorder:
    """Start recording ``source`` into ``project``; stop it with ``recorder.stop()``
    and then call :func:`import_recording` with its ``journal_path``."""
    if final_format not in FINAL_FORMATS:
        raise CaptureError(f"Unknown format '{final_format}'; use wav or flac.")
    options = options or RecorderOptions()
    folder = in_progress_dir(project)
    try:
        folder.mkdir(exist_ok=True)
    except OSError as exc:
        raise StorageError(f"Cannot create '{folder}': {exc.strerror}.") from exc
    now = datetime.now(UTC)
    stem = f"rec-{now.astimezone():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
    wav, journal_path = folder / f"{stem}.wav", folder / f"{stem}.json"
    lock = _Lock(folder / f"{stem}.lock")
    lock.acquire()
    journal = Journal(
        audio_file=wav.name,
        sample_rate=source.rate,
        channels=source.channels,
        bits=source.bits,
        started_at=now.replace(tzinfo=None).isoformat(timespec="seconds"),
        device=source.name,
        final_format=final_format,
        meta=meta or SessionMeta(),
    )
    recorder = ProjectRecorder(project, source, wav, journal_path, journal, options, lock=lock)
    if recorder.status().free_bytes < options.min_free_bytes:
        lock.release(remove=True)
        raise StorageError(
            f"The disk holding '{project.path}' is full; free some space before recording."
        )
    try:
        recorder.start()
    except OSError as exc:
        lock.release(remove=True)
        raise StorageError(f"Cannot write the recording in '{folder}': {exc.strerror}.") from exc
    except BaseException:
        lock.release(remove=True)
        raise
    return recorder


@dataclass(frozen=True)
class ImportOutcome:
    info: RecordingInfo | None  # None: nothing was recorded
    markers: int
    utterances: int
    frames: int


def default_title(journal: Journal) -> str:
    started = _started(journal)
    return f"Recording {started.astimezone():%Y-%m-%d %H:%M}"


def _started(journal: Journal) -> datetime:
    try:
        return datetime.fromisoformat(journal.started_at).replace(tzinfo=UTC)
    except ValueError:
        return datetime.now(UTC)


def _notes(journal: Journal, origin: str) -> str | None:
    lines = [journal.meta.notes] if journal.meta.notes else []
    rate = journal.sample_rate
    if journal.dropped_frames:
        lines.append(
            f"[Jazba] {journal.dropped_frames / rate:.2f} s of audio was lost while recording "
            f"({journal.dropped_blocks} block(s); replaced by silence)."
        )
    if journal.overflows:
        lines.append(f"[Jazba] The input reported {journal.overflows} overflow(s).")
    if origin == "recovered":
        lines.append(
            "[Jazba] Recovered after the recording was interrupted (crash or power loss); "
            "up to about the last second may be missing."
        )
    elif journal.stop_reason not in (None, "user", "ended"):
        lines.append(f"[Jazba] The recording stopped by itself ({journal.stop_reason}).")
    return "\n".join(lines) or None


def _paths(journal_path: Path, journal: Journal) -> tuple[Path, Path, Path]:
    wav = journal_path.with_name(journal.audio_file)
    return wav, wav.with_suffix(".flac"), wav.with_suffix(".lock")


def import_recording(
    project: Project,
    journal_path: Path,
    *,
    origin: str = "recorded",
    state: Progress | None = None,
) -> ImportOutcome:
    """Add a stopped (or crashed) recording to the project and remove its in-progress files."""
    state = state or JobState()
    journal = _load_journal(journal_path)
    wav, flac, lock = _paths(journal_path, journal)
    try:
        facts = repair_wav(wav)
    except (OSError, ValueError) as exc:
        raise CaptureError(f"The unfinished recording '{wav.name}' cannot be read: {exc}") from exc
    if facts.present_frames == 0:
        log.info("removing empty recording %s", wav)
        _remove(wav, flac, lock, journal_path)
        return ImportOutcome(None, 0, 0, 0)
    existing = _already_imported(project, {wav.name, flac.name})
    if existing is not None:  # crashed after the import, before the clean-up
        _remove(wav, flac, lock, journal_path)
        return ImportOutcome(RecordingService(project).get(existing), 0, 0, facts.present_frames)
    src = wav
    if journal.final_format == "flac":
        src = _to_flac(wav, flac, state)
    meta = journal.meta
    started = _started(journal)
    record_meta = RecordingMeta(
        title=meta.title or default_title(journal),
        recorded_on=meta.recorded_on or f"{started.astimezone():%Y-%m-%d}",
        place=meta.place,
        languages=meta.languages,
        consent=meta.consent,
        notes=_notes(journal, origin),
    )
    service = RecordingService(project)
    info = service.import_file(src, record_meta, state, origin=origin)
    rate = facts.rate
    duration_ms = info.duration_ms
    markers = _add_markers(project, info.id, journal, rate, duration_ms)
    utterances = _add_utterances(project, info.id, journal, rate, duration_ms)
    set_recording_speakers(project, info.id, meta.speaker_ids)
    _remove(wav, flac, lock, journal_path)
    return ImportOutcome(service.get(info.id), markers, utterances, facts.present_frames)


def finish_recording(
    recorder: ProjectRecorder, state: Progress | None = None, timeout: float | None = 30.0
) -> ImportOutcome:
    """Stop ``recorder`` (if still running) and import what it recorded.

    If the import fails (e.g. the disk is full) the recording stays in the
    in-progress folder and is imported by the next :func:`recover_unfinished`.
    """
    try:
        if not recorder.finished:
            recorder.stop(timeout)
        return import_recording(recorder.project, recorder.journal_path, state=state)
    finally:
        recorder.lock.release()


def _load_journal(journal_path: Path) -> Journal:
    try:
        return Journal.load(journal_path)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        wav = journal_path.with_suffix(".wav")
        if not wav.is_file():
            raise CaptureError(
                f"The recording journal '{journal_path.name}' is damaged ({exc}) and "
                "has no audio beside it."
            ) from exc
        log.warning("journal %s unreadable (%s); recovering the audio alone", journal_path, exc)
        stamp = datetime.fromtimestamp(wav.stat().st_mtime, UTC).replace(tzinfo=None)
        facts = repair_wav(wav)
        return Journal(
            audio_file=wav.name,
            sample_rate=facts.rate,
            channels=facts.channels,
            bits=facts.bits,
            started_at=stamp.isoformat(timespec="seconds"),
        )


def _already_imported(project: Project, names: set[str]) -> int | None:
    with project.unit() as s:
        return s.scalar(select(Recording.id).where(Recording.original_filename.in_(names)))


def _to_flac(wav: Path, flac: Path, state: Progress) -> Path:
    state.set_progress(0.0, f"Compressing '{wav.name}' to FLAC…")
    tmp = flac.with_name(f".{flac.name}.part")
    try:
        with sf.SoundFile(wav) as fin:
            bits = 24 if fin.subtype == "PCM_24" else 16  # FLAC keeps the depth
            subtype = f"PCM_{bits}"
            fout = sf.SoundFile(tmp, "w", fin.samplerate, fin.channels, subtype, format="FLAC")
            with fout:
                for block in fin.blocks(65_536, dtype=sample_dtype(bits), always_2d=True):
                    fout.write(block)
                    state.check()
        os.replace(tmp, flac)
    except (OSError, sf.SoundFileError) as exc:
        tmp.unlink(missing_ok=True)
        raise StorageError(f"Cannot write '{flac.name}': {exc}. The WAV is kept.") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return flac


def _add_markers(
    project: Project, recording_id: int, journal: Journal, rate: int, duration_ms: int
) -> int:
    if not journal.markers or duration_ms < MIN_SEGMENT_MS:
        return 0
    tier = TierService(project).get_or_create(MARKER_TIER, kind="marker")
    items = []
    for m in journal.markers:
        start = min(round(m.frame * 1000 / rate), duration_ms - MIN_SEGMENT_MS)
        items.append(NewSegment(start, start + MIN_SEGMENT_MS, m.label))
    SegmentService(project).add_many(
        recording_id,
        items,
        tier_id=tier.id,
        status="edited",
        source="import",
        source_detail="markers set while recording",
    )
    return len(items)


def _add_utterances(
    project: Project, recording_id: int, journal: Journal, rate: int, duration_ms: int
) -> int:
    items = []
    for a, b in journal.utterances:
        start, end = round(a * 1000 / rate), min(round(b * 1000 / rate), duration_ms)
        if end - start >= MIN_SEGMENT_MS:
            items.append(NewSegment(start, end, ""))
    if not items:
        return 0
    tier = TierService(project).get_or_create(DEFAULT_TIER)
    SegmentService(project).add_many(
        recording_id,
        items,
        tier_id=tier.id,
        status="auto",
        source="model",
        source_detail="live voice activity detection while recording",
    )
    return len(items)


def _remove(*paths: Path) -> None:
    """Delete the in-progress files (and journal temporaries a crash may have left)."""
    extra = [t for p in paths if p.suffix == ".json" for t in p.parent.glob(f".{p.name}.*.tmp")]
    for p in [*paths, *extra]:
        with contextlib.suppress(OSError):
            p.unlink(missing_ok=True)


# -- recovery ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Unfinished:
    journal_path: Path
    wav_path: Path
    frames: int
    rate: int


def find_unfinished(project: Project) -> list[Unfinished]:
    """Recordings left in the in-progress folder that no running process owns."""
    folder = in_progress_dir(project)
    if not folder.is_dir():
        return []
    found = []
    journals = {p.with_suffix(".wav"): p for p in folder.glob("rec-*.json")}
    for wav in sorted(folder.glob("rec-*.wav")):
        lock = _Lock(wav.with_suffix(".lock"))
        if not lock.acquire():
            continue  # being recorded right now by another process
        lock.release()
        journal_path = journals.get(wav, wav.with_suffix(".json"))
        try:
            facts = read_facts(wav)
        except (OSError, ValueError):
            log.warning("skipping unreadable in-progress file %s", wav)
            continue
        found.append(Unfinished(journal_path, wav, facts.present_frames, facts.rate))
    return found


@dataclass(frozen=True)
class Recovered:
    wav_name: str
    outcome: ImportOutcome | None
    error: str | None


def recover_unfinished(project: Project, state: Progress | None = None) -> list[Recovered]:
    """Repair and import every unfinished recording (see the module docstring).

    A file that cannot be imported stays where it is and is reported.
    """
    state = state or JobState()
    out = []
    for item in find_unfinished(project):
        lock = _Lock(item.wav_path.with_suffix(".lock"))
        if not lock.acquire():
            continue
        try:
            if not item.journal_path.exists():
                _load_journal(item.journal_path).save(item.journal_path)
            journal = Journal.load(item.journal_path)
            origin = "recorded" if journal.state == "stopped" else "recovered"
            outcome = import_recording(project, item.journal_path, origin=origin, state=state)
            out.append(Recovered(item.wav_path.name, outcome, None))
        except JazbaError as exc:
            log.warning("recovering %s failed: %s", item.wav_path, exc)
            out.append(Recovered(item.wav_path.name, None, str(exc)))
        finally:
            lock.release()
    return out
