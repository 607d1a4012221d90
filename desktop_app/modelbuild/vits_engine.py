"""The neural voice's network: transformers' ``VitsModel`` + ``VitsTokenizer`` on PyTorch.

Runs in a job process only (:mod:`.tts_job`). :class:`VitsEngine` is the
same voice as :class:`desktop_app.tts.vits.VitsSynthesizer` (name, version,
voices: the clip cache keys agree) with a ``synthesize`` that runs the
network. Weights load from ``model.safetensors`` only (``use_safetensors``;
an installed voice has no pickle), from the local folder only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from desktop_app.core.errors import ModelError
from desktop_app.tts.base import SAMPLE_RATE, VoiceSetting
from desktop_app.tts.espeak import GAP_S, EspeakSynthesizer, to_model_rate
from desktop_app.tts.vits import VitsSynthesizer, clip_seed, voice_params


class VitsEngine(VitsSynthesizer):
    """See the module docstring; ``threads`` caps PyTorch's CPU threads."""

    def __init__(self, folder: str | Path, threads: int | None = None) -> None:
        super().__init__(folder, threads=threads)
        import torch
        from transformers import VitsModel, VitsTokenizer

        if threads:
            torch.set_num_threads(threads)
        self._torch = torch
        self.tokenizer = VitsTokenizer.from_pretrained(self.folder, local_files_only=True)
        if getattr(self.tokenizer, "is_uroman", False):
            raise ModelError(f"'{self.manifest.name}' reads romanised text only (uroman).")
        self.model = VitsModel.from_pretrained(
            self.folder, local_files_only=True, use_safetensors=True
        ).eval()
        if int(self.model.config.sampling_rate) != SAMPLE_RATE:
            raise ModelError(f"'{self.manifest.name}' does not speak at 16 kHz.")
        self.espeak = EspeakSynthesizer()

    def _say(self, text: str, params: dict[str, Any], seed: int) -> np.ndarray | None:
        """``text`` by the network; None when nothing of it is in the voice's alphabet."""
        vocab = self.tokenizer.get_vocab()
        if not any(c in vocab for c in text.lower() if not c.isspace()):
            return None
        inputs = self.tokenizer(text, return_tensors="pt")
        model = self.model
        model.noise_scale = params["noise_scale"]
        model.noise_scale_duration = params["noise_scale_duration"]
        model.speaking_rate = params["speaking_rate"]
        self._torch.manual_seed(seed)
        with self._torch.inference_mode():
            wave = model(**inputs).waveform[0]
        return wave.float().cpu().numpy().astype(np.float32)

    def synthesize(self, runs: list[tuple[str, str]], setting: VoiceSetting) -> np.ndarray:
        params = voice_params(setting)
        seed = clip_seed(runs, setting)
        ru_setting = VoiceSetting(params["ru_voice"], setting.speed, 50)
        pieces: list[np.ndarray] = []
        for i, (lang, text) in enumerate(runs):
            audio = self._say(text, params, seed + i) if lang == "kk" else None
            if audio is None:  # Russian, or no letter the voice knows: espeak-ng reads it
                voice = ru_setting if lang != "kk" else VoiceSetting("kk", setting.speed, 50)
                audio = self.espeak.synthesize([(lang, text)], voice)
            if pieces:
                pieces.append(np.zeros(int(GAP_S * SAMPLE_RATE), np.float32))
            pieces.append(audio)
        out = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
        if params["pitch_cents"] and len(out):
            out = pitch_shift(out, params["pitch_cents"])
        return out


def pitch_shift(audio: np.ndarray, cents: int) -> np.ndarray:
    """``audio`` (16 kHz) ``cents`` higher (lower when negative), same length, through sox."""
    import io

    import soundfile as sf

    buf = io.BytesIO()
    peak = float(np.max(np.abs(audio))) or 1.0
    scale = 0.9 / peak if peak > 0.9 else 1.0
    sf.write(buf, audio * scale, SAMPLE_RATE, format="WAV", subtype="PCM_16")
    return to_model_rate(buf.getvalue(), ["pitch", str(int(cents))])
