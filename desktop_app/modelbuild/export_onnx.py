"""Export an HF Whisper checkpoint to the ONNX folder the runtime loads.

The folder holds ``encoder_model.onnx`` and ``decoder_model_merged.onnx`` (one
decoder with an ``If`` on ``use_cache_branch``: the first step runs without a
cache, later steps feed ``past_key_values.*`` back), their ``*.onnx_data``
files when a model is too large for one protobuf, the HF configs and the
tokenizer files. With ``accelerate`` installed optimum stores the tied
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
from desktop_app.asr.manifest import ENCODER_FILE as ENCODER
from desktop_app.asr.manifest import check_whisper_config, runtime_files
from desktop_app.core.errors import ModelError

log = logging.getLogger(__name__)

ProgressFn = Callable[[float, str], None]

DECODER_INT8 = "decoder_model_merged_int8.onnx"
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
) -> list[Path]:
    """Export ``hf_dir`` to ``out_dir`` and keep only the runtime files.

    Tokenizer files are copied from ``hf_dir`` unchanged when it has a
    ``tokenizer.json`` (optimum re-saves them in a different but equivalent
    form); otherwise optimum's ``tokenizer.json`` (from a slow tokenizer) is
    used. With ``validate``, logits of the ONNX models are compared with
    PyTorch on a fixed input
    (:func:`desktop_app.modelbuild.onnx_check.compare_with_torch`).
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
    report(1.0, "Exported")
    return sorted(out.iterdir())


def quantize_decoder_int8(onnx_dir: str | Path) -> Path:
    """Write ``decoder_model_merged_int8.onnx`` (dynamic int8 weights) next to the fp32 one.

    Only the decoder: quantising Whisper's encoder ruins accuracy. The
    registry must not offer this variant until a WER test shows parity with
    fp32 on Kazakh and English dev sets (not written yet).
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    folder = Path(onnx_dir)
    source = folder / DECODER
    if not source.is_file():
        raise ModelError(f"'{folder}' has no {DECODER} to quantise.")
    target = folder / DECODER_INT8
    quantize_dynamic(
        source,
        target,
        weight_type=QuantType.QInt8,
        per_channel=False,
        extra_options={"EnableSubgraph": True},
    )
    return target
