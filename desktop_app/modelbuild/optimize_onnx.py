"""Faster CPU graphs for an exported Whisper folder: fused attention, int8 weights.

``encoder_model_int8.onnx`` (:func:`build_fast_encoder`) is optimum's encoder
with two rewrites:

* :func:`fuse_attention` replaces each self-attention block (reshape,
  transpose, scale, ``MatMul``, ``Softmax``, ``MatMul``, transpose back) by
  ONNX Runtime's ``com.microsoft.MultiHeadAttention``, which never writes
  the 1500 x 1500 score matrix of a 30 s window out. Same result (relative
  difference < 1e-5), ~10 % faster.
* :func:`quantize_matmuls_rowwise` makes the projections int8 with
  activations scaled per time frame, as CTranslate2 does. ONNX Runtime's
  ``quantize_dynamic`` uses one scale per tensor, which broke the encoder
  (relative error 13.7 %, English WER 0.05 -> 0.18); per frame it is 5.1 %,
  the same as CTranslate2's own int8 encoder on the same input (5.1 %).
  ``MatMulNBits`` (8-bit blocks, ``accuracy_level=4``) is more exact (3.0 %)
  but barely faster than fp32 on the encoder's large matrices.

Measured on 2 shared cores, 30 s window, whisper-base: fp32 1.28 s, fused
1.15 s, fused + row-wise int8 0.70 s, CTranslate2 int8 1.67 s (medians of 5,
interleaved).

The decoder's ``MatMul`` s use :func:`quantize_matmuls_int8` (``MatMulNBits``),
see :func:`desktop_app.modelbuild.export_onnx.quantize_decoder_int8`: with one
token per step it is the fastest and the most exact choice.
:func:`build_int8` writes both files and checks them against fp32.
"""

from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from desktop_app.asr.manifest import DECODER_INT8_FILE as DECODER_INT8
from desktop_app.asr.manifest import ENCODER_FILE as ENCODER
from desktop_app.asr.manifest import ENCODER_INT8_FILE as ENCODER_INT8
from desktop_app.core.errors import ModelError

log = logging.getLogger(__name__)

MS_DOMAIN = "com.microsoft"
INT8_BLOCK = 32


def _producers(graph: Any) -> dict[str, Any]:
    return {out: node for node in graph.node for out in node.output}


def _consumers(graph: Any) -> dict[str, list[Any]]:
    users: dict[str, list[Any]] = {}
    for node in graph.node:
        for name in node.input:
            users.setdefault(name, []).append(node)
    return users


def _constant(name: str, producers: dict[str, Any], inits: dict[str, Any]) -> np.ndarray | None:
    from onnx import numpy_helper

    if name in inits:
        return numpy_helper.to_array(inits[name])
    node = producers.get(name)
    if node is not None and node.op_type == "Identity":  # exporters share equal tensors
        return _constant(node.input[0], producers, inits)
    if node is not None and node.op_type == "Constant":
        for attr in node.attribute:
            if attr.name == "value":
                return numpy_helper.to_array(attr.t)
    return None


def _trace_projection(
    name: str, producers: dict[str, Any], inits: dict[str, Any]
) -> tuple[str, np.ndarray | None, float] | None:
    """Walk back from a Q/K/V tensor of the attention to its projection ``MatMul``.

    Allowed on the way: ``Reshape``, ``Transpose``, ``Mul`` by a scalar
    constant (multiplied into the returned scale) and one ``Add`` of a bias
    vector. Returns ``(matmul output, bias or None, scale)`` with the bias
    rescaled so that the tensor equals ``scale * (matmul + bias)``.
    """
    scale, bias, scale_at_bias = 1.0, None, 1.0
    for _ in range(8):
        node = producers.get(name)
        if node is None:
            return None
        if node.op_type in ("Reshape", "Transpose", "Identity"):
            name = node.input[0]
        elif node.op_type == "Mul":
            values = [_constant(i, producers, inits) for i in node.input]
            if values[1] is not None and values[1].size == 1:
                scale *= float(values[1].reshape(-1)[0])
                name = node.input[0]
            elif values[0] is not None and values[0].size == 1:
                scale *= float(values[0].reshape(-1)[0])
                name = node.input[1]
            else:
                return None
        elif node.op_type == "Add" and bias is None:
            values = [_constant(i, producers, inits) for i in node.input]
            which = 0 if values[0] is not None and values[0].ndim == 1 else 1
            if values[which] is None or values[which].ndim != 1:
                return None
            bias, name = values[which], node.input[1 - which]
            scale_at_bias = scale
        elif node.op_type == "MatMul" and node.input[1] in inits:
            if bias is not None and scale != scale_at_bias:  # a Mul came before the Add
                bias = bias * (scale_at_bias / scale)
            return node.output[0], bias, scale
        else:
            return None
    return None


def fuse_attention(model: Any, num_heads: int) -> int:
    """Replace self-attention blocks of ``model`` (in place) by ``MultiHeadAttention``.

    Matches, from each ``Softmax``: ``MatMul(Softmax(MatMul(q, k^T)), v)``
    followed by ``Transpose`` and ``Reshape`` back to ``(batch, time, d_model)``,
    where ``q``, ``k`` and ``v`` come from weight ``MatMul`` s (+ bias) of the
    same input through reshapes, transposes and scalar scaling. Attention
    with a mask or a KV cache (the decoder) does not match and is left alone.
    Returns the number of blocks fused.
    """
    import onnx
    from onnx import helper, numpy_helper

    graph = model.graph
    producers, users = _producers(graph), _consumers(graph)
    inits = {init.name: init for init in graph.initializer}
    fused = 0
    new_nodes: list[Any] = []
    replaced: dict[str, str] = {}  # old tensor name -> MHA output
    for softmax in [n for n in graph.node if n.op_type == "Softmax"]:
        scores = producers.get(softmax.input[0])
        after = users.get(softmax.output[0], [])
        if scores is None or scores.op_type != "MatMul" or len(after) != 1:
            continue
        context = after[0]
        if context.op_type != "MatMul" or context.input[0] != softmax.output[0]:
            continue
        chain = users.get(context.output[0], [])
        if len(chain) != 1 or chain[0].op_type != "Transpose":
            continue
        reshape = users.get(chain[0].output[0], [])
        if len(reshape) != 1 or reshape[0].op_type != "Reshape":
            continue
        q = _trace_projection(scores.input[0], producers, inits)
        k = _trace_projection(scores.input[1], producers, inits)
        v = _trace_projection(context.input[1], producers, inits)
        if q is None or k is None or v is None or v[2] != 1.0:
            continue
        width = _matmul_width(q[0], producers, inits)
        if width is None or width % num_heads:
            continue
        zeros = np.zeros(width, dtype=np.float32)
        bias = np.concatenate(
            [part[1] if part[1] is not None else zeros for part in (q, k, v)]
        ).astype(np.float32)
        prefix = f"{softmax.name or 'attention'}_mha"
        graph.initializer.append(numpy_helper.from_array(bias, name=f"{prefix}_bias"))
        new_nodes.append(
            helper.make_node(
                "MultiHeadAttention",
                [q[0], k[0], v[0], f"{prefix}_bias"],
                [f"{prefix}_out"],
                name=prefix,
                domain=MS_DOMAIN,
                num_heads=num_heads,
                scale=float(q[2] * k[2]),
            )
        )
        replaced[reshape[0].output[0]] = f"{prefix}_out"
        fused += 1
    if not fused:
        return 0
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name in replaced:
                node.input[i] = replaced[name]
    graph.node.extend(new_nodes)
    _topological_sort(graph)
    _prune(graph)
    if not any(op.domain == MS_DOMAIN for op in model.opset_import):
        model.opset_import.append(onnx.helper.make_opsetid(MS_DOMAIN, 1))
    return fused


def _matmul_width(output: str, producers: dict[str, Any], inits: dict[str, Any]) -> int | None:
    node = producers.get(output)
    if node is None or node.input[1] not in inits:
        return None
    return int(inits[node.input[1]].dims[-1])


def _prune(graph: Any) -> None:
    """Drop nodes whose outputs nobody uses, and initializers no node reads."""
    needed = {out.name for out in graph.output}
    keep = []
    for node in reversed(list(graph.node)):
        if any(out in needed for out in node.output):
            keep.append(node)
            needed.update(node.input)
    del graph.node[:]
    graph.node.extend(reversed(keep))
    inits = [init for init in graph.initializer if init.name in needed]
    del graph.initializer[:]
    graph.initializer.extend(inits)


def _topological_sort(graph: Any) -> None:
    """Order nodes so each comes after the producers of its inputs (dead ones included)."""
    produced = {out for node in graph.node for out in node.output}
    ready = {i.name for i in graph.input} | {i.name for i in graph.initializer} | {""}
    pending, ordered = list(graph.node), []
    while pending:
        rest = []
        for node in pending:
            if all(name in ready or name not in produced for name in node.input):
                ordered.append(node)
                ready.update(node.output)
            else:
                rest.append(node)
        if len(rest) == len(pending):
            raise ModelError("The attention rewrite left a graph with a cycle or a missing input.")
        pending = rest
    del graph.node[:]
    graph.node.extend(ordered)


def quantize_matmuls_int8(model: Any, exclude: tuple[str, ...] = ()) -> Any:
    """Weight ``MatMul`` s as symmetric 8-bit blocks with int8 block-wise activations.

    Returns the new model. ``exclude`` names ``MatMul`` nodes to keep in fp32.
    """
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    quant = MatMulNBitsQuantizer(
        model,
        bits=8,
        block_size=INT8_BLOCK,
        is_symmetric=True,
        accuracy_level=4,
        nodes_to_exclude=list(exclude),
    )
    quant.process()
    return quant.model.model


def build_fast_encoder(
    onnx_dir: str | Path, num_heads: int, out_dir: str | Path | None = None
) -> Path:
    """Write ``encoder_model_int8.onnx`` (fused attention, row-wise int8 projections)."""
    import onnx

    folder = Path(onnx_dir)
    source = folder / ENCODER
    if not source.is_file():
        raise ModelError(f"'{folder}' has no {ENCODER} to optimise.")
    model = onnx.load(str(source))
    fused = fuse_attention(model, num_heads)
    count = quantize_matmuls_rowwise(model)
    log.info("encoder: fused %d attention blocks, %d int8 MatMuls", fused, count)
    if not count:
        raise ModelError(f"'{source.name}' has no weight MatMul to quantise.")
    target = Path(out_dir or folder) / ENCODER_INT8
    with tempfile.TemporaryDirectory(prefix=".int8-", dir=target.parent) as tmp:
        staged = Path(tmp) / ENCODER_INT8
        onnx.save(model, str(staged))
        staged.replace(target)
    return target


#: Largest accepted relative error of the int8 encoder's output against fp32
#: on :func:`probe_features` (measured: 0.05 on speech, CTranslate2 int8 0.05).
MAX_ENCODER_ERROR = 0.1


@dataclass(frozen=True)
class Int8Check:
    encoder_rel_error: float
    tokens_fp32: list[int]
    tokens_int8: list[int]

    @property
    def ok(self) -> bool:
        return self.encoder_rel_error <= MAX_ENCODER_ERROR


def probe_features(n_mels: int, seconds: float = 8.0) -> np.ndarray:
    """Log-mel features of a fixed, speech-like test signal (vowel-ish harmonics, syllables)."""
    from desktop_app.asr.features import SAMPLE_RATE, FeatureConfig, LogMelSpectrogram

    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    pitch = 120 + 30 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / SAMPLE_RATE
    voice = sum(np.sin(k * phase) / k for k in range(1, 15))
    envelope = np.clip(np.sin(2 * np.pi * 3.1 * t), 0, None) ** 0.5
    noise = np.random.default_rng(0).normal(0, 0.02, t.size)
    audio = (0.3 * voice * envelope / 3 + noise).astype(np.float32)
    return LogMelSpectrogram(FeatureConfig(n_mels=n_mels))(audio)


def check_int8(onnx_dir: str | Path, int8_dir: str | Path | None = None) -> Int8Check:
    """Compare int8 with fp32 on :func:`probe_features`: encoder output, greedy tokens."""
    from desktop_app.asr.ort_session import WhisperSessions, to_numpy

    folder = Path(onnx_dir)
    int8 = Path(int8_dir or folder)
    with tempfile.TemporaryDirectory(prefix=".check-") as tmp:
        view = Path(tmp)
        for path in folder.iterdir():
            if path.is_file():
                (view / path.name).symlink_to(path.resolve())
        for name in (ENCODER_INT8, DECODER_INT8):
            if (int8 / name).is_file() and not (view / name).exists():
                (view / name).symlink_to((int8 / name).resolve())
        fp32 = WhisperSessions(view, "cpu")
        q = WhisperSessions(view, "cpu", quantized=True)
        features = probe_features(fp32.n_mels)
        a = to_numpy(fp32.encode(features))
        b = to_numpy(q.encode(features))
        error = float(np.linalg.norm(a - b) / max(np.linalg.norm(a), 1e-12))
        tokens = [_greedy(s, a, 12) for s in (fp32, q)]
    return Int8Check(error, tokens[0], tokens[1])


def _greedy(sessions: Any, encoded: np.ndarray, steps: int) -> list[int]:
    logits, cache = sessions.prefill(encoded, np.array([0]))
    out = [int(np.argmax(logits[-1]))]
    for _ in range(steps - 1):
        logits, cache = sessions.step(cache, np.array([out[-1]]))
        out.append(int(np.argmax(logits[0])))
    return out


def build_int8(onnx_dir: str | Path, out_dir: str | Path | None = None) -> list[Path]:
    """Write the int8 encoder and decoder for ``onnx_dir`` into ``out_dir`` and check them.

    Raises :class:`ModelError` (and removes what it wrote) when the encoder's
    output is further from fp32 than :data:`MAX_ENCODER_ERROR`.
    """
    from desktop_app.modelbuild.export_onnx import quantize_decoder_int8

    folder = Path(onnx_dir)
    out = Path(out_dir or folder)
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"Cannot read '{folder.name}/config.json': {exc}") from exc
    heads = int(config.get("encoder_attention_heads", 0))
    if heads <= 0:
        raise ModelError(f"'{folder.name}/config.json' does not give encoder_attention_heads.")
    written = [build_fast_encoder(folder, heads, out), quantize_decoder_int8(folder, out)]
    check = check_int8(folder, out)
    if not check.ok:
        for path in written:
            path.unlink(missing_ok=True)
        raise ModelError(
            f"The int8 model differs too much from full precision (encoder error "
            f"{check.encoder_rel_error:.3f} > {MAX_ENCODER_ERROR}); it was not kept."
        )
    log.info("int8 check: %s", check)
    return written


def quantize_matmuls_rowwise(model: Any, exclude: tuple[str, ...] = ()) -> int:
    """Int8 weight ``MatMul`` s with int8 activations scaled per row (per frame), in place.

    Weights: symmetric int8 per output column. Activations: each row (one
    time frame of ``d_model`` values) gets its own scale ``max|x| / 127``, so
    a loud frame does not crush the resolution of the quiet ones, which is
    what per-tensor dynamic quantisation does (and CTranslate2's int8 does
    not). Built from standard ops plus ``MatMulIntegerToFloat``: ``x / s`` is
    quantised with ``QuantizeLinear`` (zero point 128, uint8), multiplied in
    integers, and the result is scaled back by ``s``. Returns the number of
    ``MatMul`` s rewritten.
    """
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    inits = {init.name: init for init in graph.initializer}
    producers = _producers(graph)
    new_inits: list[Any] = [
        numpy_helper.from_array(np.array([1.0 / 127.0], np.float32), "rowq_inv127"),
        numpy_helper.from_array(np.array([1e-8], np.float32), "rowq_eps"),
        numpy_helper.from_array(np.array(1.0, np.float32), "rowq_one"),
        numpy_helper.from_array(np.array(128, np.uint8), "rowq_zp"),
        numpy_helper.from_array(np.array([-1], np.int64), "rowq_last_axis"),
    ]
    nodes: list[Any] = []
    count = 0
    opset = next((op.version for op in model.opset_import if op.domain in ("", "ai.onnx")), 18)
    for node in graph.node:
        weight = inits.get(node.input[1]) if node.op_type == "MatMul" else None
        if (
            weight is None
            or node.name in exclude
            or len(weight.dims) != 2
            or weight.data_type != TensorProto.FLOAT
            or node.input[0] in inits
            or node.input[0] not in producers
        ):
            nodes.append(node)
            continue
        w = numpy_helper.to_array(weight).astype(np.float32)
        w_scale = np.maximum(np.abs(w).max(axis=0), 1e-12) / 127.0
        w_q = np.clip(np.round(w / w_scale), -127, 127).astype(np.int8)
        p = f"{node.name or node.output[0]}_rowq"
        new_inits += [
            numpy_helper.from_array(w_q, f"{p}_w"),
            numpy_helper.from_array(w_scale.astype(np.float32), f"{p}_wscale"),
        ]
        x, y = node.input[0], node.output[0]
        nodes += [
            helper.make_node("Abs", [x], [f"{p}_abs"], name=f"{p}_abs"),
            _reduce_max(f"{p}_abs", f"{p}_max", opset),
            helper.make_node("Max", [f"{p}_max", "rowq_eps"], [f"{p}_maxe"], name=f"{p}_maxe"),
            helper.make_node("Mul", [f"{p}_maxe", "rowq_inv127"], [f"{p}_s"], name=f"{p}_s"),
            helper.make_node("Div", [x, f"{p}_s"], [f"{p}_xs"], name=f"{p}_xs"),
            helper.make_node(
                "QuantizeLinear", [f"{p}_xs", "rowq_one", "rowq_zp"], [f"{p}_xq"], name=f"{p}_xq"
            ),
            helper.make_node(
                "MatMulIntegerToFloat",
                [f"{p}_xq", f"{p}_w", "rowq_one", f"{p}_wscale", "rowq_zp"],
                [f"{p}_y"],
                name=f"{p}_mm",
                domain=MS_DOMAIN,
            ),
            helper.make_node("Mul", [f"{p}_y", f"{p}_s"], [y], name=f"{p}_out"),
        ]
        count += 1
    if not count:
        return 0
    del graph.node[:]
    graph.node.extend(nodes)
    graph.initializer.extend(new_inits)
    _prune(graph)
    if not any(op.domain == MS_DOMAIN for op in model.opset_import):
        model.opset_import.append(helper.make_opsetid(MS_DOMAIN, 1))
    return count


def _reduce_max(x: str, y: str, opset: int) -> Any:
    """Max over the last axis, keeping it; ``axes`` is an input from opset 18 on."""
    from onnx import helper

    if opset >= 18:
        return helper.make_node("ReduceMax", [x, "rowq_last_axis"], [y], keepdims=1, name=y)
    return helper.make_node("ReduceMax", [x], [y], axes=[-1], keepdims=1, name=y)
