"""The GE2E speaker model (built once per session from the resemblyzer wheel) and
a tiny two-voice recording (espeak-ng, or tones with distinct spectra without it)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from desktop_app.core.jobs import JobState
from desktop_app.speakers.embedder import SpeakerEmbedder, Window
from desktop_app.speakers.mel import HOP, mel_frames
from desktop_app.speakers.models import SpeakerModel, install_speaker_model

SR = 16_000


def can_build_ge2e() -> bool:
    return all(importlib.util.find_spec(m) for m in ("resemblyzer", "torch", "onnx"))


@pytest.fixture(scope="session")
def ge2e_model(tmp_path_factory: pytest.TempPathFactory) -> SpeakerModel:
    if not can_build_ge2e():
        pytest.skip("resemblyzer/torch not installed: the GE2E encoder cannot be built")
    root = tmp_path_factory.mktemp("speaker_models")
    return install_speaker_model(JobState(), root=root)


class BandEmbedder:
    """A stand-in embedder without the GE2E weights: the mean log-mel of a window."""

    def __init__(self) -> None:
        self.model = SpeakerModel("bands", "bands", Path("."), "", 40)

    @property
    def dim(self) -> int:
        return 40

    def embed(self, audio: np.ndarray, windows: list[Window]) -> np.ndarray:
        mel = np.log(mel_frames(audio) + 1e-6)
        rows = [
            mel[w.start // HOP : max(w.start // HOP + 1, w.end // HOP)].mean(0) for w in windows
        ]
        x = np.asarray(rows, dtype=np.float32) if rows else np.zeros((0, 40), np.float32)
        x -= x.mean(axis=0, keepdims=True) if len(x) > 1 else 0
        return x


@pytest.fixture(scope="session")
def embedder(request: pytest.FixtureRequest) -> SpeakerEmbedder | BandEmbedder:
    if can_build_ge2e():
        return SpeakerEmbedder(request.getfixturevalue("ge2e_model"), threads=1)
    return BandEmbedder()


def _speak(text: str, voice: str, pitch: int, folder: Path) -> np.ndarray:
    import soxr

    out = folder / "say.wav"
    subprocess.run(
        ["espeak-ng", "-v", voice, "-p", str(pitch), "-w", str(out), text],
        check=True,
        capture_output=True,
    )
    audio, rate = sf.read(out, dtype="float32")
    audio = soxr.resample(audio, rate, SR).astype(np.float32)
    loud = np.flatnonzero(np.abs(audio) > 0.01)
    return audio[loud[0] : loud[-1] + 1]


def _tone(seconds: float, f0: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    wave = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 8))
    wave *= 0.6 + 0.4 * np.sin(2 * np.pi * 4 * t) ** 2
    return (0.2 * wave / np.abs(wave).max() + 0.005 * rng.standard_normal(t.size)).astype(
        np.float32
    )


TURNS = [
    ("A", "сәлеметсіз бе менің атым айгүл бүгін ауа райы өте жақсы"),
    ("B", "біз ертең алматыға барамыз ол жақта достарымыз тұрады"),
    ("A", "мен кітап оқығанды жақсы көремін кешке үйде отырамыз"),
    ("B", "бұл өте қызықты әңгіме болды рақмет сізге"),
]


@pytest.fixture(scope="session")
def two_voices(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, list[tuple[float, float, str]]]:
    """A ~15 s conversation A-B-A-B with 0.6 s pauses, and its turns (seconds)."""
    folder = tmp_path_factory.mktemp("two_voices")
    pieces = []
    for who, text in TURNS:
        if shutil.which("espeak-ng"):
            voice, pitch = ("kk+m1", 35) if who == "A" else ("kk+f2", 70)
            pieces.append((who, _speak(text, voice, pitch, folder)))
        else:
            pieces.append((who, _tone(3.0, 110 if who == "A" else 230, len(pieces))))
    gap = np.zeros(int(0.6 * SR), np.float32)
    audio, turns, t = [gap], [], 0.6
    for who, a in pieces:
        audio += [a, gap]
        turns.append((t, t + a.size / SR, who))
        t += (a.size + gap.size) / SR
    path = folder / "dialogue.wav"
    sf.write(path, np.concatenate(audio), SR, subtype="PCM_16")
    return path, turns
