"""The graphs an older installed CTC version lacks (model-build side of ``upgrade``).

CTC versions exported before the current build have a ``model.onnx`` whose
self-attention is not fused, and/or an int8 variant that leaves the feature
encoder in fp32 (or none). :func:`add_ctc_variants` writes, into a fresh
folder, only what is out of date:

* ``model.onnx`` with fused attention, when the installed one has none; it
  replaces the installed graph only if its greedy output on the probe audio
  is the installed graph's (the PyTorch checkpoint is not kept, and the
  installed graph was itself checked against PyTorch when it was exported);
* ``model_int8.onnx`` when ``int8`` is asked for and the version has none,
  or one from an older build (:func:`int8_is_current`: the first CTC builds
  quantised activations per tensor, which is less exact).

The version folder is only read; the caller moves the files in.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

from desktop_app.asr.manifest import CTC_INT8_FILE, CTC_MODEL_FILE

log = logging.getLogger(__name__)


def _graph(path: Path):  # type: ignore[no-untyped-def]
    import onnx

    return onnx.load(str(path), load_external_data=False)


def is_fused(path: Path) -> bool:
    """Whether the fp32 graph's attention is already ``MultiHeadAttention``."""
    return any(n.op_type == "MultiHeadAttention" for n in _graph(path).graph.node)


def int8_is_current(path: Path) -> bool:
    """Whether an int8 graph is this build's: per-frame int8 ``MatMul`` s, and (when
    the build quantises them) no convolution left in fp32 that it would quantise."""
    from desktop_app.modelbuild import export_ctc
    from desktop_app.modelbuild.ctc_graph import _rewritable

    graph = _graph(path).graph
    if not any(n.name.endswith("_rowq_mm") for n in graph.node):
        return False
    if not export_ctc.INT8_QUANTIZE_CONVS:
        return True
    inits = {init.name: init for init in graph.initializer}
    wide = export_ctc.INT8_CONV_MIN_CHANNELS
    return not any(_rewritable(n, inits, wide) for n in graph.node)


def _num_heads(folder: Path) -> int:
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    return int(config.get("num_attention_heads") or 0)


def add_ctc_variants(onnx_dir: str | Path, out: str | Path, int8: bool) -> list[Path]:
    """Write the out-of-date graphs of the CTC folder ``onnx_dir`` into ``out``."""
    from desktop_app.modelbuild.export_ctc import build_ctc_int8, fuse_ctc_attention

    folder, out = Path(onnx_dir), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    heads = _num_heads(folder)
    if heads and not is_fused(folder / CTC_MODEL_FILE):
        copies = [p for p in folder.iterdir() if p.name.startswith(CTC_MODEL_FILE)]
        for path in copies:
            shutil.copyfile(path, out / path.name)
        if fuse_ctc_attention(out / CTC_MODEL_FILE, heads):
            written += [out / p.name for p in copies]
        else:
            for path in copies:
                (out / path.name).unlink()
    int8_path = folder / CTC_INT8_FILE
    if int8 and (written or not int8_path.is_file() or not int8_is_current(int8_path)):
        path, check = build_ctc_int8(folder, out)
        log.info("CTC upgrade: int8 against fp32 on the probe: %s", check)
        written.append(path)
    return written
