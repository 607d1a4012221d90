"""The synthesiser protocol and the settings of one synthetic voice.

Every synthesiser gives ``name``/``version`` for the clip cache key,
``voices()`` for its speakers, ``synthesize()`` returning 16 kHz mono
float32 samples; espeak-ng (:mod:`.espeak`) and the neural voice of the model
catalog (:mod:`.vits`, MMS-TTS ``kaz``) both do. Optionally ``describe()``
(name, version, licence, settings: for the model card) and ``render(plans,
cache, state)`` (make many clips at once, in a job process: the neural
voice). :func:`desktop_app.tts.espeak.available` tells whether the default
one can run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Protocol

import numpy as np

SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class VoiceSetting:
    """Who says it and how: a voice name, speed (words a minute) and pitch (0-99)."""

    voice: str  # e.g. "kk+m3" (espeak-ng language + variant)
    speed: int = 170
    pitch: int = 50

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Synthesizer(Protocol):
    """Text in, 16 kHz mono float32 samples out (see the module docstring)."""

    name: str
    version: str

    def voices(self) -> list[str]:
        """Voice names this synthesiser offers for Kazakh."""
        ...

    def synthesize(self, runs: list[tuple[str, str]], setting: VoiceSetting) -> np.ndarray:
        """Say ``runs`` (``(language, text)`` stretches, in order) in ``setting``."""
        ...
