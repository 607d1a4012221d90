"""Named decoding presets shown to the user.

* ``fast``: greedy search with Whisper's temperature fallback.
* ``accurate``: beam search with 5 beams (OpenAI's recommended setting).
* ``kk-ru``: the settings published with fine-tuned Kazakh/Russian Whisper
  models: 3 beams, no repeated 4-grams, a repetition penalty of 1.12 and a
  token budget that grows with the chunk's duration (40 tokens up to 5 s …
  128 tokens beyond 25 s), which keeps short chunks from hallucinating tails.
"""

from __future__ import annotations

import math

from desktop_app.asr.options import DecodeOptions

KK_RU_MAX_NEW_TOKENS: tuple[tuple[float, int], ...] = (
    (5.0, 40),
    (10.0, 64),
    (15.0, 80),
    (20.0, 96),
    (25.0, 112),
    (math.inf, 128),
)

PRESETS: dict[str, DecodeOptions] = {
    "fast": DecodeOptions(beam_size=1),
    "accurate": DecodeOptions(beam_size=5),
    "kk-ru": DecodeOptions(
        beam_size=3,
        no_repeat_ngram_size=4,
        repetition_penalty=1.12,
        max_new_tokens_by_duration=KK_RU_MAX_NEW_TOKENS,
    ),
}

DEFAULT_PRESET = "kk-ru"


def preset(name: str, **overrides: object) -> DecodeOptions:
    """The options of preset ``name``, with ``overrides`` applied to a copy."""
    try:
        base = PRESETS[name]
    except KeyError:
        known = ", ".join(sorted(PRESETS))
        raise ValueError(f"Unknown decoding preset '{name}' (known: {known}).") from None
    return base.replace(**overrides) if overrides else base


def preset_names() -> list[str]:
    return list(PRESETS)
