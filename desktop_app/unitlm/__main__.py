"""Command line of the unit-LM subprocess (PyTorch and scikit-learn run only here).

    python -m desktop_app.unitlm fit SPEC.json OUT_DIR       k-means codebook + cached units
    python -m desktop_app.unitlm extract SPEC.json           units with an existing codebook
    python -m desktop_app.unitlm train SPEC.json OUT_DIR     unit LM -> OUT_DIR/unit_lm.onnx

The app starts it with :func:`desktop_app.modelbuild.launcher.run_modelbuild`
(``module="desktop_app.unitlm"``); stdout carries only the JSON-lines protocol
of :mod:`desktop_app.modelbuild.protocol`, cancel kills the process tree.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from desktop_app.core.errors import JazbaError
from desktop_app.modelbuild.entry import exit_on_sigterm, run_job_cli
from desktop_app.modelbuild.protocol import Emitter


def _spec(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise JazbaError(f"Cannot read the job description '{path}': {exc}") from exc
    if not isinstance(data, dict):
        raise JazbaError(f"'{path}' is not a JSON object.")
    return data


def _fit(args: argparse.Namespace, emitter: Emitter) -> dict[str, Any]:
    from desktop_app.unitlm.units_job import fit

    return fit(_spec(args.spec), args.out, emitter)


def _extract(args: argparse.Namespace, emitter: Emitter) -> dict[str, Any]:
    from desktop_app.unitlm.units_job import extract

    return extract(_spec(args.spec), emitter)


def _train(args: argparse.Namespace, emitter: Emitter) -> dict[str, Any]:
    from desktop_app.unitlm.train import train

    return train(_spec(args.spec), args.out, emitter, emitter.metrics)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m desktop_app.unitlm", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("fit", help="fit a k-means codebook and write every recording's units")
    p.add_argument("spec", type=Path)
    p.add_argument("out", type=Path)
    p.set_defaults(func=_fit)
    p = sub.add_parser("extract", help="write units with an existing codebook")
    p.add_argument("spec", type=Path)
    p.set_defaults(func=_extract)
    p = sub.add_parser("train", help="train, evaluate and export the unit LM")
    p.add_argument("spec", type=Path)
    p.add_argument("out", type=Path)
    p.set_defaults(func=_train)
    return parser


def main(argv: Sequence[str] | None = None, stream: TextIO | None = None) -> int:
    return run_job_cli(build_parser(), argv, stream, what="Unit LM job")


if __name__ == "__main__":
    exit_on_sigterm()
    sys.exit(main())
