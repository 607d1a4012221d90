"""A tiny random Whisper in a throwaway registry, and folders of small recordings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from desktop_app.asr.registry import ModelRegistry
from desktop_app.services.batch import BatchOptions
from tests.asr.conftest import build_tiny_model, tone_speechlike


@pytest.fixture(scope="session")
def tiny_registry(tmp_path_factory: pytest.TempPathFactory) -> ModelRegistry:
    import torch

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("batch_registry")
    model = build_tiny_model(root / "build", no_speech_bias=0.0)
    registry = ModelRegistry(root / "models")
    registry.import_onnx_dir(model.onnx_dir, name="tiny random whisper")
    return registry


def write_recordings(folder: Path, count: int = 4) -> list[Path]:
    """``count`` speech-like files of 2-4 s: 16 kHz mono WAV, 44.1 kHz stereo FLAC, in
    a subfolder too, so the batch decodes and resamples as an import does."""
    paths = []
    for i in range(count):
        seconds = 2.0 + (i % 3)
        audio = np.concatenate([tone_speechlike(seconds, i), np.zeros(4000, np.float32)])
        if i % 2:
            path = folder / "sub" / f"rec{i}.flac"
            path.parent.mkdir(parents=True, exist_ok=True)
            idx = np.linspace(0, len(audio) - 1, int(len(audio) * 44100 / 16000))
            up = np.interp(idx, np.arange(len(audio)), audio).astype(np.float32)
            sf.write(path, np.stack([up, up * 0.5], axis=1), 44100)
        else:
            path = folder / f"rec{i}.wav"
            path.parent.mkdir(parents=True, exist_ok=True)
            sf.write(path, audio, 16000)
        paths.append(path)
    return sorted(paths)


@pytest.fixture
def audio_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "archive"
    write_recordings(folder)
    (folder / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk that is not audio")
    (folder / "notes.txt").write_text("not audio, not picked up")
    return folder


def options(**kw: object) -> BatchOptions:
    """Settings every test shares (greedy, no VAD, one thread: fast and reproducible)."""
    base = {"preset": "fast", "vad": False, "device": "cpu", "threads": 1, "workers": 2}
    return BatchOptions(**{**base, **kw})  # type: ignore[arg-type]


KK_SENTENCES = [
    "Қазақстан Республикасы Орталық Азияда орналасқан.",
    "Бүгін ауа райы жақсы, күн ашық.",
    "Мен таңертең кітап оқимын.",
    "Біз ертең Алматыға барамыз.",
    "Бұл өте қызықты әңгіме болды.",
    "Ауылда қой мен жылқы көп.",
]


@pytest.fixture(scope="session")
def long_recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[float]]:
    """About 75 s of espeak-ng Kazakh sentences with pauses of 0.8–1.6 s (16 kHz WAV),
    and where the pauses are (their middles, in seconds)."""
    from tests.asr.conftest import speak

    folder = tmp_path_factory.mktemp("long")
    clips = [speak(text, "kk", folder / f"s{i}.wav") for i, text in enumerate(KK_SENTENCES)]
    rng = np.random.default_rng(7)
    parts, pauses, t = [np.zeros(8000, np.float32)], [], 0.5
    while t < 75:
        clip = clips[int(rng.integers(len(clips)))]
        gap = float(rng.uniform(0.8, 1.6))
        parts += [clip, np.zeros(int(gap * 16000), np.float32)]
        t += clip.size / 16000
        pauses.append(t + gap / 2)
        t += gap
    path = folder / "archive" / "interview.wav"
    path.parent.mkdir()
    sf.write(path, np.concatenate(parts), 16000, subtype="PCM_16")
    return path, pauses
