"""Job process of the neural voice (PyTorch runs here, never in the GUI process).

    python -m desktop_app.modelbuild.tts_job synthesize VOICE_DIR PLANS_JSON CACHE [--threads N]
    python -m desktop_app.modelbuild.tts_job say VOICE_DIR RUNS_JSON OUT_WAV [--threads N]

``synthesize`` makes the clips of a list of clip plans (text, voice setting,
augmentation) into the text bootstrap's clip cache, under the same keys the
parent computes; ``say`` writes one clip. Messages as in
:mod:`desktop_app.modelbuild.protocol`; cancel is SIGTERM from the parent.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from desktop_app.modelbuild.entry import exit_on_sigterm, run_job_cli
from desktop_app.modelbuild.protocol import Emitter


def _synthesize(args: argparse.Namespace, emit: Emitter) -> dict[str, Any]:
    from desktop_app.modelbuild.vits_engine import VitsEngine
    from desktop_app.tts.clips import ClipPlan, synthesize_clip

    plans = [ClipPlan.from_dict(d) for d in json.loads(args.plans.read_text(encoding="utf-8"))]
    emit(0.0, "Loading the neural voice")
    engine = VitsEngine(args.voice, threads=args.threads)
    made = cached = 0
    for i, plan in enumerate(plans):
        _path, was_cached = synthesize_clip(engine, plan, args.cache)
        made += not was_cached
        cached += was_cached
        emit((i + 1) / len(plans), f"Synthesising speech ({i + 1}/{len(plans)})")
    return {"made": made, "cached": cached, "voice": engine.name, "version": engine.version}


def _say(args: argparse.Namespace, emit: Emitter) -> dict[str, Any]:
    import numpy as np
    import soundfile as sf

    from desktop_app.modelbuild.vits_engine import VitsEngine
    from desktop_app.tts.base import SAMPLE_RATE, VoiceSetting

    data = json.loads(args.runs.read_text(encoding="utf-8"))
    engine = VitsEngine(args.voice, threads=args.threads)
    runs = [(str(lang), str(text)) for lang, text in data["runs"]]
    audio = engine.synthesize(runs, VoiceSetting(**data["setting"]))
    sf.write(args.out, np.asarray(audio, np.float32), SAMPLE_RATE, subtype="FLOAT")
    emit(1.0, "Synthesised")
    return {"samples": len(audio)}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m desktop_app.modelbuild.tts_job")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("synthesize", help="clips of a plan list into the clip cache")
    p.add_argument("voice", type=Path)
    p.add_argument("plans", type=Path)
    p.add_argument("cache", type=Path)
    p.add_argument("--threads", type=int, default=None)
    p.set_defaults(func=_synthesize)
    p = sub.add_parser("say", help="one clip")
    p.add_argument("voice", type=Path)
    p.add_argument("runs", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--threads", type=int, default=None)
    p.set_defaults(func=_say)
    return parser


def main(argv: Sequence[str] | None = None, stream: TextIO | None = None) -> int:
    return run_job_cli(build_parser(), argv, stream, what="Speech synthesis")


if __name__ == "__main__":
    exit_on_sigterm()
    sys.exit(main())
