"""Decoding options: one frozen dataclass instead of thirty keyword arguments.

Options are never mutated; derive a variant with :func:`dataclasses.replace`
(or :meth:`DecodeOptions.replace`). Defaults follow OpenAI Whisper, except the
language, which is Kazakh.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Literal

from desktop_app.asr.bias import BiasOptions

Task = Literal["transcribe", "translate"]

# Whisper's temperature schedule for fallback decoding.
DEFAULT_TEMPERATURES: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


@dataclass(frozen=True)
class VadOptions:
    """Voice activity detection and chunking (see :mod:`desktop_app.asr.vad`)."""

    threshold: float = 0.5
    neg_threshold: float | None = None  # default: threshold - 0.15
    min_speech_ms: int = 250
    min_silence_ms: int = 500
    speech_pad_ms: int = 200
    max_chunk_s: float = 30.0


@dataclass(frozen=True)
class DecodeOptions:
    """How to decode; every field has a safe, immutable default.

    ``language=None`` asks for detection on the first 30 s. ``beam_size=1`` is
    greedy search. ``temperatures`` is the fallback schedule: a window is decoded
    again at the next temperature while its zlib compression ratio is above
    ``compression_ratio_threshold`` or its average log-probability is below
    ``log_prob_threshold``; ``truncate_loops`` and ``fallback_budget`` cap the
    cost of that on audio the model loops on. A window whose ``<|nospeech|>`` probability is above
    ``no_speech_threshold`` *and* whose average log-probability is below
    ``log_prob_threshold`` is treated as silence and yields no segment.
    """

    language: str | None = "kk"
    task: Task = "transcribe"
    beam_size: int = 1
    patience: float = 1.0
    length_penalty: float | None = None  # None: divide the score by the length
    best_of: int = 5  # samples drawn per window when the temperature is above 0
    temperatures: tuple[float, ...] = DEFAULT_TEMPERATURES
    compression_ratio_threshold: float | None = 2.4
    # Cost caps of the fallback (see WindowDecoder.decode_with_fallback):
    truncate_loops: bool = True  # keep a loop's first copy instead of resampling
    fallback_budget: float | None = 2.0  # fallback decoder steps ≤ this × the token budget
    log_prob_threshold: float | None = -1.0
    no_speech_threshold: float | None = 0.6
    without_timestamps: bool = False
    max_initial_timestamp: float | None = 1.0
    suppress_tokens: tuple[int, ...] | None = (-1,)  # -1: the model's own list
    suppress_blank: bool = True
    repetition_penalty: float = 1.0
    no_repeat_ngram_size: int = 0
    max_new_tokens: int | None = None  # None: up to half the text context (224)
    # ((max chunk seconds, max new tokens), ...) ascending; the first row that fits applies.
    max_new_tokens_by_duration: tuple[tuple[float, int], ...] | None = None
    condition_on_previous_text: bool = False
    prompt_reset_on_temperature: float = 0.5
    initial_prompt: str | None = None
    bias: BiasOptions | None = None  # a word list to lean towards (see desktop_app.asr.bias)
    word_timestamps: bool = True  # aligned word times when the model has an aligner
    vad_filter: bool = False
    vad: VadOptions = field(default_factory=VadOptions)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.beam_size < 1:
            raise ValueError("beam_size must be at least 1")
        if self.best_of < 1:
            raise ValueError("best_of must be at least 1")
        if not self.temperatures:
            raise ValueError("temperatures must hold at least one value")
        if self.repetition_penalty <= 0:
            raise ValueError("repetition_penalty must be positive")
        if self.fallback_budget is not None and self.fallback_budget < 0:
            raise ValueError("fallback_budget must be None (no cap) or at least 0")
        if self.no_repeat_ngram_size < 0:
            raise ValueError("no_repeat_ngram_size must be 0 (off) or more")
        if self.task not in ("transcribe", "translate"):
            raise ValueError(f"unknown task {self.task!r}")
        # Accept lists from callers but store tuples, so the object stays hashable.
        object.__setattr__(self, "temperatures", tuple(float(t) for t in self.temperatures))
        if self.suppress_tokens is not None:
            object.__setattr__(self, "suppress_tokens", tuple(self.suppress_tokens))
        if self.max_new_tokens_by_duration is not None:
            table = tuple((float(s), int(n)) for s, n in self.max_new_tokens_by_duration)
            object.__setattr__(self, "max_new_tokens_by_duration", table)

    def replace(self, **changes: object) -> DecodeOptions:
        """A copy with ``changes`` applied; this object is left untouched."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def token_budget(self, chunk_seconds: float, limit: int) -> int:
        """Max new tokens for a window holding ``chunk_seconds`` of audio."""
        budget = limit
        if self.max_new_tokens is not None:
            budget = min(budget, self.max_new_tokens)
        if self.max_new_tokens_by_duration:
            for max_seconds, tokens in self.max_new_tokens_by_duration:
                if chunk_seconds <= max_seconds or math.isinf(max_seconds):
                    budget = min(budget, tokens)
                    break
            else:
                budget = min(budget, self.max_new_tokens_by_duration[-1][1])
        return max(1, budget)
