"""Reference checks of an exported CTC folder (build-time only).

ONNX logits against PyTorch on a few seconds of a fixed, speech-like signal,
and the int8 graph against the fp32 one: the greedy label sequences must
match (a frame whose two best labels are tied within the numerical noise may
flip without counting). The application's decoders live in
:mod:`desktop_app.asr.ctc`; this module needs only numpy and onnxruntime
besides the PyTorch model it is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SAMPLE_RATE = 16_000
#: Largest accepted difference of ONNX logits from PyTorch (as the Whisper export).
MAX_LOGIT_DIFF = 1e-2


def probe_audio(seconds: float = 4.0, seed: int = 0) -> np.ndarray:
    """A fixed, speech-like test signal: voiced harmonics in syllables, pauses, noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    pitch = 140.0 + 30.0 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / SAMPLE_RATE
    voiced = sum(np.sin(k * phase) / k for k in range(1, 8))
    syllables = np.clip(np.sin(2 * np.pi * 4.0 * t), 0.0, None) ** 2
    pauses = (np.sin(2 * np.pi * 0.4 * t) > -0.6).astype(np.float64)
    audio = 0.3 * voiced * syllables * pauses + 0.005 * rng.standard_normal(t.size)
    return audio.astype(np.float32)


def normalize(audio: np.ndarray) -> np.ndarray:
    """Wav2Vec2FeatureExtractor's ``do_normalize``: zero mean, unit variance."""
    x = np.asarray(audio, dtype=np.float32)
    return ((x - x.mean()) / np.sqrt(x.var() + 1e-7)).astype(np.float32)


def collapse(path: np.ndarray, blank: int) -> list[int]:
    out: list[int] = []
    previous = None
    for label in path.tolist():
        if label != previous and label != blank:
            out.append(int(label))
        previous = label
    return out


def onnx_logits(model_path: Path, values: np.ndarray) -> np.ndarray:
    """``(batch, frames, vocab)`` logits of an ONNX CTC graph on the CPU."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
    return session.run(None, {"input_values": values})[0]


@dataclass(frozen=True)
class CtcComparison:
    """How far one CTC graph is from a reference on the probe audio."""

    max_logit_diff: float
    labels_ref: list[int]
    labels_test: list[int]
    frames: int
    frames_differ: int  # frames whose best label differs (ties included)
    near_ties: int  # of those, frames whose reference top-2 margin is below the noise

    @property
    def same_labels(self) -> bool:
        return self.labels_ref == self.labels_test


def compare_logits(reference: np.ndarray, test: np.ndarray, blank: int) -> CtcComparison:
    """Compare two ``(frames, vocab)`` logit arrays by their values and greedy paths."""
    diff = float(np.abs(reference - test).max()) if reference.size else 0.0
    best_ref, best_test = reference.argmax(-1), test.argmax(-1)
    differ = best_ref != best_test
    top2 = np.sort(reference, axis=-1)[:, -2:] if reference.shape[-1] > 1 else reference
    margin = top2[:, -1] - top2[:, 0]
    ties = int((differ & (margin <= 2 * diff)).sum())
    return CtcComparison(
        max_logit_diff=diff,
        labels_ref=collapse(best_ref, blank),
        labels_test=collapse(best_test, blank),
        frames=int(reference.shape[0]),
        frames_differ=int(differ.sum()),
        near_ties=ties,
    )


def compare_with_torch(
    model: Any, onnx_path: Path, blank: int, seconds: float = 4.0
) -> CtcComparison:
    """ONNX logits against the PyTorch ``*ForCTC`` ``model`` on :func:`probe_audio`."""
    import torch

    values = normalize(probe_audio(seconds))[None]
    with torch.inference_mode():
        reference = model(torch.from_numpy(values)).logits[0].float().numpy()
    return compare_logits(reference, onnx_logits(onnx_path, values)[0], blank)


def export_matches(result: CtcComparison) -> bool:
    """Logits within :data:`MAX_LOGIT_DIFF`, and greedy output equal up to tied frames."""
    if result.max_logit_diff > MAX_LOGIT_DIFF:
        return False
    return result.same_labels or result.frames_differ == result.near_ties


def character_error_rate(reference: list[int], hypothesis: list[int]) -> float:
    """Edit distance of two label sequences over the reference length."""
    if not reference:
        return float(bool(hypothesis))
    row = list(range(len(hypothesis) + 1))
    for i, r in enumerate(reference, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hypothesis, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1] / len(reference)
