"""Benchmark: does the learning loop lower the WER on a voice and sentences it never saw?

Kazakh sentences from ``../shared/kk_sentences_dev.txt`` are spoken by
espeak-ng voice variants with speed and pitch variation. The training split:

* 15 sentences, each in four voices;
* optionally, random word sequences of those sentences' words (``--salad``;
  off by default: they made the model put training words into new sentences);
* ``--babble`` longer clips of made-up words (``--babble-words``, 20 to 26 a
  clip by default) in 16 voice variants: half are
  random syllables over the training sentences' letters, half glue the start
  of one training word to the end of another. Both teach how letters sound
  and where words end without adding any text the training sentences lack.

The dev set (early stopping) is 3 other sentences in a fifth voice. The test
voice (``kk+m7``) is used nowhere in training and is scored on two cases, told
apart by the report's per-speaker breakdown, and on both together:

* the 5 *unseen sentences* (a new voice saying new text: the strict reading
  of the goal, ≥ 30 % relative WER reduction, and the exit status);
* the *training sentences* (a new voice saying known text).

The default Whisper base is scored before and after with Jazba's ONNX engine,
through the code the app uses
(:func:`desktop_app.services.learning_loop.finetune_on_splits`)::

    .venv/bin/python benchmarks/learning_loop.py [--work DIR] [--threads 2]
        [--method full|lora] [--lr 8e-5] [--epochs 2.5] [--salad 0] [--babble 300]
        [--babble-words 20 26]

Prints before/after WER/CER per case and the minutes, writes ``result.json``
and the model card into the work folder, and exits 0 only when the strict
goal is met within 20 minutes. Needs espeak-ng, sox and the default model
(``jazba models install-default``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SENTENCES = ROOT.parent / "shared" / "kk_sentences_dev.txt"
TRAIN_VOICES = ("kk+m1", "kk+f2", "kk+m3", "kk+f4")
# Pseudo-word clips are spoken by these variants too (never the dev or test voice).
BABBLE_VOICES = (
    *TRAIN_VOICES, "kk+m2", "kk+m4", "kk+m5", "kk+m6", "kk+f3", "kk+f5", "kk+klatt", "kk+klatt3",
    "kk+grandma", "kk+grandpa", "kk+anika", "kk+max",
)  # fmt: skip
DEV_VOICE = "kk+f1"
TEST_VOICE = "kk+m7"  # never used in training
VARIANTS = ((150, 45), (175, 60), (200, 35))  # (words per minute, pitch)
TEST_VARIANTS = ((165, 50), (185, 40))
TEST_EVERY = 4  # sentences 4, 8, 12, ... (1-based) are test sentences
UNSEEN = f"{TEST_VOICE}, unseen sentences"  # the goal is measured here
SEEN = f"{TEST_VOICE}, training sentences"  # a new voice saying what training said
DEV_SENTENCES = (2, 10, 18)  # 1-based; neither train nor test


def speak(text: str, voice: str, speed: int, pitch: int, out: Path) -> Path:
    raw = out.with_suffix(".22k.wav")
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(raw), text],
        check=True,
    )
    subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(out)], check=True)
    raw.unlink()
    return out


BACK_VOWELS, FRONT_VOWELS, NEUTRAL_VOWELS = set("аоұы"), set("әеөүі"), ["и", "у"]
VOWELS = BACK_VOWELS | FRONT_VOWELS


def pseudo_words(words: list[str], rng: random.Random, count: int) -> list[str]:
    """``count`` pseudo-words: random syllables over the training sentences' letters.

    Letters are drawn uniformly (rare ones as often as common ones) in V, CV, VC
    and CVC syllables, as many per word as the training words have, each word
    keeping to back or front vowels as Kazakh vowel harmony does. The words
    carry no language model a decoder could learn by heart, so it has to learn
    how each letter sounds. Only training text goes in.
    """
    letters = sorted({c for w in words for c in w if c.isalpha()})
    back = [c for c in letters if c in BACK_VOWELS] + NEUTRAL_VOWELS
    front = [c for c in letters if c in FRONT_VOWELS] + NEUTRAL_VOWELS
    consonants = [c for c in letters if c not in VOWELS | set("иуьъ")]
    # Syllables per word as in the training words (one per vowel letter).
    lengths = [max(1, sum(c in VOWELS | {"и"} for c in w)) for w in words]
    out: list[str] = []
    for _ in range(count):
        vowels = rng.choice((back, front))
        word = ""
        for _syllable in range(rng.choice(lengths)):
            shape = rng.choice(("V", "CV", "CV", "VC", "CVC", "CVC"))
            if word and word[-1] in vowels:  # no vowel clash across syllables
                shape = shape if shape.startswith("C") else "C" + shape
            word += "".join(rng.choice(consonants if c == "C" else vowels) for c in shape)
        out.append(word)
    return out


def chimera_words(words: list[str], rng: random.Random, count: int) -> list[str]:
    """``count`` words glued from the start of one training word and the end of another.

    Kazakh builds words from a stem and suffixes (оқушы+лар+ға); chimeras keep
    the words long and the suffixes real, so the decoder learns that such a
    stretch of speech is one written word, without seeing new text.
    """
    long = [w for w in words if len(w) >= 4]
    out = []
    for _ in range(count):
        a, b = rng.choice(long), rng.choice(long)
        out.append(a[: rng.randint(2, len(a) - 1)] + b[rng.randint(1, len(b) - 2) :])
    return out


def make_splits(
    folder: Path, salad: int, per_voice: int, babble: int = 0, per_clip: tuple[int, int] = (20, 26)
):
    """Clips and splits; ``salad`` extra training clips are random word sequences.

    The word sequences re-use only the training sentences' words, in random
    order, so the decoder cannot learn the fourteen training sentences by heart
    and has to listen (no test word is added).
    """
    from desktop_app.core.learning.dataset import Example, Splits

    rng = random.Random(7)
    lines = [s.strip() for s in SENTENCES.read_text(encoding="utf-8").splitlines() if s.strip()]
    splits = Splits(split_by="voice")
    jobs: list[tuple[str, str, str, tuple[int, int], str]] = []
    train_words: list[str] = []
    for n, text in enumerate(lines, start=1):
        if n % TEST_EVERY == 0:
            plan = [("test", TEST_VOICE, v) for v in TEST_VARIANTS]
        elif n in DEV_SENTENCES:
            plan = [("dev", DEV_VOICE, v) for v in VARIANTS]
        else:
            train_words += text.split()
            plan = [("train", voice, v) for voice in TRAIN_VOICES
                    for v in rng.sample(VARIANTS, per_voice)]  # fmt: skip
            plan.append(("seen", TEST_VOICE, TEST_VARIANTS[0]))
        jobs += [(split, voice, text, v, f"{n:02d}") for split, voice, v in plan]
    for k in range(salad):
        words = rng.sample(train_words, rng.randint(3, 6))
        jobs.append(("train", rng.choice(TRAIN_VOICES), " ".join(words), rng.choice(VARIANTS),
                     f"w{k:03d}"))  # fmt: skip
    for k in range(babble):
        n_words = rng.randint(*per_clip)
        make = pseudo_words if k % 2 == 0 else chimera_words
        words = make(train_words, rng, n_words)
        speed = rng.randint(140, 210)
        jobs.append(("train", rng.choice(BABBLE_VOICES), " ".join(words),
                     (speed, rng.randint(25, 75)), f"b{k:03d}"))  # fmt: skip
    for split, voice, text, (speed, pitch), n in jobs:
        wav = folder / f"{split}-{n}-{voice.replace('+', '_')}-{speed}-{pitch}.wav"
        speak(text, voice, speed, pitch, wav)
        # The test set's "speaker" names the case, so the report's breakdown separates them.
        who = {"test": UNSEEN, "seen": SEEN}.get(split, voice)
        ex = Example(
            key=wav.stem, audio_path=str(wav), text=text, speaker=who, language="kk",
            project="espeak",
        )  # fmt: skip
        getattr(splits, "test" if split == "seen" else split).append(ex)
    return splits


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=float, default=2.5)
    parser.add_argument("--lr", type=float, default=8e-5)
    parser.add_argument("--method", default="full")
    parser.add_argument("--salad", type=int, default=0, help="random word-sequence clips")
    parser.add_argument("--babble", type=int, default=300, help="made-up-word clips")
    parser.add_argument(
        "--babble-words", type=int, nargs=2, default=(20, 26), metavar=("MIN", "MAX"),
        help="made-up words per clip (26 words stay under the 200-token label limit)",
    )  # fmt: skip
    parser.add_argument("--select-by", default="wer", help="keep the best dev 'wer' or 'cer'")
    parser.add_argument("--per-voice", type=int, default=1, help="variants per voice/sentence")
    args = parser.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="jazba-learning-loop-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    from benchmarks.loop_common import benchmark_config, install_parent, printers, scores
    from desktop_app.core.jobs import JobState
    from desktop_app.services.learning_loop import FinetuneRequest, finetune_on_splits

    found = install_parent(work)
    if found is None:
        return 2
    registry, parent = found

    t0 = time.monotonic()
    load0 = os.getloadavg()
    clips = work / "clips"
    shutil.rmtree(clips, ignore_errors=True)
    clips.mkdir()
    splits = make_splits(clips, args.salad, args.per_voice, args.babble, args.babble_words)
    print(
        f"Clips: train {len(splits.train)} ({len(TRAIN_VOICES)} voices × {args.per_voice} "
        f"speed/pitch variants + {args.salad} word sequences + {args.babble} made-up-word "
        f"clips), dev {len(splits.dev)} "
        f"({DEV_VOICE}), test {len(splits.test)} (voice {TEST_VOICE}: unseen and "
        "training sentences)",
        flush=True,
    )
    config = benchmark_config(args)
    show, progress = printers(t0)

    result = finetune_on_splits(
        splits,
        FinetuneRequest(config=config, base_model_id=parent.id, eval_threads=args.threads,
                        min_train=1),
        JobState(on_progress=progress, min_interval=5.0),
        registry=registry,
        on_message=show,
        project_names=["espeak-ng Kazakh"],
    )  # fmt: skip
    minutes = (time.monotonic() - t0) / 60
    load1 = os.getloadavg()
    figures = {}
    print()
    whole = f"{TEST_VOICE}, all clips"  # every test clip is the test voice
    cases = {
        case: (result.before.breakdown["speaker"][case], result.after.breakdown["speaker"][case])
        for case in (UNSEEN, SEEN)
    }
    cases[whole] = (result.before.overall, result.after.overall)
    for case, (b, a) in cases.items():
        figures[case] = scores(b, a)
        f = figures[case]
        print(f"Voice {case} ({a.n} clips):")
        print(f"  before  WER {100 * b.wer:5.1f} %  CER {100 * b.cer:5.1f} %  "
              f"hallucination-like {b.hallucinations}")  # fmt: skip
        print(f"  after   WER {100 * a.wer:5.1f} %  CER {100 * a.cer:5.1f} %  "
              f"hallucination-like {a.hallucinations}")  # fmt: skip
        print(f"  relative WER reduction {100 * f['relative_wer_reduction']:.1f} %, "
              f"CER {100 * f['relative_cer_reduction']:.1f} %")  # fmt: skip
    red = figures[UNSEEN]["relative_wer_reduction"]
    for name, case in ((f"'{UNSEEN}' (strict)", UNSEEN), (f"'{whole}'", whole)):
        value = figures[case]["relative_wer_reduction"]
        print(f"Goal (≥ 30 % relative WER reduction) on {name}: "
              f"{'met' if value >= 0.3 else 'NOT met'}")  # fmt: skip
    print(
        f"Wall time {minutes:.1f} min on {args.threads} threads (load average "
        f"{load0[0]:.1f} at start, {load1[0]:.1f} at end; goal ≤ 20 min)"
    )
    out = {
        "cases": figures, "minutes": minutes, "threads": args.threads,
        "loadavg_start": load0, "loadavg_end": load1, "model_id": result.manifest.id,
        "train_clips": len(splits.train), "test_clips": len(splits.test),
        "config": config.to_dict(),
        "summary": {k: v for k, v in result.summary.items() if k not in ("history", "losses")},
    }  # fmt: skip
    (work / "result.json").write_text(json.dumps(out, indent=1), encoding="utf-8")
    (work / "model_card.md").write_text(result.card, encoding="utf-8")
    print(f"Work folder: {work}")
    return 0 if red >= 0.3 and minutes <= 20 else 1


if __name__ == "__main__":
    sys.exit(main())
