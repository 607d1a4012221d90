"""Damaged audio of every common kind ends in an import or a clear error.

A hundred mutants per format (truncated, bit-flipped, header fields set to
extremes, runs zeroed, duplicated or spliced in), from a fixed seed, imported
one after another in a child process: each must import or raise a
:class:`~desktop_app.core.errors.JazbaError` — never another exception, never
a hang, never more than ``PEAK_LIMIT_MB`` of memory, and never leave a file
behind when it fails.
"""

from __future__ import annotations

import random
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf

from desktop_app.core.audio import clean_partial_files

MUTANTS_PER_FORMAT = 100
PEAK_LIMIT_MB = 500
SECONDS_PER_MUTANT = 10
FORMATS = {
    "wav": ("WAV", "PCM_16"),
    "flac": ("FLAC", "PCM_16"),
    "ogg": ("OGG", "VORBIS"),
    "mp3": ("MP3", "MPEG_LAYER_III"),
}

Mutation = Callable[[bytearray, random.Random], bytearray]


def _truncate(data: bytearray, rng: random.Random) -> bytearray:
    return data[: rng.randrange(1, len(data))]


def _flip_bits(data: bytearray, rng: random.Random) -> bytearray:
    for _ in range(rng.randint(1, 20)):
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    return data


def _random_bytes(data: bytearray, rng: random.Random) -> bytearray:
    for _ in range(rng.randint(1, 10)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return data


def _extreme_field(data: bytearray, rng: random.Random) -> bytearray:
    """Set 1–4 header bytes (rates, sizes, counts live there) to an extreme value."""
    for _ in range(rng.randint(1, 3)):
        width = rng.choice([1, 2, 3, 4])
        at = rng.randrange(min(len(data), 48) - width)
        top = 1 << (8 * width)
        value = rng.choice([0, 1, 2, top - 1, top // 2, rng.randrange(top)])
        data[at : at + width] = value.to_bytes(width, rng.choice(["little", "big"]))
    return data


def _zero_run(data: bytearray, rng: random.Random) -> bytearray:
    at = rng.randrange(len(data))
    run = min(rng.randint(1, 4096), len(data) - at)
    data[at : at + run] = bytes(run)
    return data


def _duplicate_run(data: bytearray, rng: random.Random) -> bytearray:
    at = rng.randrange(len(data))
    data[at:at] = data[at : at + rng.randint(1, 4096)]
    return data


def _splice_junk(data: bytearray, rng: random.Random) -> bytearray:
    at = rng.randrange(len(data))
    data[at:at] = rng.randbytes(rng.randint(1, 2048))
    return data


MUTATIONS: list[Mutation] = [
    _truncate,
    _flip_bits,
    _random_bytes,
    _extreme_field,
    _extreme_field,
    _zero_run,
    _duplicate_run,
    _splice_junk,
]


def _speech(folder: Path) -> tuple[np.ndarray, int]:
    """A few seconds of Kazakh from espeak-ng, or a gliding tone without it."""
    if shutil.which("espeak-ng"):
        wav = folder / "speech.wav"
        text = "Сәлеметсіз бе, бұл қазақ тіліндегі сынақ жазбасы."
        subprocess.run(["espeak-ng", "-v", "kk", "-w", str(wav), text], check=True, timeout=60)
        data, rate = sf.read(wav, dtype="float32")
        return data, rate
    rate = 16_000
    t = np.arange(3 * rate) / rate
    return (0.4 * np.sin(2 * np.pi * (200 + 100 * t) * t)).astype(np.float32), rate


def _mutants(folder: Path, signal: np.ndarray, rate: int) -> list[Path]:
    mutants = []
    for ext, (container, subtype) in FORMATS.items():
        original = folder / f"original.{ext}"
        sf.write(original, signal, rate, subtype=subtype, format=container)
        data = original.read_bytes()
        rng = random.Random(f"jazba-fuzz-{ext}")
        for i in range(MUTANTS_PER_FORMAT):
            mutant = folder / f"{ext}-{i:03d}.{ext}"
            mutant.write_bytes(rng.choice(MUTATIONS)(bytearray(data), rng))
            mutants.append(mutant)
    return mutants


def test_damaged_audio_imports_or_is_refused_clearly(tmp_path, dest, python_child) -> None:
    folder = tmp_path / "mutants"
    folder.mkdir()
    mutants = _mutants(folder, *_speech(folder))

    results = python_child.import_each(dest, mutants, timeout=300)

    crashes = [r for r in results if str(r["outcome"]).startswith("crashed")]
    assert not crashes, crashes[:5]
    slow = [r for r in results if r["seconds"] > SECONDS_PER_MUTANT]
    assert not slow, slow[:5]
    heavy = [r for r in results if r["peak_mb"] >= PEAK_LIMIT_MB]
    assert not heavy, heavy[:1]  # peak_mb only grows: the first one is the culprit
    imported = [r for r in results if r["outcome"] == "imported"]
    refused = [r for r in results if r["outcome"] != "imported"]
    assert imported and refused  # the mutants do exercise both paths
    assert all(f"'{Path(r['file']).name}'" in r["message"] for r in refused)
    # Nothing is left behind by the refusals: one audio file per import, no partial files.
    assert len(list((dest / "audio").iterdir())) == len(imported)
    assert clean_partial_files(dest) == []
