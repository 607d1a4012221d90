"""A tiny random Whisper installed in a throwaway registry, and a project to learn from.

The model is two layers of width 64 with a byte-level vocabulary (Whisper's
special tokens for en/ru/kk from ``tests.modelbuild.conftest``), so a
training step takes milliseconds; the "speech" is synthetic, distinct per
utterance. A session-wide registry holds it as an installed HF-based version
(with ``hf/`` weights beside it, as fine-tuned versions have).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from desktop_app.core.project import Project
from desktop_app.core.services.recordings import RecordingService
from desktop_app.core.services.segments import NewSegment, SegmentService
from desktop_app.core.services.speakers import SpeakerService
from tests.modelbuild.conftest import VOCAB_SIZE, generation_config, token_id, write_tokenizer

SR = 16_000
TEXTS = ("ата", "әже", "бала", "қала", "нан", "сүт", "күн", "ай", "тау", "су", "үй", "ит")
SPEAKERS = (("Айгүл", "female", "20-29"), ("Ерлан", "male", "30-39"), ("Дана", "female", "60+"))
SEGMENT_S = 1.6
GAP_S = 0.4


def make_tiny_whisper(folder: Path, seed: int = 0) -> Path:
    """A random tiny Whisper (HF format) whose decoder takes 128 positions."""
    import torch
    from transformers import (
        GenerationConfig,
        WhisperConfig,
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
    )

    torch.manual_seed(seed)
    eot = token_id("<|endoftext|>")
    config = WhisperConfig(
        vocab_size=VOCAB_SIZE, num_mel_bins=80, d_model=64, encoder_layers=2, decoder_layers=2,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=128,
        decoder_ffn_dim=128, max_source_positions=1500, max_target_positions=128,
        pad_token_id=eot, bos_token_id=eot, eos_token_id=eot,
        decoder_start_token_id=token_id("<|startoftranscript|>"),
    )  # fmt: skip
    model = WhisperForConditionalGeneration(config)
    model.generation_config = GenerationConfig(**{**generation_config(), "max_length": 128})
    folder.mkdir(parents=True)
    model.save_pretrained(folder)
    write_tokenizer(folder)
    WhisperFeatureExtractor(feature_size=80).save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_hf_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_whisper(tmp_path_factory.mktemp("tiny_training") / "hf")


@pytest.fixture(scope="session")
def tiny_onnx_dir(tiny_hf_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from desktop_app.modelbuild.export_onnx import export_onnx

    out = tmp_path_factory.mktemp("tiny_training") / "onnx"
    export_onnx(tiny_hf_dir, out)
    return out


@pytest.fixture
def registry(tmp_path: Path, tiny_hf_dir: Path, tiny_onnx_dir: Path):
    """A registry whose only (active) version is the tiny model, HF weights included."""
    from desktop_app.asr.registry import ModelRegistry

    reg = ModelRegistry(tmp_path / "models")
    reg.import_onnx_dir(tiny_onnx_dir, name="Tiny base", extra={"hf": tiny_hf_dir})
    return reg


def utterance(index: int, seconds: float = SEGMENT_S) -> np.ndarray:
    """A distinct synthetic 'word': two tones set by the index, with an envelope."""
    t = np.arange(int(seconds * SR)) / SR
    f1, f2 = 200 + 60 * index, 900 + 110 * (index % 5)
    env = np.sin(np.pi * t / seconds) ** 2
    return (0.3 * env * (np.sin(2 * np.pi * f1 * t) + 0.5 * np.sin(2 * np.pi * f2 * t))).astype(
        np.float32
    )


def fill_project(project: Project, folder: Path, repeats: int = 2) -> list[int]:
    """Three recordings (one per speaker), each saying every text ``repeats`` times.

    All segments are approved except the last two of each recording, which
    stay ``auto`` with low confidence. Returns the approved segment ids.
    """
    speakers = SpeakerService(project)
    approved: list[int] = []
    for r, (name, gender, age) in enumerate(SPEAKERS):
        sp = speakers.create(name, gender=gender, age_band=age)
        pieces, segs = [], []
        t = 0.0
        for k in range(repeats):
            for i, text in enumerate(TEXTS):
                pieces += [utterance(i) * (0.8 + 0.2 * r), np.zeros(int(GAP_S * SR), np.float32)]
                segs.append((round(t * 1000), round((t + SEGMENT_S) * 1000), text, k))
                t += SEGMENT_S + GAP_S
        wav = folder / f"rec{r}.wav"
        sf.write(wav, np.concatenate(pieces), SR)
        rec = RecordingService(project).import_file(wav)
        news = [
            NewSegment(s, e, text, speaker_id=sp.id, language="kk", confidence=0.3 + 0.01 * i)
            for i, (s, e, text, _k) in enumerate(segs)
        ]
        result = SegmentService(project).add_many(rec.id, news[:-2], status="approved")
        SegmentService(project).add_many(rec.id, news[-2:], status="auto")
        approved += list(result.segment_ids)
    return approved


@pytest.fixture
def filled_project(project: Project, tmp_path: Path) -> Iterator[Project]:
    fill_project(project, tmp_path)
    yield project


def small_config(**changes):
    from desktop_app.core.learning.config import FinetuneConfig

    base = dict(
        batch_size=4, max_steps=6, eval_every=3, learning_rate=2e-3, threads=1,
        spec_augment=False, warmup_ratio=0.0, patience=5,
    )  # fmt: skip
    return FinetuneConfig(**{**base, **changes})


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst
