"""Export a Hugging Face CTC checkpoint (wav2vec2, XLS-R, MMS, HuBERT, WavLM) to ONNX.

The runtime folder (:data:`desktop_app.asr.manifest.CTC_FORMAT`) holds:

* ``model.onnx``: optimum's export for the task ``automatic-speech-recognition``,
  input ``input_values`` float32 ``[batch, samples]``, output ``logits``
  ``[batch, frames, vocab]``, both axes dynamic (``model.onnx_data`` beside
  it for models over 2 GB);
* ``config.json``, ``preprocessor_config.json``, ``vocab.json`` (flat
  token -> id), ``tokenizer_config.json`` / ``special_tokens_map.json``;
* ``ctc_config.json``: Jazba's own facts (language, blank, word delimiter,
  frame stride);
* ``model_int8.onnx`` with ``int8``: dynamic int8 weights of the ``MatMul`` s.

MMS (``facebook/mms-1b-all``) keeps one adapter and one vocabulary per
language: with ``target_lang`` (default ``kaz`` when the vocabulary is per
language) the adapter is loaded into the model before the export, so the
graph has the merged weights, and ``vocab.json`` is that language's.
The source folder is only read: it stays usable for fine-tuning.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from desktop_app.asr.ctc.vocab import CtcConfig, language_code
from desktop_app.asr.manifest import (
    CTC_CONFIG_FILE,
    CTC_FORMAT,
    CTC_INT8_FILE,
    CTC_MODEL_FILE,
    check_hf_config,
)
from desktop_app.core.errors import ModelError

log = logging.getLogger(__name__)

ProgressFn = Callable[[float, str], None]

TASK = "automatic-speech-recognition"
DEFAULT_TARGET_LANG = "kaz"
COPIED_FILES = ("special_tokens_map.json",)
#: Convolutions with fewer input channels stay fp32 in the int8 graph: on narrow
#: layers (the tests' 32-channel model) quantising costs more than it saves.
INT8_CONV_MIN_CHANNELS = 128
#: Whether the int8 graph quantises the feature encoder too. Off: on wav2vec2-base
#: (random weights, 20 s, 2 shared cores) it saved 3-17 % of the int8 time (median
#: of 5 runs 13 %) but raised the frames whose best label differs from fp32 from
#: 3.8 % to 6.2 % (greedy CER 0.048 -> 0.074); see benchmarks/ctc_speed.py.
INT8_QUANTIZE_CONVS = False


def read_vocab(hf: Path) -> dict[str, Any]:
    path = hf / "vocab.json"
    if not path.is_file():
        raise ModelError(f"'{hf.name}' has no vocab.json: a CTC model needs its vocabulary.")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"Cannot read '{path}': {exc}") from exc


def choose_target_lang(vocab: dict[str, Any], target_lang: str | None) -> str | None:
    """The adapter language to export; None for a model with one vocabulary."""
    per_language = bool(vocab) and all(isinstance(v, dict) for v in vocab.values())
    if not per_language:
        if target_lang:
            log.info("'%s' has one vocabulary; --target-lang %s is ignored", "vocab", target_lang)
        return None
    lang = target_lang or DEFAULT_TARGET_LANG
    if lang not in vocab:
        raise ModelError(
            f"The model has no vocabulary for '{lang}'; it has {len(vocab)} others "
            f"({', '.join(sorted(vocab)[:8])}{'…' if len(vocab) > 8 else ''})."
        )
    return lang


def _quiet_tracing_warnings() -> None:
    from torch.jit import TracerWarning

    warnings.simplefilter("ignore", TracerWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"(torch|optimum)\.")
    warnings.filterwarnings("ignore", category=UserWarning, module=r"(torch|transformers)\.")


def load_ctc_model(hf: Path, target_lang: str | None) -> tuple[Any, dict[str, int], int]:
    """The PyTorch model (adapter merged), its flat vocabulary and its blank id."""
    from transformers import AutoModelForCTC, AutoTokenizer

    extra: dict[str, Any] = {}
    if target_lang:
        extra = {"target_lang": target_lang, "ignore_mismatched_sizes": True}
    try:
        model = AutoModelForCTC.from_pretrained(hf, local_files_only=True, **extra).eval()
        tokenizer = AutoTokenizer.from_pretrained(hf, local_files_only=True)
        if target_lang:
            tokenizer.set_target_lang(target_lang)
    except (OSError, ValueError, KeyError) as exc:
        raise ModelError(f"Cannot load the CTC model in '{hf.name}': {exc}") from exc
    size = int(model.lm_head.out_features)
    vocab = {str(t): int(i) for t, i in tokenizer.get_vocab().items() if int(i) < size}
    if not vocab:
        raise ModelError(f"'{hf.name}': no token of the vocabulary fits the model's outputs.")
    model.config.vocab_size = size
    blank = model.config.pad_token_id
    if blank is None:
        blank = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    return model, vocab, int(blank)


def export_ctc(
    hf_dir: str | Path,
    out_dir: str | Path,
    progress: ProgressFn | None = None,
    *,
    target_lang: str | None = None,
    language: str | None = None,
    validate: bool = True,
    opset: int | None = None,
) -> list[Path]:
    """Export ``hf_dir`` to ``out_dir`` (empty or new); returns the files written.

    ``language`` is the ISO code stored for the model (default: from
    ``target_lang``, e.g. ``kaz`` -> ``kk``; unknown otherwise). With
    ``validate`` the ONNX logits are compared with PyTorch
    (:func:`desktop_app.modelbuild.ctc_check.compare_with_torch`) and a
    mismatch raises :class:`ModelError`.
    """
    hf, out = Path(hf_dir), Path(out_dir)
    report = progress or (lambda _f, _t: None)
    kind, _config = check_hf_config(hf, f"'{hf.name}'")
    if kind != "ctc":
        raise ModelError(f"'{hf.name}' is a {kind} model, not a CTC one; use export-onnx.")
    if not list(hf.glob("*.safetensors")) + list(hf.glob("pytorch_model*.bin")):
        raise ModelError(f"'{hf}' has no model weights (model.safetensors or pytorch_model.bin).")
    lang = choose_target_lang(read_vocab(hf), target_lang)
    if out.exists() and any(out.iterdir()):
        raise ModelError(f"Output folder '{out}' is not empty.")
    out.mkdir(parents=True, exist_ok=True)

    report(0.05, "Loading the model")
    with warnings.catch_warnings():
        _quiet_tracing_warnings()
        model, vocab, blank = load_ctc_model(hf, lang)
        report(0.2, "Exporting to ONNX")
        _export_graph(model, hf, out, opset)
    report(0.7, "Writing the configuration")
    _write_configs(model, hf, out, vocab, blank, lang, language)
    if validate:
        from desktop_app.modelbuild.ctc_check import compare_with_torch, export_matches

        report(0.8, "Comparing ONNX with PyTorch")
        diff = compare_with_torch(model, out / CTC_MODEL_FILE, blank)
        log.info("CTC export check: %s", diff)
        if not export_matches(diff):
            raise ModelError(f"The ONNX export does not match PyTorch: {diff}")
    report(1.0, "Exported")
    return sorted(out.iterdir())


def _export_graph(model: Any, hf: Path, out: Path, opset: int | None) -> None:
    from optimum.exporters.onnx import onnx_export_from_model

    with tempfile.TemporaryDirectory(prefix=".export-", dir=out) as tmp:
        try:
            onnx_export_from_model(model, tmp, task=TASK, opset=opset, do_validation=False)
        except Exception as exc:  # optimum raises many kinds; the user needs the reason.
            raise ModelError(f"ONNX export of '{hf.name}' failed: {exc}") from exc
        graphs = [p for p in Path(tmp).iterdir() if p.name.startswith(CTC_MODEL_FILE)]
        if not any(p.name == CTC_MODEL_FILE for p in graphs):
            raise ModelError(f"ONNX export of '{hf.name}' produced no {CTC_MODEL_FILE}.")
        for path in graphs:
            shutil.move(path, out / path.name)
    heads = int(getattr(model.config, "num_attention_heads", 0) or 0)
    if heads:
        fuse_ctc_attention(out / CTC_MODEL_FILE, heads)


def fuse_ctc_attention(path: Path, num_heads: int) -> int:
    """Fuse the encoder's self-attention into ``MultiHeadAttention`` nodes, in place.

    Same arithmetic in fp32 (the export check still compares with PyTorch),
    about 10 % faster on a CPU for wav2vec2-base. Returns the blocks fused.
    The fused graph replaces the plain one only when its greedy output on
    the probe audio is the plain graph's; if the fusion fails or changes
    the output, the plain graph stays, with a log line: an optimisation
    never fails an install.
    """
    try:
        return _fuse_checked(path, num_heads)
    except Exception as exc:  # the plain graph is always a valid result
        log.warning("CTC export: attention fusion failed (%s); the plain graph is kept", exc)
        return 0


def _fuse_checked(path: Path, num_heads: int) -> int:
    import onnx

    from desktop_app.modelbuild.ctc_check import (
        compare_logits,
        export_matches,
        normalize,
        onnx_logits,
        probe_audio,
    )
    from desktop_app.modelbuild.optimize_onnx import fuse_attention

    model = onnx.load(str(path))
    fused = fuse_attention(model, num_heads)
    if not fused:
        return 0
    data = path.name + "_data"
    with tempfile.TemporaryDirectory(prefix=".fuse-", dir=path.parent) as tmp:
        staged = Path(tmp) / path.name
        if model.ByteSize() > 1_800_000_000 or (path.parent / data).exists():
            onnx.save(model, str(staged), save_as_external_data=True, location=data)
        else:
            onnx.save(model, str(staged))
        del model
        values = normalize(probe_audio())[None]
        # blank 0: any id works here, both paths are collapsed alike
        check = compare_logits(onnx_logits(path, values)[0], onnx_logits(staged, values)[0], 0)
        if not export_matches(check):
            log.warning(
                "CTC export: the fused graph changes the output (%s); the plain graph is kept",
                check,
            )
            return 0
        for item in Path(tmp).iterdir():
            item.replace(path.parent / item.name)
    log.info("CTC export: fused %d attention blocks", fused)
    return fused


def _write_configs(
    model: Any,
    hf: Path,
    out: Path,
    vocab: dict[str, int],
    blank: int,
    target_lang: str | None,
    language: str | None,
) -> None:
    model.config.to_json_file(out / "config.json")
    if (hf / "preprocessor_config.json").is_file():
        shutil.copyfile(hf / "preprocessor_config.json", out / "preprocessor_config.json")
    else:
        from transformers import Wav2Vec2FeatureExtractor

        Wav2Vec2FeatureExtractor(return_attention_mask=False).to_json_file(
            out / "preprocessor_config.json"
        )
    text = json.dumps(vocab, ensure_ascii=False, indent=1)
    (out / "vocab.json").write_text(text + "\n", encoding="utf-8")
    tok_config: dict[str, Any] = {}
    if (hf / "tokenizer_config.json").is_file():
        tok_config = json.loads((hf / "tokenizer_config.json").read_text(encoding="utf-8"))
        # The vocabulary is now flat: a target_lang would make transformers look one up.
        tok_config.pop("target_lang", None)
        text = json.dumps(tok_config, ensure_ascii=False, indent=1)
        (out / "tokenizer_config.json").write_text(text + "\n", encoding="utf-8")
    for name in COPIED_FILES:
        if (hf / name).is_file():
            shutil.copyfile(hf / name, out / name)
    ours = {
        "format": CTC_FORMAT,
        "language": language or language_code(target_lang),
        "target_lang": target_lang,
        "blank_id": blank,
        "word_delimiter": tok_config.get("word_delimiter_token", "|"),
        "frame_stride": math.prod(int(s) for s in getattr(model.config, "conv_stride", [320])),
        "model_type": model.config.model_type,
        "source": hf.name,
    }
    text = json.dumps(ours, ensure_ascii=False, indent=1)
    (out / CTC_CONFIG_FILE).write_text(text + "\n", encoding="utf-8")


def build_ctc_int8(
    onnx_dir: str | Path,
    out_dir: str | Path | None = None,
    *,
    quantize_convs: bool | None = None,
) -> tuple[Path, dict[str, float]]:
    """Write ``model_int8.onnx`` (int8 ``MatMul`` weights per column, activations per
    frame, as the Whisper encoder's); measure it against fp32.

    With ``quantize_convs`` (default :data:`INT8_QUANTIZE_CONVS`, off) the
    feature encoder's convolutions are first
    rewritten as ``MatMul`` s (:func:`desktop_app.modelbuild.ctc_graph.convs_to_matmuls`)
    so that they are made int8 too: on wav2vec2-base they are about half of
    the int8 graph's time otherwise, but the rewritten graph spends much of
    the saving on slicing and quantising their large inputs. If that rewrite
    fails, the transformer alone is quantised, with a log line. Layers
    narrower than :data:`INT8_CONV_MIN_CHANNELS` stay fp32 (wav2vec2, XLS-R
    and MMS have 512).

    ``out_dir`` (default ``onnx_dir``) receives the file; a ``model.onnx``
    already there (an upgraded fp32 graph) is quantised instead of
    ``onnx_dir``'s. Returns the file and how close it is on the probe audio: the max logit
    difference, the share of frames whose best label differs, and the
    character error rate of its greedy labels against fp32's.
    """
    import onnx

    from desktop_app.modelbuild.ctc_check import (
        character_error_rate,
        compare_logits,
        normalize,
        onnx_logits,
        probe_audio,
    )

    config_dir = Path(onnx_dir)
    folder = Path(out_dir) if out_dir is not None else config_dir
    source = folder / CTC_MODEL_FILE
    if not source.is_file():
        source = config_dir / CTC_MODEL_FILE
    if not source.is_file():
        raise ModelError(f"'{config_dir}' has no {CTC_MODEL_FILE} to quantise.")
    target = folder / CTC_INT8_FILE
    with tempfile.TemporaryDirectory(prefix=".int8-", dir=folder) as tmp:
        from desktop_app.modelbuild.optimize_onnx import quantize_matmuls_rowwise

        staged = Path(tmp) / CTC_INT8_FILE
        if quantize_convs is None:
            quantize_convs = INT8_QUANTIZE_CONVS
        model = _load_with_conv_matmuls(source) if quantize_convs else onnx.load(str(source))
        if not quantize_matmuls_rowwise(model):
            raise ModelError(f"'{source.name}' has no weight MatMul to quantise.")
        large = model.ByteSize() > 1_800_000_000
        onnx.save(model, str(staged), save_as_external_data=large, location=staged.name + "_data")
        for item in Path(tmp).iterdir():
            item.replace(folder / item.name)
    blank = CtcConfig.from_model_dir(config_dir).blank_id
    values = normalize(probe_audio())[None]
    check = compare_logits(onnx_logits(source, values)[0], onnx_logits(target, values)[0], blank)
    return target, {
        "max_logit_diff": check.max_logit_diff,
        "frames_differ": check.frames_differ / max(1, check.frames),
        "cer_vs_fp32": character_error_rate(check.labels_ref, check.labels_test),
    }


def _load_with_conv_matmuls(source: Path) -> Any:
    """``source`` loaded, its feature-encoder convolutions as ``MatMul`` s where possible."""
    import onnx

    from desktop_app.modelbuild.ctc_graph import convs_to_matmuls

    model = onnx.load(str(source))
    try:
        count = convs_to_matmuls(model, INT8_CONV_MIN_CHANNELS)
    except Exception as exc:  # quantising the transformer alone still works
        log.warning("CTC int8: convolutions kept in fp32, their rewrite failed (%s)", exc)
        return onnx.load(str(source))
    log.info("CTC int8: %d feature-encoder convolutions rewritten as MatMul", count)
    return model
