"""Score a model version on held-out examples with the ONNX runtime engine.

The same engine that transcribes for the user is measured, so the numbers
describe what the user will get. Decoding is deterministic: greedy, no
temperature fallback, no timestamps (each clip is one segment), Kazakh
forced, and the duration-based token budget of the ``kk-ru`` preset (so a
looping model cannot run on for 200 tokens).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from desktop_app.asr.engines import load_engine
from desktop_app.asr.options import DecodeOptions
from desktop_app.asr.presets import KK_RU_MAX_NEW_TOKENS
from desktop_app.core.audio.importer import load_model_audio
from desktop_app.core.errors import JazbaError
from desktop_app.core.jobs import Progress
from desktop_app.core.learning.dataset import Example
from desktop_app.core.learning.metrics import EvalReport, Utterance, evaluate_utterances


def eval_options(language: str = "kk") -> DecodeOptions:
    return DecodeOptions(
        language=language,
        beam_size=1,
        temperatures=(0.0,),
        max_new_tokens_by_duration=KK_RU_MAX_NEW_TOKENS,
        no_speech_threshold=None,
        vad_filter=False,
        without_timestamps=True,
    )


def transcribe_examples(
    model_dir: str | Path,
    examples: Sequence[Example],
    state: Progress | None = None,
    language: str = "kk",
    device: str = "cpu",
    threads: int | None = None,
) -> list[Utterance]:
    """What the model says for each example (one decode per clip)."""
    if not examples:
        raise JazbaError("There is nothing to evaluate on: the test set is empty.")
    engine = load_engine(model_dir, device=device, threads=threads)
    options = eval_options(language)
    out = []
    for i, ex in enumerate(examples):
        if state is not None:
            state.set_progress(i / len(examples), f"Evaluating ({i}/{len(examples)})")
        start = None if ex.start_ms is None else ex.start_ms / 1000
        end = None if ex.end_ms is None else ex.end_ms / 1000
        audio = np.asarray(load_model_audio(ex.audio_path, start, end), np.float32)
        segments, _info = engine.transcribe(audio, options)
        hyp = " ".join(seg.text.strip() for seg in segments)
        out.append(
            Utterance(
                ex.key,
                ex.text,
                hyp,
                ex.speaker,
                ex.gender,
                ex.age_band,
                ex.language,
                code_switching=ex.code_switching,
            )
        )
    if state is not None:
        state.set_progress(1.0, "Evaluated")
    return out


def evaluate_model(
    model_dir: str | Path,
    examples: Sequence[Example],
    state: Progress | None = None,
    language: str = "kk",
    device: str = "cpu",
    threads: int | None = None,
) -> tuple[EvalReport, list[Utterance]]:
    utterances = transcribe_examples(model_dir, examples, state, language, device, threads)
    return evaluate_utterances(utterances), utterances
