"""Silero VAD through ONNX Runtime (no PyTorch), the energy fallback and chunking."""

from __future__ import annotations

import shutil
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from desktop_app.asr import vad
from desktop_app.asr.options import VadOptions
from desktop_app.asr.vad import SAMPLE_RATE, SpeechChunk, detect_speech, merge_into_chunks

PHRASES = [
    "Қазақстан Республикасы Орталық Азияда орналасқан.",
    "Бүгін ауа райы жақсы, күн ашық.",
    "Мен таңертең кітап оқимын.",
]


def _espeak(text: str, path: Path) -> np.ndarray:
    subprocess.run(["espeak-ng", "-v", "kk", "-w", str(path), text], check=True, timeout=30)
    with wave.open(str(path)) as wav:
        rate = wav.getframerate()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
    audio = pcm.astype(np.float32) / 32768.0
    import soxr

    return soxr.resample(audio, rate, SAMPLE_RATE).astype(np.float32)


@pytest.fixture(scope="module")
def kazakh_speech(tmp_path_factory) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Three espeak-ng Kazakh phrases separated by 2 s of silence; their true spans."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    folder = tmp_path_factory.mktemp("espeak")
    gap = np.zeros(2 * SAMPLE_RATE, dtype=np.float32)
    parts, spans, t = [gap], [], 2.0
    for i, text in enumerate(PHRASES):
        clip = _espeak(text, folder / f"{i}.wav")
        parts += [clip, gap]
        spans.append((t, t + clip.size / SAMPLE_RATE))
        t += clip.size / SAMPLE_RATE + 2.0
    return np.concatenate(parts), spans


def test_silero_finds_the_phrases(kazakh_speech) -> None:
    audio, spans = kazakh_speech
    result = detect_speech(audio)
    assert result.backend == "silero" and result.message is None
    assert len(result.regions) == len(spans)
    for region, (start, end) in zip(result.regions, spans, strict=True):
        assert region.start / SAMPLE_RATE == pytest.approx(start, abs=0.4)
        assert region.end / SAMPLE_RATE == pytest.approx(end, abs=0.5)
    assert len(result.chunks) == 1  # everything fits one 30 s chunk, pauses included
    short = detect_speech(audio, VadOptions(max_chunk_s=6.0))
    assert len(short.chunks) >= 2 and all(c.duration_s <= 6.0 for c in short.chunks)


def test_silence_has_no_speech() -> None:
    quiet = np.random.default_rng(0).normal(0, 1e-4, 20 * SAMPLE_RATE).astype(np.float32)
    assert detect_speech(quiet).chunks == ()


def test_energy_fallback_when_silero_is_missing(kazakh_speech, monkeypatch) -> None:
    monkeypatch.setattr(vad, "silero_model_path", lambda: None)
    vad._silero.cache_clear()
    try:
        result = detect_speech(kazakh_speech[0])
    finally:
        vad._silero.cache_clear()
    assert result.backend == "energy" and "energy" in (result.message or "")
    assert len(result.regions) == len(kazakh_speech[1])


def test_chunks_never_exceed_the_limit() -> None:
    second = SAMPLE_RATE
    regions = [SpeechChunk(i * 11 * second, (i * 11 + 10) * second) for i in range(9)]
    regions.append(SpeechChunk(100 * second, 170 * second))  # one 70 s monologue
    probs = np.ones(200 * second // vad.WINDOW, dtype=np.float32)
    probs[(125 * second) // vad.WINDOW] = 0.1  # a breath inside the monologue
    chunks = merge_into_chunks(regions, probs, 30.0)
    assert all(c.duration_s <= 30.0 for c in chunks)
    assert chunks[0] == SpeechChunk(0, 21 * second)  # two regions and the pause between
    covered = sum(c.end - c.start for c in chunks)
    assert covered >= sum(r.end - r.start for r in regions)
    assert any(c.end == (125 * second // vad.WINDOW) * vad.WINDOW for c in chunks)


def test_asr_runtime_never_loads_torch(kazakh_speech) -> None:
    code = (
        "import sys, numpy as np\n"
        "import desktop_app.asr as asr\n"
        "from desktop_app.asr import decoding, beam, transcribe, vad\n"
        "r = vad.detect_speech(np.zeros(16000 * 3, dtype=np.float32))\n"
        "assert r.backend == 'silero', r\n"
        "bad = [m for m in ('torch', 'transformers', 'optimum') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""
