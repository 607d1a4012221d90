"""Export an HF Whisper checkpoint to the ONNX folder the runtime loads.

The folder holds ``encoder_model.onnx`` and ``decoder_model_merged.onnx`` (one
decoder with an ``If`` on ``use_cache_branch``: the first step runs without a
cache, later steps feed ``past_key_values.*`` back), their ``*.onnx_data``
files when a model is too large for one protobuf, the HF configs and the
tokenizer files, and ``decoder_align.onnx``, the small graph that gives the
cross-attention weights word timings are aligned with
(:mod:`desktop_app.modelbuild.align_export`). With ``accelerate`` installed optimum stores the tied
embedding once, so whisper-base's decoder is ~208 MB rather than ~314 MB.
"""

from __future__ import annotations

import importlib.util
import logging
import shutil
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

from desktop_app.asr.manifest import DECODER_FILE as DECODER
from desktop_app.asr.manifest import DECODER_INT8_FILE as DECODER_INT8
from desktop_app.asr.manifest import ENCODER_FILE as ENCODER
from desktop_app.asr.manifest import check_whisper_config, runtime_files
from desktop_app.core.errors import ModelError

log = logging.getLogger(__name__)

ProgressFn = Callable[[float, str], None]

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")
HF_REQUIRED_FILES = ("config.json",)
TASK = "automatic-speech-recognition-with-past"


def _quiet_tracing_warnings() -> None:
    """Silence the tracer's known, harmless warnings (the export is validated instead)."""
    from torch.jit import TracerWarning

    warnings.simplefilter("ignore", TracerWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"(torch|optimum)\.")
    warnings.filterwarnings("ignore", category=UserWarning, module=r"transformers\.")


def export_onnx(
    hf_dir: str | Path,
    out_dir: str | Path,
    progress: ProgressFn | None = None,
    opset: int | None = None,
    validate: bool = True,
    word_aligner: bool = True,
) -> list[Path]:
    """Export ``hf_dir`` to ``out_dir`` and keep only the runtime files.

    Tokenizer files are copied from ``hf_dir`` unchanged when it has a
    ``tokenizer.json`` (optimum re-saves them in a different but equivalent
    form); otherwise optimum's ``tokenizer.json`` (from a slow tokenizer) is
    used. With ``validate``, logits of the ONNX models are compared with
    PyTorch on a fixed input
    (:func:`desktop_app.modelbuild.onnx_check.compare_with_torch`). With
    ``word_aligner`` the alignment graph is exported too (a few seconds).
    Returns the files written, sorted by name.
    """
    hf, out = Path(hf_dir), Path(out_dir)
    report = progress or (lambda _f, _t: None)
    missing = [n for n in HF_REQUIRED_FILES if not (hf / n).is_file()]
    weights = list(hf.glob("*.safetensors")) + list(hf.glob("pytorch_model*.bin"))
    if missing or not weights:
        what = ", ".join(missing) if missing else "model weights"
        raise ModelError(f"'{hf}' is not a Hugging Face Whisper folder: no {what}.")
    check_whisper_config(hf, f"'{hf.name}'")
    if out.exists() and any(out.iterdir()):
        raise ModelError(f"Output folder '{out}' is not empty.")
    out.mkdir(parents=True, exist_ok=True)

    from optimum.exporters.onnx import main_export

    if importlib.util.find_spec("accelerate") is None:
        log.warning("accelerate is not installed: the decoder will store the tied embedding twice")

    report(0.05, "Exporting to ONNX (about a minute for whisper-base)")
    with tempfile.TemporaryDirectory(prefix=".export-", dir=out) as tmp:
        try:
            with warnings.catch_warnings():
                _quiet_tracing_warnings()
                main_export(
                    str(hf),
                    tmp,
                    task=TASK,
                    opset=opset,
                    do_validation=False,
                    local_files_only=True,
                    library_name="transformers",
                )
        except Exception as exc:  # optimum raises many kinds; the user needs the reason.
            raise ModelError(f"ONNX export of '{hf.name}' failed: {exc}") from exc
        for name in (ENCODER, DECODER):
            if not (Path(tmp) / name).is_file():
                raise ModelError(f"ONNX export of '{hf.name}' produced no {name}.")
        report(0.8, "Collecting the runtime files")
        # Our own tokenizer files win; optimum's re-saved ones only fill gaps.
        ours = (
            [n for n in TOKENIZER_FILES if (hf / n).is_file()]
            if (hf / "tokenizer.json").is_file()
            else []
        )
        for name in runtime_files(Path(tmp)):
            if name not in ours:
                shutil.move(Path(tmp) / name, out / name)
    for name in ours:
        shutil.copyfile(hf / name, out / name)
    if not (out / "tokenizer.json").is_file():
        raise ModelError(f"'{hf}' has no tokenizer that can be saved as tokenizer.json.")

    if validate:
        from desktop_app.modelbuild.onnx_check import compare_with_torch

        report(0.85, "Comparing ONNX with PyTorch")
        diff = compare_with_torch(hf, out)
        if diff.max_logit_diff > 1e-2 or diff.tokens_hf != diff.tokens_onnx:
            raise ModelError(f"The ONNX export does not match PyTorch: {diff}")
    if word_aligner:
        from desktop_app.modelbuild.align_export import export_alignment_graph

        report(0.95, "Exporting the word aligner")
        export_alignment_graph(hf, out)
    report(1.0, "Exported")
    return sorted(out.iterdir())


def quantize_decoder_int8(onnx_dir: str | Path, out_dir: str | Path | None = None) -> Path:
    """Write ``decoder_model_merged_int8.onnx`` (8-bit MatMul weights) next to the fp32 one.

    Every weight ``MatMul`` of both branches becomes ``MatMulNBits`` (8 bits,
    symmetric blocks of 32, ``accuracy_level=4``: int8 activations per block),
    the output projection included: optimum's graph computes it from a
    ``Transpose`` of the tied embedding on every step, which the quantiser
    cannot see through, so the embedding is first stored transposed
    (:func:`_pretranspose_tied_embedding`) and looked up with ``Gather(axis=1)``.
    On two cores a step of whisper-base takes ~6 ms instead of ~32 ms (fp32)
    and ~20 ms with the earlier ``quantize_dynamic`` decoder, which left the
    projection (a third of a step) in fp32; its logits are also closer to
    fp32 (max difference 0.8 vs 3.5). ``out_dir`` (default: ``onnx_dir``)
    receives the file. ``tests/asr/test_int8.py`` checks WER parity.
    """
    import onnx

    from desktop_app.modelbuild.optimize_onnx import quantize_matmuls_int8

    folder = Path(onnx_dir)
    source = folder / DECODER
    if not source.is_file():
        raise ModelError(f"'{folder}' has no {DECODER} to quantise.")
    target = Path(out_dir or folder) / DECODER_INT8
    with tempfile.TemporaryDirectory(prefix=".int8-", dir=target.parent) as tmp:
        staged = Path(tmp) / DECODER
        _pretranspose_tied_embedding(source, staged)
        model = quantize_matmuls_int8(onnx.load(str(staged)))
        onnx.save(model, str(Path(tmp) / DECODER_INT8))
        shutil.move(Path(tmp) / DECODER_INT8, target)
    return target


def _pretranspose_tied_embedding(source: Path, target: Path) -> None:
    """Rewrite the merged decoder so the tied embedding is stored as ``(d_model, vocab)``.

    In both branches of the ``If``, ``Transpose(E)`` feeding the output
    projection becomes the stored ``E^T`` itself and ``Gather(E, ids)`` becomes
    ``Transpose(Gather(E^T, ids, axis=1))`` (a few rows). A graph without that
    pattern is copied unchanged.
    """
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(source))
    transposed = {
        node.input[0]
        for branch in _subgraphs(model.graph)
        for node in branch.node
        if node.op_type == "Transpose" and node.input[0] in _initializer_names(model.graph)
    }
    gathered = {
        node.input[0]
        for branch in _subgraphs(model.graph)
        for node in branch.node
        if node.op_type == "Gather"
    }
    tied = transposed & gathered
    for init in model.graph.initializer:
        if init.name in tied:
            flipped = np.ascontiguousarray(numpy_helper.to_array(init).T)
            init.CopyFrom(numpy_helper.from_array(flipped, name=f"{init.name}__T"))
    # Branches first: rewriting the main graph replaces its If nodes by copies.
    for branch in reversed(_subgraphs(model.graph)):
        nodes = []
        # The projection reads the stored E^T directly (through an Identity the
        # quantiser would not see the initializer and leave it in fp32).
        alias = {
            node.output[0]: f"{node.input[0]}__T"
            for node in branch.node
            if node.op_type == "Transpose" and node.input and node.input[0] in tied
        }
        for node in branch.node:
            for i, used in enumerate(node.input):
                if used in alias:
                    node.input[i] = alias[used]
            name = node.input[0] if node.input else ""
            if node.op_type == "Transpose" and node.output[0] in alias:
                if any(out.name == node.output[0] for out in branch.output):
                    nodes.append(
                        helper.make_node(
                            "Identity", [alias[node.output[0]]], list(node.output), name=node.name
                        )
                    )
            elif name in tied and node.op_type == "Gather":
                out = node.output[0]
                gather = [f"{name}__T", node.input[1]]
                nodes.append(
                    helper.make_node("Gather", gather, [f"{out}__T"], axis=1, name=node.name)
                )
                nodes.append(
                    helper.make_node(
                        "Transpose", [f"{out}__T"], [out], perm=[1, 2, 0], name=f"{node.name}__T"
                    )
                )
            else:
                nodes.append(node)
        del branch.node[:]
        branch.node.extend(nodes)
    onnx.save(model, str(target))


def _initializer_names(graph: object) -> set[str]:
    return {init.name for init in graph.initializer}  # type: ignore[attr-defined]


def _subgraphs(graph: object) -> list[object]:
    """The graph itself and the branches of its ``If`` nodes."""
    branches = [graph]
    for node in graph.node:  # type: ignore[attr-defined]
        if node.op_type == "If":
            branches += [attr.g for attr in node.attribute if attr.name.endswith("_branch")]
    return branches
