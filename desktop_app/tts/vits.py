"""A neural Kazakh voice (VITS, e.g. MMS-TTS ``kaz``) as a :class:`~.base.Synthesizer`.

:class:`VitsSynthesizer` is what the text bootstrap holds: it reads an
installed voice folder (:mod:`.installed`, checked against its checksums)
and knows its name, version, voices and settings without PyTorch. The
network itself runs in a job process (``python -m
desktop_app.modelbuild.tts_job``, :class:`desktop_app.modelbuild.vits_engine.VitsEngine`),
the way fine-tuning does, so the GUI process never imports torch:
:meth:`VitsSynthesizer.render` makes a batch of clips there into the clip
cache (progress, cancel), :meth:`VitsSynthesizer.synthesize` one clip.

MMS-TTS has one speaker, so variety comes from the sampling: each voice
name is a preset of ``noise_scale`` (how much the prior is sampled: prosody
and timbre detail) and ``noise_scale_duration`` (how much the durations
vary); a clip's speed becomes ``speaking_rate`` and its pitch a sox pitch
shift; the room/noise/tempo augmentation comes on top as for espeak-ng.
Each clip is seeded from its text and setting. Russian stretches of
code-switched text are read by espeak-ng ``ru``.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from desktop_app.core.jobs import JobState, Progress
from desktop_app.modelbuild.launcher import run_modelbuild
from desktop_app.tts.base import VoiceSetting
from desktop_app.tts.clips import ClipPlan, clip_path
from desktop_app.tts.installed import verify

JOB_MODULE = "desktop_app.modelbuild.tts_job"
#: Voice name suffix -> (noise_scale, noise_scale_duration); MMS's own defaults are "".
PRESETS: dict[str, tuple[float, float]] = {
    "": (0.667, 0.8),
    "+steady": (0.35, 0.4),
    "+calm": (0.5, 0.6),
    "+lively": (0.85, 1.0),
    "+free": (1.0, 1.2),
}
BASE_SPEED = 170  # words a minute that read at speaking_rate 1.0
CENTS_PER_PITCH_STEP = 12  # pitch 50 is the voice's own; 30..70 is -240..+240 cents
RU_VARIANTS = ("m3", "f2", "m1", "f4", "m7")  # espeak-ng ru voices for the presets, in order


def voice_params(setting: VoiceSetting) -> dict[str, Any]:
    """The sampling settings of a clip: noise scales, speaking rate, pitch shift, ru voice."""
    suffix = "+" + setting.voice.partition("+")[2] if "+" in setting.voice else ""
    if suffix not in PRESETS:
        suffix = ""
    noise, noise_dur = PRESETS[suffix]
    index = list(PRESETS).index(suffix)
    return {
        "noise_scale": noise,
        "noise_scale_duration": noise_dur,
        "speaking_rate": round(setting.speed / BASE_SPEED, 4),
        "pitch_cents": (setting.pitch - 50) * CENTS_PER_PITCH_STEP,
        "ru_voice": f"ru+{RU_VARIANTS[index % len(RU_VARIANTS)]}",
    }


def clip_seed(runs: Sequence[tuple[str, str]], setting: VoiceSetting) -> int:
    """The clip's seed for the network's sampling: from its text and setting only."""
    what = json.dumps([list(map(list, runs)), setting.to_dict()], ensure_ascii=False)
    return int.from_bytes(hashlib.sha256(what.encode()).digest()[:4], "big")


class VitsSynthesizer:
    """An installed VITS voice (see the module docstring); ``folder`` is checked on opening."""

    kind = "vits"

    def __init__(
        self, folder: str | Path, python: str | None = None, threads: int | None = None
    ) -> None:
        self.folder = Path(folder)
        self.manifest = verify(self.folder)
        self.name = self.manifest.id
        commit = self.manifest.source_ref.rpartition("@")[2][:12]
        self.version = f"{commit or 'local'}-{self.manifest.weights_sha256[:12]}"
        self.license = self.manifest.license
        self.python = python
        self.threads = threads

    def voices(self) -> list[str]:
        return [self.name + suffix for suffix in PRESETS]

    def settings(self) -> dict[str, Any]:
        """What the model card records about how this voice was sampled."""
        return {
            "presets": ", ".join(
                f"{self.name + k} (noise {a}, durations {b})" for k, (a, b) in PRESETS.items()
            ),
            "speaking_rate": f"speed / {BASE_SPEED}",
            "pitch_shift_cents": f"(pitch - 50) * {CENTS_PER_PITCH_STEP}",
            "russian": "espeak-ng ru",
            "seeded": "per clip, from its text and setting",
            "sampling_rate": self.manifest.sampling_rate,
        }

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name, "title": self.manifest.name, "version": self.version,
            "license": self.license, "source": self.manifest.source_ref,
            "non_commercial": self.manifest.non_commercial, "settings": self.settings(),
        }  # fmt: skip

    def _job_args(self, plans_file: Path, cache: Path) -> list[str]:
        args = ["synthesize", str(self.folder), str(plans_file), str(cache)]
        return args + (["--threads", str(self.threads)] if self.threads else [])

    def render(self, plans: Sequence[ClipPlan], cache: Path, state: Progress) -> int:
        """Make the clips of ``plans`` missing from ``cache`` in a job process; how many
        were made. Cancelling ``state`` stops the process."""
        todo = [p for p in plans if not clip_path(self, p, cache).is_file()]
        if not todo:
            return 0
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".plans-", dir=cache) as tmp:
            plans_file = Path(tmp) / "plans.json"
            plans_file.write_text(
                json.dumps([p.to_dict() for p in todo], ensure_ascii=False), encoding="utf-8"
            )
            result = run_modelbuild(
                self._job_args(plans_file, cache), state, python=self.python, cwd=tmp,
                module=JOB_MODULE,
            )  # fmt: skip
        return int(result.get("made", 0))

    def synthesize(self, runs: list[tuple[str, str]], setting: VoiceSetting) -> np.ndarray:
        """One clip (a job process for it alone: :meth:`render` is the way for many)."""
        text_runs = [(lang, text) for lang, text in runs]
        with tempfile.TemporaryDirectory(prefix="jazba-vits-") as tmp:
            plans_file = Path(tmp) / "runs.json"
            plans_file.write_text(
                json.dumps({"runs": text_runs, "setting": setting.to_dict()}, ensure_ascii=False),
                encoding="utf-8",
            )
            out = Path(tmp) / "clip.wav"
            args = ["say", str(self.folder), str(plans_file), str(out)]
            run_modelbuild(args, JobState(), python=self.python, cwd=tmp, module=JOB_MODULE)
            audio, _rate = sf.read(out, dtype="float32")
        return np.asarray(audio, dtype=np.float32)
