"""espeak-ng as a :class:`~desktop_app.tts.base.Synthesizer` (offline, formant speech).

``kk`` with its variants (``kk+m1`` … ``kk+m7``, ``kk+f1`` … ``kk+f5`` and
others) reads Kazakh; a Russian stretch of code-switched text is read by
``ru`` with the same variant, so the "speaker" stays the same. Text goes in
on stdin (never as an argument a leading ``-`` could turn into an option);
sox resamples to 16 kHz mono without dither (``-D``), so a clip is the same
bytes on every run.
"""

from __future__ import annotations

import functools
import shutil
import subprocess

import numpy as np

from desktop_app.core.errors import JazbaError
from desktop_app.tts.base import SAMPLE_RATE, VoiceSetting

KK_VOICES: tuple[str, ...] = (
    "kk", *(f"kk+m{i}" for i in range(1, 8)), *(f"kk+f{i}" for i in range(1, 6)),
)  # fmt: skip
GAP_S = 0.08  # silence between a Kazakh and a Russian stretch
TIMEOUT_S = 60


class SynthesisError(JazbaError):
    """The synthesiser is missing or failed on a text."""


@functools.cache
def available() -> bool:
    """espeak-ng and sox are both on the PATH."""
    return shutil.which("espeak-ng") is not None and shutil.which("sox") is not None


def _run(cmd: list[str], data: bytes) -> bytes:
    try:
        done = subprocess.run(cmd, input=data, capture_output=True, timeout=TIMEOUT_S, check=False)
    except FileNotFoundError as exc:
        raise SynthesisError(
            f"'{cmd[0]}' is not installed: speech synthesis needs espeak-ng and sox."
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise SynthesisError(f"'{cmd[0]}' took over {TIMEOUT_S} s on one sentence.") from exc
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SynthesisError(f"'{cmd[0]}' failed: {err[-1] if err else done.returncode}")
    return done.stdout


def to_model_rate(wav: bytes, effects: list[str] = ()) -> np.ndarray:  # type: ignore[assignment]
    """A WAV (any rate) as 16 kHz mono float32, through sox ``effects`` first."""
    raw = _run(
        ["sox", "-V1", "-D", "-t", "wav", "-", "-t", "raw", "-e", "signed", "-b", "16",
         "-c", "1", "-r", str(SAMPLE_RATE), "-", *effects],
        wav,
    )  # fmt: skip
    return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0


class EspeakSynthesizer:
    """See the module docstring."""

    name = "espeak-ng"

    def __init__(self, executable: str = "espeak-ng") -> None:
        self.executable = executable

    @functools.cached_property
    def version(self) -> str:
        out = _run([self.executable, "--version"], b"").decode("utf-8", "replace")
        return out.split("text-to-speech:")[-1].split("Data")[0].strip() or "unknown"

    def voices(self) -> list[str]:
        return list(KK_VOICES)

    def describe(self) -> dict[str, object]:
        """What the model card records (the program's licence; its speech is not restricted)."""
        return {
            "name": self.name, "title": "espeak-ng", "version": self.version,
            "license": "GPL-3.0-or-later (the program; its speech output is unrestricted)",
            "non_commercial": False,
            "settings": {"voices": "kk variants; ru for Russian stretches",
                         "speed": "words a minute", "pitch": "0-99"},
        }  # fmt: skip

    def _say(self, language_voice: str, text: str, setting: VoiceSetting) -> np.ndarray:
        wav = _run(
            [self.executable, "-v", language_voice, "-s", str(setting.speed),
             "-p", str(setting.pitch), "--stdout"],
            text.encode("utf-8"),
        )  # fmt: skip
        return to_model_rate(wav)

    def synthesize(self, runs: list[tuple[str, str]], setting: VoiceSetting) -> np.ndarray:
        variant = setting.voice.partition("+")[2]
        pieces: list[np.ndarray] = []
        for lang, text in runs:
            voice = setting.voice if lang == "kk" else lang + (f"+{variant}" if variant else "")
            if pieces:
                pieces.append(np.zeros(int(GAP_S * SAMPLE_RATE), np.float32))
            pieces.append(self._say(voice, text, setting))
        return np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
