"""``--task units``: unit-LM perplexity of an archive's speech, for triage.

Each worker loads the unit version's feature encoder, codebook and LM once
(:class:`~desktop_app.units.extract.UnitExtractor` and
:class:`~desktop_app.units.scorer.UnitLMScorer`, ONNX Runtime only). A file
(or each piece of a long one) is cut by the voice detector into stretches of
speech of at most 30 s, as transcription cuts it; each stretch gets a row:
its time span, its frame units and scored units (collapsed when the version
collapses) and their perplexity. High perplexity means unlike the audio the
unit LM learned from: noise, music, another language.

Only unit versions with Whisper-encoder features run here; a version whose
features come from a Hugging Face model needs PyTorch (the unit-LM
subprocess) and is refused when the run starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from desktop_app.asr.vad import detect_speech
from desktop_app.core.audio.importer import load_model_audio
from desktop_app.core.errors import ModelError
from desktop_app.services.batch.work import CHUNK, EngineSettings, FileResult, FileTask, model_audio
from desktop_app.services.pieces import plan_pieces
from desktop_app.units.codebook import collapse
from desktop_app.units.extract import UnitExtractor
from desktop_app.units.features import FRAME_SAMPLES, SAMPLE_RATE, WHISPER_KIND
from desktop_app.units.registry import UnitRegistry, UnitVersion
from desktop_app.units.scorer import UnitLMScorer


def unit_version(settings: EngineSettings) -> UnitVersion:
    folder = Path(settings.model_dir)
    return UnitRegistry(folder.parent).get(folder.name)


def check_version(version: UnitVersion) -> None:
    """Refuse, before any worker starts, a version that cannot score in a worker."""
    version.scorer()  # no LM: raises the explanatory error
    if version.config.features.kind != WHISPER_KIND:
        raise ModelError(
            f"'{version.name}' takes its features from "
            f"{version.config.features.describe()}, which needs the unit-LM subprocess "
            "(PyTorch); batch scoring needs a unit model on Whisper encoder features. "
            "Score such a version inside a project instead."
        )


class UnitsEngine:
    """What a worker keeps loaded: the version, its extractor and its scorer."""

    device = "cpu"
    device_warning = None

    def __init__(self, settings: EngineSettings) -> None:
        self.version = unit_version(settings)
        self.extractor = UnitExtractor(self.version, settings.device, settings.threads)
        self.scorer: UnitLMScorer = self.version.scorer(settings.device, settings.threads)
        self.device = self.scorer.device.device


def open_units(settings: EngineSettings) -> UnitsEngine:
    return UnitsEngine(settings)


def score_span(engine: UnitsEngine, audio_path: Path, start_s: float, end_s: float) -> list[dict]:
    """One row per stretch of speech in ``[start_s, end_s)`` (absolute times)."""
    audio = load_model_audio(audio_path, start_s, end_s)
    stretches = [(c.start, c.end) for c in detect_speech(audio).chunks]
    stretches = [(a, b) for a, b in stretches if b - a >= FRAME_SAMPLES]
    seqs, frames = [], []
    for a, b in stretches:
        units = engine.extractor(audio[a:b])
        frames.append(int(units.size))
        seqs.append(collapse(units) if engine.version.config.collapse else units)
    scores = engine.scorer.score_many(seqs) if seqs else []
    rows = []
    for (a, b), n, seq, score in zip(stretches, frames, seqs, scores, strict=True):
        rows.append(
            {
                "start_ms": round((start_s + a / SAMPLE_RATE) * 1000),
                "end_ms": round((start_s + b / SAMPLE_RATE) * 1000),
                "frames": n,
                "units": int(np.asarray(seq).size),
                "perplexity": round(score.perplexity, 4) if score.tokens else None,
            }
        )
    return rows


def units_work(
    engine: UnitsEngine, settings: EngineSettings, task: FileTask, result: FileResult
) -> None:
    if task.kind == CHUNK:
        assert task.model_audio is not None
        result.segments = score_span(engine, Path(task.model_audio), task.start_s, task.end_s)
        result.audio_s = task.end_s - task.start_s
        return
    with model_audio(task) as (audio, total_s):
        rows: list[dict[str, Any]] = []
        for a, b in plan_pieces(audio, total_s, settings.chunk_s):
            rows += score_span(engine, audio, a, b)
    result.segments = rows
    result.audio_s = total_s


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A file's figures for the manifest: speech scored and its token-weighted perplexity."""
    scored = [r for r in rows if r.get("perplexity")]
    tokens = sum(r["units"] for r in scored)
    if not tokens:
        return {"speech_s": 0.0, "perplexity": None}
    log_ppl = sum(np.log(r["perplexity"]) * r["units"] for r in scored) / tokens
    speech = sum(r["end_ms"] - r["start_ms"] for r in rows) / 1000
    return {"speech_s": round(speech, 3), "perplexity": round(float(np.exp(log_ppl)), 4)}
