"""The GE2E encoder built from the resemblyzer wheel: ONNX parity and the numpy front end."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from desktop_app.speakers.embedder import SpeakerEmbedder, Window
from desktop_app.speakers.mel import mel_filters, mel_frames
from desktop_app.speakers.models import (
    EMBEDDING_DIM,
    SpeakerModel,
    find_speaker_model,
    verify_speaker_model,
)


def test_mel_front_end_matches_librosa() -> None:
    librosa = pytest.importorskip("librosa")
    x = np.random.default_rng(0).standard_normal(12_345).astype(np.float32) * 0.1
    ref = librosa.feature.melspectrogram(y=x, sr=16000, n_fft=400, hop_length=160, n_mels=40).T
    ours = mel_frames(x)
    assert ours.shape == ref.shape == (1 + 12_345 // 160, 40)
    assert np.abs(ours - ref).max() <= 1e-5 * np.abs(ref).max()
    assert np.allclose(
        mel_filters(), librosa.filters.mel(sr=16000, n_fft=400, n_mels=40), atol=1e-7
    )


def test_export_agrees_with_resemblyzer(ge2e_model: SpeakerModel) -> None:
    assert ge2e_model.embedding_dim == EMBEDDING_DIM
    assert ge2e_model.parity["min_cosine"] >= 0.999
    if importlib.util.find_spec("librosa"):
        assert ge2e_model.parity["reference"] == "resemblyzer"
    verify_speaker_model(ge2e_model)
    assert find_speaker_model("ge2e", ge2e_model.folder.parent) == ge2e_model


def test_embeddings_are_unit_and_batched_alike(ge2e_model: SpeakerModel) -> None:
    emb = SpeakerEmbedder(ge2e_model, threads=1)
    t = np.arange(48_000) / 16_000
    audio = (0.1 * np.sin(2 * np.pi * 150 * t) * np.sin(2 * np.pi * 2 * t)).astype(np.float32)
    wins = [Window(0, 24_000), Window(12_000, 36_000), Window(24_000, 48_000), Window(0, 8000)]
    out = emb.embed(audio, wins)
    assert out.shape == (4, EMBEDDING_DIM)
    assert np.allclose(np.linalg.norm(out, axis=1), 1, atol=1e-4)
    alone = emb.embed(audio, wins[1:2])
    assert np.allclose(alone[0], out[1], atol=1e-5)


def test_damaged_file_is_reported(ge2e_model: SpeakerModel, tmp_path) -> None:
    import shutil

    from desktop_app.core.errors import ModelError
    from desktop_app.speakers.models import read_speaker_model

    copy = tmp_path / "ge2e"
    shutil.copytree(ge2e_model.folder, copy)
    with open(copy / ge2e_model.file, "r+b") as f:
        f.seek(1000)
        f.write(b"\0\0\0\0")
    with pytest.raises(ModelError, match="damaged"):
        verify_speaker_model(read_speaker_model(copy))


def test_a_range_of_frames_equals_the_whole_spectrogram() -> None:
    from desktop_app.speakers.mel import mel_range

    x = np.random.default_rng(1).standard_normal(8000).astype(np.float32)
    whole = mel_frames(x)
    for first, stop in ((0, 5), (10, 30), (40, 51), (49, 51)):
        assert np.allclose(mel_range(x, first, stop), whole[first:stop], rtol=1e-5, atol=1e-6)
