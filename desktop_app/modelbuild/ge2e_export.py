"""Build the GE2E speaker encoder (the weights inside the ``resemblyzer`` wheel) as ONNX.

Runs in the model-build subprocess only (PyTorch). The checkpoint is read with
``torch.load(weights_only=True)``: tensors and plain containers, never arbitrary
pickled objects. The network (3-layer LSTM 40→256, linear 256→256, ReLU, L2
norm on the last hidden state) is rebuilt here, exported with dynamic batch and
frame axes, and compared with resemblyzer's own ``VoiceEncoder`` on the same
audio before the folder is installed.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
import tempfile
import types
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from desktop_app.core.errors import ModelError
from desktop_app.speakers.mel import mel_frames
from desktop_app.speakers.models import (
    EMBEDDING_DIM,
    GE2E_FILE,
    GE2E_ID,
    INPUT,
    OUTPUT,
    WINDOW_FRAMES,
    write_speaker_manifest,
)

ProgressFn = Callable[[float, str], None]
PARITY_MIN_COSINE = 0.999


#: The same for both front ends (a package-manager command, not a Jazba one).
RESEMBLYZER_INSTALL = "pip install --no-deps resemblyzer==0.1.4"


def resemblyzer_weights() -> Path:
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "The 'resemblyzer' package (the GE2E speaker encoder's weights) is not installed: "
            f"{RESEMBLYZER_INSTALL}"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "pretrained.pt"
    if not path.is_file():
        raise ModelError(f"The resemblyzer package has no weights file ({path}).")
    return path


def load_state(path: Path) -> dict[str, Any]:
    """The encoder's tensors, loaded without unpickling arbitrary objects."""
    import torch

    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    state = checkpoint.get("model_state", checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict) or "linear.weight" not in state:
        raise ModelError(f"{path.name} does not hold a GE2E encoder's weights.")
    return {k: v for k, v in state.items() if k.startswith(("lstm.", "linear."))}


def build_encoder(state: dict[str, Any]) -> Any:
    import torch
    from torch import nn

    class Ge2eEncoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = nn.LSTM(40, 256, 3, batch_first=True)
            self.linear = nn.Linear(256, EMBEDDING_DIM)

        def forward(self, mels: torch.Tensor) -> torch.Tensor:
            _, (hidden, _) = self.lstm(mels)
            raw = torch.relu(self.linear(hidden[-1]))
            return raw / torch.linalg.vector_norm(raw, dim=1, keepdim=True).clamp_min(1e-8)

    model = Ge2eEncoder()
    model.load_state_dict(state, strict=True)
    return model.eval()


def export_encoder(model: Any, target: Path) -> None:
    import torch

    dummy = torch.zeros(2, WINDOW_FRAMES, 40)
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (dummy,),
            str(target),
            input_names=[INPUT],
            output_names=[OUTPUT],
            dynamic_axes={INPUT: {0: "batch", 1: "frames"}, OUTPUT: {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )


def _test_audio(seconds: float = 4.0) -> np.ndarray:
    """A voiced-like test signal: a gliding harmonic tone with formant-ish noise."""
    rng = np.random.default_rng(7)
    t = np.arange(int(16_000 * seconds)) / 16_000
    f0 = 120 + 40 * np.sin(2 * np.pi * 0.5 * t)
    phase = 2 * np.pi * np.cumsum(f0) / 16_000
    wave = sum(np.sin(k * phase) / k for k in range(1, 12))
    wave = wave * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t) ** 2) + 0.02 * rng.standard_normal(t.size)
    return (0.1 * wave / np.abs(wave).max()).astype(np.float32)


def _reference_embeddings(audio: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """resemblyzer's own partial embeddings and their mel windows, or None without it.

    resemblyzer imports webrtcvad at import time for its silence trimming, which
    is not used here; a stand-in module lets the encoder import without it.
    """
    try:
        importlib.import_module("webrtcvad")
    except ImportError:
        sys.modules.setdefault("webrtcvad", types.ModuleType("webrtcvad"))
    try:
        from resemblyzer import VoiceEncoder
        from resemblyzer.audio import wav_to_mel_spectrogram
    except ImportError:
        return None
    encoder = VoiceEncoder(device="cpu", verbose=False)
    _, partials, slices = encoder.embed_utterance(audio, return_partials=True)
    mel = wav_to_mel_spectrogram(np.pad(audio, (0, max(0, slices[-1].stop - audio.size))))
    wins = np.stack([mel[s.start // 160 : s.start // 160 + WINDOW_FRAMES] for s in slices])
    return np.asarray(partials), wins


def check_parity(onnx_path: Path, model: Any) -> dict[str, Any]:
    """Cosine agreement of the ONNX graph (on our numpy mel frames) with resemblyzer's
    own embeddings, or with the rebuilt torch network when resemblyzer cannot import."""
    import onnxruntime as ort
    import torch

    audio = _test_audio()
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    ours_mel = mel_frames(np.pad(audio, (0, 16_000)))
    ref = _reference_embeddings(audio)
    if ref is not None:
        expected, ref_wins = ref
        wins = np.stack([ours_mel[i : i + WINDOW_FRAMES] for i in _starts(ref_wins, ours_mel)])
        reference = "resemblyzer"
    else:
        wins = np.stack([ours_mel[i : i + WINDOW_FRAMES] for i in (0, 80, 160)])
        with torch.inference_mode():
            expected = model(torch.from_numpy(wins)).numpy()
        reference = "torch"
    got = session.run([OUTPUT], {INPUT: wins.astype(np.float32)})[0]
    cos = np.sum(got * expected, axis=1) / (
        np.linalg.norm(got, axis=1) * np.linalg.norm(expected, axis=1)
    )
    worst = float(cos.min())
    if worst < PARITY_MIN_COSINE:
        raise ModelError(
            f"The exported speaker encoder disagrees with {reference} (cosine {worst:.5f})."
        )
    return {"reference": reference, "min_cosine": worst, "windows": len(cos)}


def _starts(ref_wins: np.ndarray, ours_mel: np.ndarray) -> list[int]:
    """Frame offsets of resemblyzer's windows in our mel frames (matched by content)."""
    starts = []
    for win in ref_wins:
        first = win[0]
        diffs = np.abs(ours_mel[: ours_mel.shape[0] - WINDOW_FRAMES + 1] - first).sum(axis=1)
        starts.append(int(np.argmin(diffs)))
    return starts


def build_ge2e(out: Path, progress: ProgressFn) -> dict[str, Any]:
    """Export, check and install the encoder into ``out`` (replaced atomically)."""
    weights = resemblyzer_weights()
    progress(0.05, "Reading the GE2E weights from the resemblyzer package")
    model = build_encoder(load_state(weights))
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".build-", dir=out.parent))
    try:
        progress(0.3, "Exporting the speaker encoder to ONNX")
        export_encoder(model, staging / GE2E_FILE)
        progress(0.7, "Checking it against resemblyzer")
        parity = check_parity(staging / GE2E_FILE, model)
        write_speaker_manifest(
            staging,
            model_id=GE2E_ID,
            name="GE2E speaker encoder (resemblyzer 0.1.4)",
            source="pypi:resemblyzer",
            license="Apache-2.0",
            parity=parity,
        )
        if out.exists():
            shutil.rmtree(out)
        staging.replace(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    progress(1.0, "Speaker encoder installed")
    return {"model_dir": str(out), "parity": parity}
