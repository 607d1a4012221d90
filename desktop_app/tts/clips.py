"""One synthetic clip: its plan, its cache key, and making it (any synthesiser).

The text bootstrap (:mod:`desktop_app.services.text_bootstrap`) plans clips
and makes them in threads; a synthesiser that runs in a job process (the
neural voice, :mod:`desktop_app.tts.vits`) makes the same clips there with
the same functions, so both write the same cache files under the same keys.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from desktop_app.core.learning.text_sources import language_runs
from desktop_app.tts.augment import Augmentation, augment
from desktop_app.tts.base import SAMPLE_RATE, Synthesizer, VoiceSetting


@dataclass(frozen=True)
class ClipPlan:
    text: str
    setting: VoiceSetting
    aug: Augmentation | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "setting": self.setting.to_dict(),
            "aug": self.aug.to_dict() if self.aug is not None else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClipPlan:
        aug = data.get("aug")
        return cls(
            str(data["text"]),
            VoiceSetting(**data["setting"]),
            Augmentation(**aug) if aug is not None else None,
        )


def clip_key(synth: Synthesizer, plan: ClipPlan) -> str:
    what = {
        "synth": synth.name, "version": synth.version, "runs": language_runs(plan.text),
        "setting": plan.setting.to_dict(), "aug": plan.aug.to_dict() if plan.aug else None,
    }  # fmt: skip
    return hashlib.sha256(json.dumps(what, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def clip_path(synth: Synthesizer, plan: ClipPlan, cache: Path) -> Path:
    key = clip_key(synth, plan)
    return cache / key[:2] / f"{key}.wav"


def synthesize_clip(synth: Synthesizer, plan: ClipPlan, cache: Path) -> tuple[Path, bool]:
    """The cached clip of ``plan`` (made now if missing); True when it was cached."""
    path = clip_path(synth, plan, cache)
    if path.is_file():
        return path, True
    audio = synth.synthesize(language_runs(plan.text), plan.setting)
    if plan.aug is not None:
        audio = augment(audio, plan.aug)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    sf.write(tmp, np.clip(audio, -1, 1), SAMPLE_RATE, subtype="PCM_16", format="WAV")
    tmp.replace(path)
    return path, False
