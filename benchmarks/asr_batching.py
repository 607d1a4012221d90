"""Batched decoding of VAD chunks: batch 1 against larger batches, same engine.

A long clip (espeak-ng sentences with pauses, so VAD cuts it into many
chunks) is transcribed with ``WhisperOnnx(batch_size=B)`` for each batch
size, interleaved ``--repeat`` times; printed per batch size: median wall
time, real-time factor, ms per decoded token, the speed-up over batch 1 and
whether the text equals batch 1's. Batching is meant for CUDA (the engine's
default there is 8; on the CPU it is 1, where the gain is small):

    .venv/bin/python benchmarks/asr_batching.py --onnx-dir MODEL_ONNX --device cuda \
        --batch-sizes 1,4,8,16

Without ``--onnx-dir`` the active model version of the registry is used.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np
import soxr

from desktop_app.asr import DecodeOptions, WhisperOnnx
from desktop_app.asr.registry import ModelRegistry

SR = 16_000
SENTENCES = (
    "The weather was cold and windy when we arrived at the station.",
    "She opened the old wooden box and found a bundle of letters inside.",
    "Every morning the baker lights the oven before the sun comes up.",
    "We talked for hours about music, books and the places we had visited.",
    "The children ran across the field towards the river.",
    "After dinner he washed the dishes and read the evening newspaper.",
    "A small boat was waiting for us at the end of the harbour.",
    "The library closes at six o'clock on Saturdays.",
    "They planted apple trees along the northern wall of the garden.",
    "My brother works as an engineer in a large factory near the city.",
    "The museum was full of tourists taking photographs of the paintings.",
    "Please remember to turn off the lights when you leave the office.",
)


def spoken_clip(folder: Path, pause_s: float = 1.2) -> np.ndarray:
    """The sentences spoken by espeak-ng, joined with ``pause_s`` of silence."""
    if shutil.which("espeak-ng") is None:
        sys.exit("espeak-ng is not installed")
    parts = []
    for i, text in enumerate(SENTENCES):
        path = folder / f"s{i}.wav"
        subprocess.run(["espeak-ng", "-v", "en", "-s", "140", "-w", str(path), text], check=True)
        with wave.open(str(path)) as wav:
            rate = wav.getframerate()
            pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
        parts.append(soxr.resample(pcm.astype(np.float32) / 32768.0, rate, SR))
        parts.append(np.zeros(int(SR * pause_s), dtype=np.float32))
    return np.concatenate(parts).astype(np.float32)


def run_once(engine: WhisperOnnx, audio: np.ndarray) -> tuple[float, int, str]:
    """Wall seconds, decoded text tokens and text of one transcription."""
    start = time.perf_counter()
    segments, _info = engine.transcribe(audio, DecodeOptions(language="en", vad_filter=True))
    segments = list(segments)
    seconds = time.perf_counter() - start
    eot = engine.tokenizer.eot
    tokens = sum(sum(1 for t in s.tokens if t < eot) for s in segments)
    return seconds, tokens, " ".join(s.text.strip() for s in segments)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--onnx-dir", type=Path, help="model folder (default: the active one)")
    parser.add_argument("--device", default="auto", choices=["cpu", "cuda", "auto"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-sizes", default="1,4,8")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    folder = args.onnx_dir
    if folder is None:
        registry = ModelRegistry()
        active = registry.active()
        if active is None:
            sys.exit("No model installed: run `jazba models install-default` or pass --onnx-dir")
        folder = registry.path(active.id)
    sizes = [int(b) for b in args.batch_sizes.split(",")]
    engines = {
        b: WhisperOnnx(folder, device=args.device, threads=args.threads, batch_size=b)
        for b in sizes
    }
    with tempfile.TemporaryDirectory() as tmp:
        audio = spoken_clip(Path(tmp))
    seconds = audio.size / SR
    first = engines[sizes[0]]
    print(f"device={first.device} threads={args.threads} audio={seconds:.1f} s model={folder}")
    for engine in engines.values():  # warm-up
        run_once(engine, audio[: SR * 8])
    walls: dict[int, list[float]] = {b: [] for b in sizes}
    results: dict[int, tuple[int, str]] = {}
    for _ in range(args.repeat):
        for b, engine in engines.items():
            wall, tokens, text = run_once(engine, audio)
            walls[b].append(wall)
            results[b] = (tokens, text)
    base = float(np.median(walls[sizes[0]]))
    print(f"{'batch':>5}{'wall s':>9}{'RTF':>8}{'ms/token':>10}{'speed-up':>10}  same text")
    for b in sizes:
        wall = float(np.median(walls[b]))
        tokens, text = results[b]
        same = "yes" if text == results[sizes[0]][1] else "NO"
        per_token = 1000 * wall / max(tokens, 1)
        rtf, speedup = wall / seconds, base / wall
        print(f"{b:>5}{wall:>9.2f}{rtf:>8.3f}{per_token:>10.1f}{speedup:>10.2f}  {same}")


if __name__ == "__main__":
    main()
