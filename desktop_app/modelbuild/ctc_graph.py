"""Faster CPU graphs for an exported CTC model: the feature encoder's convolutions as ``MatMul`` s.

wav2vec2's feature encoder (7 strided 1-D convolutions over the raw
waveform, 512 channels) is a third of the model's arithmetic on a 20 s
window: layers 1-4 alone (kernel 3, stride 2) are ~47 GMAC, next to the
transformer's ~85. ONNX Runtime runs them as ``Conv`` (im2col + SGEMM in
channel-first layout) and its int8 rewrite cannot touch them.
:func:`convs_to_matmuls` rewrites each such convolution as exactly the same
sum, in time-first layout: the ``kernel`` input frames each output frame
reads are gathered by ``kernel`` strided ``Slice`` s and concatenated, then
multiplied by the weight reshaped to ``(kernel * in_channels, out_channels)``.
The surrounding ``Transpose`` s cancel in ONNX Runtime's transpose optimiser.
In fp32 the result equals the ``Conv`` up to summation order; as ``MatMul``
the layers can then be made int8 with the transformer's projections
(:func:`desktop_app.modelbuild.optimize_onnx.quantize_matmuls_rowwise`).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

#: Convolutions with fewer input channels stay ``Conv`` (the first layer reads 1 channel).
MIN_IN_CHANNELS = 16


def _attrs(node: Any) -> dict[str, Any]:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _rewritable(node: Any, inits: dict[str, Any], min_channels: int) -> tuple[int, int] | None:
    """``(kernel, stride)`` of a plain 1-D ``Conv`` this rewrite handles, else None."""
    if node.op_type != "Conv" or node.domain not in ("", "ai.onnx"):
        return None
    weight = inits.get(node.input[1]) if len(node.input) > 1 else None
    if weight is None or len(weight.dims) != 3 or weight.dims[1] < min_channels:
        return None
    if len(node.input) > 2 and node.input[2] and node.input[2] not in inits:
        return None
    a = _attrs(node)
    if int(a.get("group", 1)) != 1 or any(int(p) for p in a.get("pads", [])):
        return None
    if any(int(d) != 1 for d in a.get("dilations", [1])):
        return None
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET", b"VALID", "VALID"):
        return None
    kernel = int(weight.dims[2])
    stride = int(a.get("strides", [1])[0])
    return kernel, stride


def convs_to_matmuls(model: Any, min_channels: int = MIN_IN_CHANNELS) -> int:
    """Rewrite the plain 1-D ``Conv`` s of ``model`` (in place) as ``MatMul`` s.

    Handled: a weight initializer ``(out, in, kernel)`` with ``in`` >=
    ``min_channels``, one group, no padding, no dilation, any
    stride, an optional bias initializer. Returns the number rewritten.
    """
    from onnx import helper, numpy_helper

    from desktop_app.modelbuild.optimize_onnx import _prune

    graph = model.graph
    inits = {init.name: init for init in graph.initializer}
    shared = {
        "c2m_one": np.array([1], np.int64),
        "c2m_axis_t": np.array([1], np.int64),
    }
    new_inits: dict[str, Any] = {}
    nodes: list[Any] = []
    count = 0
    for node in graph.node:
        shape = _rewritable(node, inits, min_channels)
        if shape is None:
            nodes.append(node)
            continue
        kernel, stride = shape
        p = f"{node.name or node.output[0]}_c2m"
        w = numpy_helper.to_array(inits[node.input[1]]).astype(np.float32)
        # (out, in, k) -> (k, in, out) -> (k * in, out): row j * in + c reads frame j, channel c.
        wm = np.ascontiguousarray(w.transpose(2, 1, 0).reshape(-1, w.shape[0]))
        new_inits[f"{p}_w"] = wm
        new_inits[f"{p}_k"] = np.array([kernel], np.int64)
        new_inits[f"{p}_s"] = np.array([stride], np.int64)
        x, y = node.input[0], node.output[0]
        nodes += [
            helper.make_node("Transpose", [x], [f"{p}_xt"], name=f"{p}_xt", perm=[0, 2, 1]),
            helper.make_node("Shape", [f"{p}_xt"], [f"{p}_shape"], name=f"{p}_shape"),
            helper.make_node(
                "Gather", [f"{p}_shape", "c2m_axis_t"], [f"{p}_t"], name=f"{p}_t", axis=0
            ),
            helper.make_node("Sub", [f"{p}_t", f"{p}_k"], [f"{p}_tk"], name=f"{p}_tk"),
            helper.make_node("Div", [f"{p}_tk", f"{p}_s"], [f"{p}_q"], name=f"{p}_q"),
            # the last output frame starts at stride * q: slice j ends after stride * q + j
            helper.make_node("Mul", [f"{p}_q", f"{p}_s"], [f"{p}_last"], name=f"{p}_last"),
            helper.make_node("Add", [f"{p}_last", "c2m_one"], [f"{p}_end0"], name=f"{p}_end0"),
        ]
        parts = []
        for j in range(kernel):
            start = f"{p}_start{j}"
            new_inits[start] = np.array([j], np.int64)
            end = f"{p}_end0" if j == 0 else f"{p}_end{j}"
            if j:
                nodes.append(helper.make_node("Add", [f"{p}_end0", start], [end], name=end))
            nodes.append(
                helper.make_node(
                    "Slice",
                    [f"{p}_xt", start, end, "c2m_axis_t", f"{p}_s"],
                    [f"{p}_frames{j}"],
                    name=f"{p}_frames{j}",
                )
            )
            parts.append(f"{p}_frames{j}")
        nodes.append(helper.make_node("Concat", parts, [f"{p}_cols"], name=f"{p}_cols", axis=-1))
        product = f"{p}_mm"
        nodes.append(helper.make_node("MatMul", [f"{p}_cols", f"{p}_w"], [product], name=product))
        if len(node.input) > 2 and node.input[2]:
            bias = numpy_helper.to_array(inits[node.input[2]]).astype(np.float32)
            new_inits[f"{p}_b"] = bias
            nodes.append(
                helper.make_node("Add", [product, f"{p}_b"], [f"{p}_mmb"], name=f"{p}_mmb")
            )
            product = f"{p}_mmb"
        nodes.append(helper.make_node("Transpose", [product], [y], name=f"{p}_y", perm=[0, 2, 1]))
        count += 1
    if not count:
        return 0
    del graph.node[:]
    graph.node.extend(nodes)
    for name, value in {**shared, **new_inits}.items():
        graph.initializer.append(numpy_helper.from_array(value, name))
    _prune(graph)
    return count
