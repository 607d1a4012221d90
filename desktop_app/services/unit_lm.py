"""Unit-LM jobs on a project: fit units, extract them, train the LM.

Plain job functions with a progress state, shared by the GUI, the CLI and
tests. Steps that need scikit-learn, transformers or PyTorch run in the
``python -m desktop_app.unitlm`` subprocess (started with
:func:`~desktop_app.modelbuild.launcher.run_modelbuild`; cancel kills it);
the Whisper-based units of the offline default are extracted in this process
with ONNX Runtime. New versions go to the :class:`UnitRegistry`; per-recording
unit arrays are project cache files (see :mod:`desktop_app.units.extract`).
All project audio is used, transcribed or not.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from desktop_app.asr.manifest import ENCODER_FILE
from desktop_app.asr.registry import ModelRegistry
from desktop_app.core.errors import Fix, JazbaError, ModelError
from desktop_app.core.jobs import JobState, Progress, SubState
from desktop_app.core.project import Project
from desktop_app.core.services.dto import RecordingInfo
from desktop_app.core.services.job_log import JobLog
from desktop_app.core.services.recordings import RecordingService
from desktop_app.modelbuild.launcher import run_modelbuild
from desktop_app.modelbuild.protocol import LogMsg, Message, MetricsMsg
from desktop_app.units.codebook import CODEBOOK_FILE, SIZES
from desktop_app.units.extract import (
    UnitExtractor,
    audio_pieces,
    cache_dir,
    cache_file,
    load_units,
    save_units,
)
from desktop_app.units.features import (
    FEATURES_FILE,
    HF_KIND,
    WHISPER_KIND,
    FeatureSpec,
    UnitInputError,
    cut_whisper_encoder,
    middle_layer,
)
from desktop_app.units.registry import LMShape, UnitConfig, UnitRegistry, UnitVersion, link_or_copy

log = logging.getLogger(__name__)

MODULE = "desktop_app.unitlm"
MetricsCallback = Callable[[int, dict[str, float]], None]


@dataclass(frozen=True)
class FitOptions:
    """``features``: ``"whisper"`` (offline default) or a local HF wav2vec2/HuBERT folder."""

    k: int = 100
    collapse: bool = True
    features: str = "whisper"
    layer: int | None = None  # None: the middle of the encoder
    asr_model_id: str | None = None  # Whisper features: None = the active ASR model
    max_frames: int = 150_000
    seed: int = 0
    device: str = "auto"
    name: str | None = None


@dataclass(frozen=True)
class TrainOptions:
    units_version: str | None = None  # None: the newest unit version
    lm: LMShape = field(default_factory=LMShape)
    steps: int | None = None  # None: about 15 passes over the data (100-3000 steps)
    batch_size: int = 16
    lr: float = 2e-3
    seed: int = 0
    heldout: float = 0.1
    device: str = "auto"
    threads: int | None = None
    name: str | None = None


def _audio_items(recordings: list[RecordingInfo], project: Project) -> list[dict[str, Any]]:
    return [
        {
            "path": str(project.abspath(r.model_audio_path)),
            "key": r.sha256[:16],
            "seconds": r.duration_ms / 1000,
        }
        for r in recordings
    ]


def _hf_layer(folder: Path, layer: int | None) -> int:
    """Middle hidden layer of a HF encoder from its config.json (no transformers here)."""
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelError(
            f"'{folder}' is not a Hugging Face model folder (no config.json)."
        ) from exc
    except (OSError, ValueError) as exc:
        raise ModelError(f"Cannot read '{folder / 'config.json'}': {exc}") from exc
    n = int(config.get("num_hidden_layers", 12))
    return n // 2 if layer is None else layer


def _forward_messages(jobs: JobLog, job_id: int, on_metrics: MetricsCallback | None):
    def handle(msg: Message) -> None:
        if isinstance(msg, MetricsMsg):
            if on_metrics is not None:
                on_metrics(msg.step, msg.values)
            text = ", ".join(f"{k} {v:.4g}" for k, v in msg.values.items())
            jobs.append_log(job_id, f"step {msg.step}: {text}")
        elif isinstance(msg, LogMsg):
            jobs.append_log(job_id, msg.text)

    return handle


def _write_spec(folder: Path, spec: dict[str, Any]) -> Path:
    path = folder / "spec.json"
    path.write_text(json.dumps(spec, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _run_logged(
    project: Project,
    kind: str,
    params: dict[str, Any],
    body: Callable[[JobLog, int], UnitVersion],
) -> UnitVersion:
    jobs = JobLog(project)
    with jobs.track(kind, params) as job_id:
        version = body(jobs, job_id)
        jobs.append_log(job_id, f"version {version.id}: {json.dumps(version.manifest.metrics)}")
    return version


def fit_units(
    project: Project,
    options: FitOptions,
    state: Progress | None = None,
    *,
    registry: UnitRegistry | None = None,
    asr_registry: ModelRegistry | None = None,
    python: str | None = None,
) -> UnitVersion:
    """Learn K speech units from all of the project's audio; a new unit version."""
    state = state or JobState()
    registry = registry or UnitRegistry()
    if options.k not in SIZES:
        raise JazbaError(f"K must be one of {', '.join(map(str, SIZES))}, not {options.k}.")
    recordings = RecordingService(project).list()
    if not recordings:
        raise JazbaError("The project has no recordings to learn speech units from.")
    frames = sum(r.duration_ms for r in recordings) // 20
    if frames < max(2 * options.k, 10):
        raise JazbaError(
            f"Too little audio for {options.k} units: {frames} frames of 20 ms; use a "
            f"smaller K or add recordings (at least {max(2 * options.k, 10)} frames)."
        )

    def body(jobs: JobLog, job_id: int) -> UnitVersion:
        staging = registry.staging_dir(options.name or "units")
        try:
            build = staging / "model"
            build.mkdir()
            if options.features == "whisper":
                asr = asr_registry or ModelRegistry()
                manifest = asr.get(options.asr_model_id) if options.asr_model_id else asr.active()
                if manifest is None:
                    raise ModelError(
                        "Whisper-based units need an installed speech model.",
                        fix=Fix.INSTALL_SPEECH_MODEL,
                        cli="Run 'jazba models install-default' or pass a wav2vec2/HuBERT "
                        "folder (--features).",
                    )
                encoder = asr.path(manifest.id) / ENCODER_FILE
                layer = options.layer or middle_layer(encoder)
                state.set_progress(0.0, f"Cutting the Whisper encoder after block {layer}")
                cut_whisper_encoder(encoder, layer, build / FEATURES_FILE)
                spec = FeatureSpec(WHISPER_KIND, layer, source=manifest.id)
                default_name = f"whisper-l{layer}-k{options.k}"
            else:
                folder = Path(options.features).expanduser().resolve()
                layer = _hf_layer(folder, options.layer)
                spec = FeatureSpec(HF_KIND, layer, source=str(folder))
                default_name = f"{folder.name}-l{layer}-k{options.k}"
            units_out = staging / "units"
            job = {
                "features": spec.to_dict(),
                "graph": str(build / FEATURES_FILE),
                "audio": _audio_items(recordings, project),
                "cache_dir": str(units_out),
                "k": options.k,
                "max_frames": options.max_frames,
                "seed": options.seed,
                "device": options.device,
            }
            result = run_modelbuild(
                ["fit", str(_write_spec(staging, job)), str(build)],
                SubState(state, 0.02, 0.95),
                python=python,
                cwd=staging,
                module=MODULE,
                on_message=_forward_messages(jobs, job_id, None),
            )
            spec = FeatureSpec(spec.kind, spec.layer, spec.source, spec.frame_rate, result["dim"])
            config = UnitConfig(features=spec, k=options.k, collapse=options.collapse)
            metrics = {
                k: result[k]
                for k in ("frames_fitted", "inertia_per_frame", "units_used", "audio_seconds")
            }
            metrics["extract_x_real_time"] = result["extract_x_real_time"]
            version = registry.finish(
                build,
                options.name or default_name,
                config,
                source_ref=spec.source,
                metrics=metrics,
                notes=spec.describe(),
            )
            target = cache_dir(project.path, version.config.cache_key)
            target.mkdir(parents=True, exist_ok=True)
            for file in units_out.glob("*.npy") if units_out.is_dir() else []:
                file.replace(target / file.name)
            state.set_progress(1.0, f"Learned {options.k} units ({version.id})")
            return version
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    return _run_logged(project, "units-fit", {"k": options.k, "features": options.features}, body)


def _extract_recording(
    extractor: UnitExtractor, path: Path, state: Progress, done_ms: int, total_ms: int, text: str
) -> np.ndarray | None:
    """Frame units of one recording (None if shorter than a frame); progress per 30 s window."""
    parts: list[np.ndarray] = []
    for piece in audio_pieces(path):
        base = done_ms + sum(p.size for p in parts) * 20
        piece_ms = piece.size / 16

        def report(fraction: float, base: float = base, piece_ms: float = piece_ms) -> None:
            state.set_progress((base + fraction * piece_ms) / total_ms, text)  # checks cancel

        try:
            parts.append(extractor(piece, report))
        except UnitInputError:
            continue
    return np.concatenate(parts) if parts else None


def ensure_units(
    project: Project,
    version: UnitVersion,
    state: Progress | None = None,
    *,
    recording_ids: list[int] | None = None,
    device: str = "cpu",
    python: str | None = None,
) -> dict[int, Path]:
    """Make sure every recording has cached units; ``{recording id: unit file}``.

    Recordings too short for one unit get no file (and no entry). Whisper
    units are extracted here with ONNX Runtime; Hugging Face units in the
    subprocess.
    """
    state = state or JobState()
    recordings = RecordingService(project).list()
    if recording_ids is not None:
        recordings = [r for r in recordings if r.id in set(recording_ids)]
    key = version.config.cache_key
    missing = [r for r in recordings if load_units(cache_file(project.path, key, r.sha256)) is None]
    total = sum(r.duration_ms for r in missing) or 1
    if missing and version.config.features.kind == WHISPER_KIND:
        extractor = UnitExtractor(version, device=device)
        done = 0
        for r in missing:
            units = _extract_recording(
                extractor,
                project.abspath(r.model_audio_path),
                state,
                done,
                total,
                f"Units of '{r.title}'",
            )
            if units is not None:
                save_units(cache_file(project.path, key, r.sha256), units)
            done += r.duration_ms
    elif missing:
        base = project.path / "cache" / "units" / ".staging"
        base.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="extract-", dir=base))
        job = {
            "features": version.config.features.to_dict(),
            "audio": _audio_items(missing, project),
            "cache_dir": str(cache_dir(project.path, key)),
            "codebook": str(version.folder / CODEBOOK_FILE),
            "device": device,
        }
        spec_path = _write_spec(staging, job)
        try:
            run_modelbuild(
                ["extract", str(spec_path)], state, python=python, cwd=staging, module=MODULE
            )
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    state.set_progress(1.0, "Units ready")
    files = {r.id: cache_file(project.path, key, r.sha256) for r in recordings}
    return {rid: path for rid, path in files.items() if path.is_file()}


def train_unit_lm(
    project: Project,
    options: TrainOptions,
    state: Progress | None = None,
    *,
    registry: UnitRegistry | None = None,
    python: str | None = None,
    on_metrics: MetricsCallback | None = None,
) -> UnitVersion:
    """Train a unit LM on the units of all project audio; a new (active) version."""
    state = state or JobState()
    registry = registry or UnitRegistry()
    base = registry.resolve(options.units_version, need_lm=False)

    def body(jobs: JobLog, job_id: int) -> UnitVersion:
        files = ensure_units(project, base, SubState(state, 0.0, 0.2), python=python)
        if not files:
            raise JazbaError("The project has no audio long enough to train a unit LM.")
        staging = registry.staging_dir(options.name or "unitlm")
        try:
            build = staging / "model"
            build.mkdir()
            for name in (CODEBOOK_FILE, FEATURES_FILE):
                if (base.folder / name).is_file():
                    link_or_copy(base.folder / name, build / name)
            job = {
                "units": [str(p) for p in files.values()],
                "k": base.config.k,
                "collapse": base.config.collapse,
                "lm": options.lm.__dict__,
                "steps": options.steps,
                "batch_size": options.batch_size,
                "lr": options.lr,
                "seed": options.seed,
                "heldout": options.heldout,
                "device": options.device,
                "threads": options.threads,
            }
            result = run_modelbuild(
                ["train", str(_write_spec(staging, job)), str(build)],
                SubState(state, 0.2, 0.98),
                python=python,
                cwd=staging,
                module=MODULE,
                on_message=_forward_messages(jobs, job_id, on_metrics),
            )
            config = UnitConfig(base.config.features, base.config.k, base.config.collapse)
            config.lm = options.lm
            metrics = {k: v for k, v in result.items() if isinstance(v, int | float)}
            version = registry.finish(
                build,
                options.name or f"{base.name}-lm",
                config,
                source_ref=base.manifest.source_ref,
                parent_id=base.id,
                metrics=metrics,
                notes=f"{base.manifest.notes}; unit LM trained on {project.name}",
            )
            state.set_progress(
                1.0, f"Unit LM ready: held-out perplexity {result['heldout_ppl']:.1f}"
            )
            return version
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    return _run_logged(project, "unitlm-train", {"units_version": base.id}, body)
