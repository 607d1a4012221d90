"""A tiny ONNX powerset segmentation model whose answers the tests know, and audio for it.

Same interface as pyannote segmentation-3.0 in onnx-community's export: input
``input_values`` ``[batch, 1, samples]`` (16 kHz), output ``logits`` ``[batch,
frames, 7]`` log-probabilities over ``{}, {1}, {2}, {3}, {1,2}, {1,3}, {2,3}``,
a frame every 270 samples over 991. "Speaker 1" is a 300 Hz tone and "speaker
2" a 1200 Hz tone: a quadrature pair of Hann-windowed filters per tone
measures its energy in each frame, ``z_k = log(energy_k) - 2`` is positive
when the tone sounds, and the logit of each class is the sum of its speakers'
``z`` (speaker 3 never speaks). So silence is ``{}``, one tone is that
speaker, and both tones at once are ``{1,2}``, an overlap.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

SR = 16_000
STEP, SIZE = 270, 991
TONES = (300.0, 1200.0)


def build_tiny_segmentation(path: Path, batch: int | str = "B") -> Path:
    """Write the model to ``path``; ``batch=1`` fixes the batch size, as some exports do."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    t = np.arange(SIZE) / SR
    hann = np.hanning(SIZE)
    filters = []
    for f in TONES:
        filters += [hann * np.cos(2 * np.pi * f * t), hann * np.sin(2 * np.pi * f * t)]
    w1 = np.asarray(filters, np.float32)[:, None, :]  # [4, 1, 991]
    w2 = np.array([[1, 1, 0, 0], [0, 0, 1, 1]], np.float32)[:, :, None]  # pairs -> energy
    classes = [(), (0,), (1,), (2,), (0, 1), (0, 2), (1, 2)]
    member = np.zeros((7, 3), np.float32)
    for j, c in enumerate(classes):
        member[j, list(c)] = 1
    w3 = member[:, :2, None]  # [7, 2, 1]
    b3 = (member[:, 2] * -50.0).astype(np.float32)  # a third speaker: never
    inits = [
        numpy_helper.from_array(w1, "w1"),
        numpy_helper.from_array(w2, "w2"),
        numpy_helper.from_array(w3, "w3"),
        numpy_helper.from_array(b3, "b3"),
        numpy_helper.from_array(np.array(1e-6, np.float32), "eps"),
        numpy_helper.from_array(np.array(2.0, np.float32), "thr"),
    ]
    nodes = [
        helper.make_node("Conv", ["input_values", "w1"], ["y"], strides=[STEP]),
        helper.make_node("Mul", ["y", "y"], ["y2"]),
        helper.make_node("Conv", ["y2", "w2"], ["e"]),
        helper.make_node("Add", ["e", "eps"], ["e1"]),
        helper.make_node("Log", ["e1"], ["le"]),
        helper.make_node("Sub", ["le", "thr"], ["z"]),
        helper.make_node("Conv", ["z", "w3", "b3"], ["c"]),
        helper.make_node("Transpose", ["c"], ["ct"], perm=[0, 2, 1]),
        helper.make_node("LogSoftmax", ["ct"], ["logits"], axis=-1),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_powerset_segmentation",
        [helper.make_tensor_value_info("input_values", TensorProto.FLOAT, [batch, 1, "N"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [batch, "F", 7])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def tone(seconds: float, f: float, amp: float = 0.3) -> np.ndarray:
    n = round(seconds * SR)
    return (amp * np.sin(2 * np.pi * f * np.arange(n) / SR)).astype(np.float32)


def conversation(
    parts: list[tuple[float, float, int]], seconds: float, seed: int = 0
) -> np.ndarray:
    """``(start_s, end_s, speaker 0|1)`` tones on faint noise."""
    rng = np.random.default_rng(seed)
    audio = (0.002 * rng.standard_normal(int(seconds * SR))).astype(np.float32)
    for a, b, who in parts:
        piece = tone(b - a, TONES[who])
        start = round(a * SR)
        audio[start : start + piece.size] += piece
    return audio
