"""The transcription job: a recording in, timed and scored segments out.

``transcribe_recording`` is a plain function with a progress state, used alike
by the GUI (in a worker thread), the CLI and tests. It decodes lazily and
commits the new draft range by range as the model gets past each point where
the old draft can be cut (see :class:`~desktop_app.core.services.model_pass.ModelPass`),
calling ``on_update`` after each, so the UI fills in while the job runs. A
cancel, a crash or a kill leaves the new draft before the last cut and the old
draft after it. Segments a person touched are never changed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop_app.asr import engines
from desktop_app.asr.bias import BiasOptions
from desktop_app.asr.engines import SpeechEngine, load_engine
from desktop_app.asr.manifest import Manifest
from desktop_app.asr.options import DecodeOptions
from desktop_app.asr.ort_session import choose_device
from desktop_app.asr.presets import DEFAULT_PRESET, preset
from desktop_app.asr.registry import ModelRegistry
from desktop_app.asr.transcribe import Segment, TranscriptionInfo
from desktop_app.core.audio.importer import load_model_audio
from desktop_app.core.errors import Cancelled, Fix, ModelError
from desktop_app.core.jobs import JobState, Progress
from desktop_app.core.project import Project
from desktop_app.core.services.bias_words import load_words, uses_prompt
from desktop_app.core.services.job_log import JobLog
from desktop_app.core.services.model_pass import ModelPass, ModelRef, PassUpdate
from desktop_app.core.services.recordings import RecordingService
from desktop_app.core.services.segments import NewSegment
from desktop_app.services.pieces import PIECE_S, plan_pieces

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class TranscribeRequest:
    recording_id: int
    model_id: str | None = None  # None: the registry's active model
    preset: str = DEFAULT_PRESET
    language: str | None = "kk"  # None: detect per recording
    device: str = "auto"  # auto, cpu, cuda
    threads: int | None = None
    vad: bool = True
    tier_id: int | None = None
    #: "auto" (int8 on the CPU when the version has it, else fp32), "fp32" or "int8".
    precision: str = "auto"
    #: Words to lean towards, ``(word, weight)``; ``None``: the project's word list.
    bias_words: tuple[tuple[str, float], ...] | None = None
    use_bias: bool = True  # False: no word list at all (neither given nor the project's)
    #: Whether Whisper also gets the words as its prompt; ``None``: the project's setting.
    bias_prompt: bool | None = None
    #: Long recordings are decoded in pieces of about this length, cut at pauses.
    piece_s: float = PIECE_S


PRECISIONS = ("auto", "fp32", "int8")


def has_int8(model_dir: Path) -> bool:
    """Whether the version folder has the int8 variant (Whisper: encoder and decoder)."""
    return engines.has_int8(model_dir)


def resolve_precision(precision: str, model_dir: Path, device: str) -> str:
    """``"fp32"`` or ``"int8"`` for ``precision`` on this model folder and device.

    ``auto`` picks int8 on the CPU when the folder has it: it passed the WER
    parity check (``tests/asr/test_int8.py``) and is ~2x faster there. On CUDA
    the fp32 graphs run (the int8 kernels are CPU ones). An explicit ``int8``
    on a folder without it raises :class:`ModelError` with the fix.
    """
    if precision not in PRECISIONS:
        raise ModelError(f"Unknown precision '{precision}': use {', '.join(PRECISIONS)}.")
    if precision == "int8" and not has_int8(model_dir):
        raise ModelError(
            "This model version has no int8 variant.",
            fix=Fix.ADD_INT8,
            cli="Add it with 'jazba models upgrade MODEL_ID', or transcribe with precision fp32.",
        )
    if precision != "auto":
        return precision
    if not has_int8(model_dir) or choose_device(device).device != "cpu":
        return "fp32"
    return "int8"


@dataclass(frozen=True)
class TranscribeResult:
    recording_id: int
    model_id: str
    operation_id: int  # the undo step that holds the whole pass
    added: int
    skipped: int  # model segments that fell on segments a person edited or approved
    language: str | None
    device: str
    device_warning: str | None
    audio_seconds: float
    wall_seconds: float
    precision: str = "fp32"
    replaced: int = 0  # old draft segments the new pass replaced
    kept: int = 0  # old draft segments a person touched while the pass ran

    @property
    def rtf(self) -> float:
        return self.wall_seconds / self.audio_seconds if self.audio_seconds else 0.0


class EngineCache:
    """Keeps the last loaded model so consecutive jobs do not reload it.

    One cache lives for the whole process (:func:`default_engines`): the GUI
    loads the model once per session (ahead of the first job, when a project
    opens), and every later job with the same settings gets the same engine.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[str, str, int | None, str] | None = None
        self._engine: SpeechEngine | None = None
        self.loads = 0  # how many engines were built (a second job must not build one)

    @staticmethod
    def key(
        model_dir: Path, device: str, threads: int | None, precision: str = "fp32"
    ) -> tuple[str, str, int | None, str]:
        return (str(model_dir), device, threads, precision)

    def loaded(
        self, model_dir: Path, device: str, threads: int | None, precision: str = "fp32"
    ) -> bool:
        """Whether :meth:`get` with these settings returns at once (no load)."""
        return self._engine is not None and self._key == self.key(
            model_dir, device, threads, precision
        )

    def get(
        self, model_dir: Path, device: str, threads: int | None, precision: str = "fp32"
    ) -> SpeechEngine:
        """The engine for these settings; ``precision`` is ``fp32`` or ``int8`` (resolved).
        Whisper or CTC, by what the folder holds (:func:`load_engine`). A caller
        that comes while another loads the same model waits for it."""
        key = self.key(model_dir, device, threads, precision)
        with self._lock:
            if self._engine is None or self._key != key:
                self._engine = None  # release the old sessions first
                self._engine = load_engine(
                    model_dir, device=device, threads=threads, quantized=precision == "int8"
                )
                self._key = key
                self.loads += 1
            return self._engine


_DEFAULT_CACHE = EngineCache()


def default_engines() -> EngineCache:
    """The process-wide engine cache that :func:`transcribe_recording` uses by default."""
    return _DEFAULT_CACHE


def bias_for(project: Project, request: TranscribeRequest) -> BiasOptions | None:
    """The word list this transcription leans towards (``None``: none)."""
    if not request.use_bias:
        return None
    if request.bias_words is not None:
        words = request.bias_words
    else:
        words = tuple((b.word, b.weight) for b in load_words(project))
    prompt = uses_prompt(project) if request.bias_prompt is None else request.bias_prompt
    bias = BiasOptions(words=words, prompt=prompt)
    return bias if bias else None


def resolve_model(registry: ModelRegistry, model_id: str | None) -> Manifest:
    if model_id is not None:
        return registry.get(model_id)
    active = registry.active()
    if active is None:
        raise ModelError(
            "No speech model is installed.",
            fix=Fix.INSTALL_SPEECH_MODEL,
            cli="Run 'jazba models install-default' (offline, about a minute) or import one.",
        )
    return active


def to_new_segment(seg: Segment, offset_s: float) -> NewSegment:
    words = [
        {
            "w": w.text,
            "s": None if w.start is None else round(w.start + offset_s, 3),
            "e": None if w.end is None else round(w.end + offset_s, 3),
            "p": round(float(w.probability), 4),
        }
        for w in seg.words
    ]
    return NewSegment(
        start_ms=round((seg.start + offset_s) * 1000),
        end_ms=round((seg.end + offset_s) * 1000),
        text=seg.text.strip(),
        language=seg.language,
        confidence=round(float(seg.confidence), 4),
        words=words or None,
    )


@dataclass(frozen=True)
class Piece:
    """One decoded stretch of a file: its lazy segments (times relative to ``start_s``)."""

    start_s: float
    end_s: float
    segments: Iterator[Segment]
    info: TranscriptionInfo


def decode_piece(
    engine: SpeechEngine, audio_path: Path, start_s: float, end_s: float, options: DecodeOptions
) -> Piece:
    """Start decoding ``[start_s, end_s)`` of 16 kHz model audio as an audio of its own."""
    audio = load_model_audio(audio_path, start_s, end_s)
    segments, info = engine.transcribe(np.asarray(audio, np.float32), options)
    return Piece(start_s, end_s, segments, info)


def decode_pieces(
    engine: SpeechEngine,
    audio_path: Path,
    total_s: float,
    options: DecodeOptions,
    piece_s: float = PIECE_S,
) -> Iterator[Piece]:
    """Decode 16 kHz model audio piece by piece (cut at pauses, see
    :func:`~desktop_app.services.pieces.plan_pieces`; bounded memory), lazily.

    The one decoding loop behind :func:`transcribe_recording` and the batch
    runner (which spreads the same pieces across workers), so both give the
    same segments for the same audio and settings.
    """
    for start_s, end_s in plan_pieces(audio_path, total_s, piece_s):
        yield decode_piece(engine, audio_path, start_s, end_s, options)


def piece_segments(piece: Piece) -> list[NewSegment]:
    """A piece's segments, in absolute times."""
    return [to_new_segment(seg, piece.start_s) for seg in piece.segments]


def transcribe_file(
    engine: SpeechEngine,
    audio_path: Path,
    total_s: float,
    options: DecodeOptions,
    piece_s: float = PIECE_S,
) -> tuple[list[NewSegment], str | None]:
    """All segments of one model audio file (absolute times) and the detected language."""
    out: list[NewSegment] = []
    language = options.language
    for piece in decode_pieces(engine, audio_path, total_s, options, piece_s):
        language = language or piece.info.language
        out.extend(piece_segments(piece))
    return out, language


def transcribe_recording(
    project: Project,
    request: TranscribeRequest,
    state: Progress | None = None,
    *,
    registry: ModelRegistry | None = None,
    engines: EngineCache | None = None,
    on_update: Callable[[PassUpdate], None] | None = None,
) -> TranscribeResult:
    """Transcribe one recording into its tier; ``on_update`` follows each committed range.

    Raises :class:`Cancelled` when ``state`` is cancelled: what was committed
    stays (the new draft up to the last cut, the old one after it), and the
    job log records how far the pass got (``params["done_ms"]``).
    """
    state = state or JobState()
    registry = registry or ModelRegistry()
    manifest = resolve_model(registry, request.model_id)
    recording = RecordingService(project).get(request.recording_id)
    model_dir = registry.path(manifest.id)
    precision = resolve_precision(request.precision, model_dir, request.device)
    bias = bias_for(project, request)
    jobs = JobLog(project)
    job_id = jobs.start(
        "transcribe",
        {
            "recording_id": recording.id,
            "model_id": manifest.id,
            "preset": request.preset,
            "language": request.language,
            "precision": precision,
            "bias_words": len(bias.words) if bias else 0,
            "bias_prompt": bool(bias and bias.prompt),
        },
    )
    t0 = time.perf_counter()
    try:
        state.set_progress(0.0, f"Loading {manifest.name}…")
        engine = (engines or _DEFAULT_CACHE).get(
            model_dir, request.device, request.threads, precision
        )
        if engine.device_warning:
            jobs.append_log(job_id, engine.device_warning)
        options = preset(
            request.preset, language=request.language, vad_filter=request.vad, bias=bias
        )
        mp = ModelPass(
            project,
            recording.id,
            ModelRef(manifest.id, manifest.name, manifest.source, manifest.parent_id),
            tier_id=request.tier_id,
            job_id=job_id,
        )
        operation_id = mp.begin()

        def emit(update: PassUpdate | None) -> None:
            if update is not None and on_update is not None:
                on_update(update)

        audio_path = project.abspath(recording.model_audio_path)
        total_s = recording.duration_ms / 1000
        language: str | None = request.language
        for piece in decode_pieces(engine, audio_path, total_s, options, request.piece_s):
            state.set_progress(piece.start_s / total_s, f"Transcribing on {engine.device.upper()}…")
            language = language or piece.info.language
            for seg in piece.segments:
                state.check()
                emit(mp.add(to_new_segment(seg, piece.start_s)))
                state.set_progress((piece.start_s + seg.end) / total_s)
            state.check()
            emit(mp.reached(round(piece.end_s * 1000)))
        emit(mp.finish())
        state.set_progress(1.0, f"Transcribed {mp.added} segment(s)")
    except (Cancelled, KeyboardInterrupt):
        jobs.finish(job_id, "cancelled")
        raise
    except Exception as exc:
        log.exception("transcription of recording %s failed", recording.id)
        jobs.finish(job_id, "failed", str(exc))
        raise
    jobs.finish(job_id, "done")
    return TranscribeResult(
        recording_id=recording.id,
        model_id=manifest.id,
        operation_id=operation_id,
        added=mp.added,
        skipped=mp.skipped,
        language=language,
        device=engine.device,
        device_warning=engine.device_warning,
        audio_seconds=total_s,
        wall_seconds=time.perf_counter() - t0,
        precision=precision,
        replaced=mp.replaced,
        kept=mp.kept,
    )
