"""Room, noise and tempo for synthetic clips, deterministic from a seed.

Reverberation and tempo go through sox (``-D``: no dither, so the output is
the same bytes each time); noise is added here from a seeded generator at a
given signal-to-noise ratio (sox's own noise has no seed). A clip's
:class:`Augmentation` is part of its cache key.
"""

from __future__ import annotations

import io
import random
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import soundfile as sf

from desktop_app.tts.base import SAMPLE_RATE
from desktop_app.tts.espeak import to_model_rate

ROOMS: dict[str, list[str]] = {
    "dry": [],
    "small": ["reverb", "25", "50", "40", "100", "10"],  # reverberance, damping, room scale…
    "hall": ["reverb", "55", "40", "90", "100", "25"],
}
SNRS_DB: tuple[float | None, ...] = (None, 30.0, 20.0, 12.0)
TEMPOS: tuple[float, ...] = (0.92, 1.0, 1.0, 1.08)


@dataclass(frozen=True)
class Augmentation:
    room: str = "dry"
    snr_db: float | None = None  # None: no added noise
    tempo: float = 1.0
    seed: int = 0  # the noise's

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def draw(cls, rng: random.Random) -> Augmentation:
        """One setting from the menus above (a third of the clips stay clean)."""
        if rng.random() < 1 / 3:
            return cls(seed=rng.randrange(2**31))
        return cls(
            room=rng.choice(tuple(ROOMS)), snr_db=rng.choice(SNRS_DB), tempo=rng.choice(TEMPOS),
            seed=rng.randrange(2**31),
        )  # fmt: skip


def add_noise(audio: np.ndarray, snr_db: float, seed: int) -> np.ndarray:
    """Pink-ish noise (white noise, low-passed once) at ``snr_db`` below the speech power."""
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal(len(audio)).astype(np.float32)
    noise = np.convolve(noise, np.ones(4, np.float32) / 4, mode="same")
    speech = float(np.mean(audio**2)) or 1e-8
    scale = np.sqrt(speech / (float(np.mean(noise**2)) * 10 ** (snr_db / 10)))
    return (audio + scale * noise).astype(np.float32)


def augment(audio: np.ndarray, aug: Augmentation) -> np.ndarray:
    """``audio`` (16 kHz mono) in a room, at a tempo, with noise; peak kept under 0 dBFS."""
    effects: list[str] = []
    if aug.room != "dry":
        effects += ["gain", "-3", *ROOMS[aug.room]]
    if aug.tempo != 1.0:
        effects += ["tempo", "-s", f"{aug.tempo:g}"]
    out = audio
    if effects:
        buf = io.BytesIO()
        sf.write(buf, np.clip(audio, -1, 1), SAMPLE_RATE, format="WAV", subtype="PCM_16")
        out = to_model_rate(buf.getvalue(), effects)
    if aug.snr_db is not None:
        out = add_noise(out, aug.snr_db, aug.seed)
    peak = float(np.max(np.abs(out))) if len(out) else 0.0
    return out * (0.95 / peak) if peak > 0.95 else out
