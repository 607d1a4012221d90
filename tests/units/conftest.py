"""Tiny random encoders (wav2vec2 and a Whisper encoder in ONNX) and a project with audio."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from desktop_app.asr.manifest import ActiveState, Manifest, write_active, write_manifest
from desktop_app.core.project import Project
from desktop_app.core.services.recordings import RecordingService
from desktop_app.services.unit_lm import FitOptions, TrainOptions, fit_units, train_unit_lm
from desktop_app.units.registry import LMShape, UnitRegistry

SR = 16_000
TINY_LM = LMShape(context=32, n_layer=1, n_head=2, d_model=32, dropout=0.0)


def synth(seconds: float, seed: int, kind: str = "voice") -> np.ndarray:
    """Speech-like audio (gliding harmonics with syllable envelopes) or white noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    if kind == "noise":
        return (0.2 * rng.standard_normal(t.size)).astype(np.float32)
    f0 = 110 + 40 * np.sin(2 * np.pi * 0.7 * t + seed)
    phase = 2 * np.pi * np.cumsum(f0) / SR
    voice = sum(np.sin(h * phase) / h for h in range(1, 6))
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3.5 * t + rng.uniform(0, 6)) ** 2
    return (0.2 * voice * envelope + 0.005 * rng.standard_normal(t.size)).astype(np.float32)


@pytest.fixture(scope="session")
def tiny_w2v(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised 2-layer wav2vec2 saved like a Hub checkpoint."""
    import torch
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2Model

    torch.manual_seed(0)
    config = Wav2Vec2Config(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        conv_dim=(16,) * 7,
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2,
        vocab_size=8,
    )
    folder = tmp_path_factory.mktemp("tiny-w2v")
    Wav2Vec2Model(config).eval().save_pretrained(folder)
    Wav2Vec2FeatureExtractor(do_normalize=True).save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_whisper_registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An ASR registry whose active version holds a tiny random Whisper encoder (ONNX)."""
    import torch
    from transformers import WhisperConfig
    from transformers.models.whisper.modeling_whisper import WhisperEncoder

    torch.manual_seed(0)
    config = WhisperConfig(
        d_model=32,
        encoder_layers=2,
        encoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_layers=1,
        decoder_attention_heads=2,
        decoder_ffn_dim=64,
        num_mel_bins=80,
    )
    encoder = WhisperEncoder(config).eval()
    root = tmp_path_factory.mktemp("asr-registry")
    folder = root / "tiny-whisper"
    folder.mkdir()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            encoder,
            (torch.zeros(1, 80, 3000),),
            str(folder / "encoder_model.onnx"),
            input_names=["input_features"],
            output_names=["last_hidden_state"],
            dynamic_axes={"input_features": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    write_manifest(folder, Manifest(id="tiny-whisper", name="Tiny Whisper", source="onnx-dir"))
    write_active(root, ActiveState("tiny-whisper", []))
    return root


@pytest.fixture
def write_wav(tmp_path: Path):
    def write(name: str, audio: np.ndarray) -> Path:
        path = tmp_path / name
        sf.write(path, audio, SR, subtype="FLOAT")
        return path

    return write


@pytest.fixture(scope="session")
def trained(
    tmp_path_factory: pytest.TempPathFactory, tiny_w2v: Path
) -> Iterator[tuple[Project, UnitRegistry, object, object]]:
    """A project (3 voice recordings + 1 noise) with HF units fitted and a unit LM trained."""
    root = tmp_path_factory.mktemp("pipeline")
    project = Project.create(root / "p", name="Units")
    recs = RecordingService(project)
    for i, kind in enumerate(("voice", "voice", "voice", "noise")):
        path = root / f"{kind}{i}.wav"
        sf.write(path, synth(6.0, i, kind), SR, subtype="FLOAT")
        recs.import_file(path)
    registry = UnitRegistry(root / "data" / "models" / "unitlm")  # JAZBA_DATA_DIR=root/data
    units = fit_units(project, FitOptions(k=50, features=str(tiny_w2v), layer=1), registry=registry)
    lm = train_unit_lm(
        project,
        TrainOptions(units_version=units.id, lm=TINY_LM, steps=40, batch_size=8, device="cpu"),
        registry=registry,
    )
    yield project, registry, units, lm
    project.close()
