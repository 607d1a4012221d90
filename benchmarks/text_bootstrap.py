"""Benchmark: does teaching words from text make a new voice's unseen sentences better?

The 23 sentences of ``../shared/kk_sentences_dev.txt`` are split three ways
(and a dev part, as in ``learning_loop.py``):

* **test**: every 4th sentence (4, 8, …, 20), spoken only by ``kk+m7`` (two
  speed/pitch variants), a voice used nowhere in training;
* **text-only**: the sentences that share a word with the test sentences
  (9, 13), two code-switched ones (21, 22), and the test sentences' words as a
  *word list* in random order (their sentences are never given): text handed
  to the bootstrap, never audio;
* **speech**: every other sentence (none holds a test word), spoken by four
  training voices as "approved speech", as today's loop trains on;
* **dev**: sentences 2, 10, 18 by ``kk+f1`` (checkpoint choice, speech runs).

Three fine-tunes of the default Whisper base, through the app's own loop
(:func:`desktop_app.services.learning_loop.finetune_on_splits`):
speech only (today), text bootstrap only (no approved speech, no dev), and
both. Each is scored before/after on the test part, and on the speech
sentences in the test voice (for harm); word recall is reported by where
training saw a word. The bootstrap voices exclude the test and dev voices::

    .venv/bin/python benchmarks/text_bootstrap.py [--work DIR] [--threads 2]
        [--runs speech,text,both] [--epochs 6] [--lr 8e-5] [--voices-per-text 3]
        [--carriers 1] [--lists 5] [--share 0.7] [--select-by auto]

Prints a table, writes ``result.json`` (runs of earlier calls with the same
work folder are kept, so the runs can be made one at a time) and each run's
model card into the work folder, and exits 0 when the text bootstrap (alone or with speech)
lowers the test part's WER by ≥ 30 % relative with every run within 20
minutes. Needs espeak-ng, sox and the default model.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.learning_loop import (  # noqa: E402
    DEV_SENTENCES,
    DEV_VOICE,
    SENTENCES,
    TEST_EVERY,
    TEST_VARIANTS,
    TEST_VOICE,
    TRAIN_VOICES,
    VARIANTS,
    speak,
)

TEXT_EXTRA = (21, 22)  # code-switched sentences given as text only
TEST_CASE = f"{TEST_VOICE}, test sentences"
SPEECH_CASE = f"{TEST_VOICE}, speech-part sentences"
RUNS = ("speech", "text", "both")


def split_sentences(lines: list[str]) -> dict[str, list[int]]:
    """1-based sentence numbers of each part (see the module docstring)."""
    test = [n for n in range(1, len(lines) + 1) if n % TEST_EVERY == 0]
    test_words = {w for n in test for w in lines[n - 1].split()}
    rest = [n for n in range(1, len(lines) + 1) if n not in test and n not in DEV_SENTENCES]
    text = [n for n in rest if set(lines[n - 1].split()) & test_words or n in TEXT_EXTRA]
    speech = [n for n in rest if n not in text]
    return {"test": test, "text": text, "speech": speech, "dev": list(DEV_SENTENCES)}


def make_speech(folder: Path, lines: list[str], parts: dict[str, list[int]]):
    """Real-speech stand-ins: speech part in 4 voices, dev voice, test voice."""
    from desktop_app.core.learning.dataset import Example

    rng = random.Random(7)
    out: dict[str, list[Example]] = {"train": [], "dev": [], "test": []}
    jobs = []
    for n in parts["speech"]:
        jobs += [("train", voice, n, rng.choice(VARIANTS)) for voice in TRAIN_VOICES]
        jobs.append(("test", TEST_VOICE, n, TEST_VARIANTS[0]))  # harm check
    jobs += [("dev", DEV_VOICE, n, v) for n in parts["dev"] for v in VARIANTS]
    jobs += [("test", TEST_VOICE, n, v) for n in parts["test"] for v in TEST_VARIANTS]
    for split, voice, n, (speed, pitch) in jobs:
        wav = folder / f"{split}-{n:02d}-{voice.replace('+', '_')}-{speed}-{pitch}.wav"
        if not wav.is_file():
            speak(lines[n - 1], voice, speed, pitch, wav)
        who = voice
        if split == "test":
            who = TEST_CASE if n in parts["test"] else SPEECH_CASE
        out[split].append(Example(key=wav.stem, audio_path=str(wav), text=lines[n - 1],
                                  speaker=who, language="kk", project="espeak"))  # fmt: skip
    return out


def write_text_inputs(folder: Path, lines: list[str], parts: dict[str, list[int]]) -> list[str]:
    """The text-only part as the user would give it: a text file and a word list."""
    text = folder / "texts.txt"
    text.write_text("\n".join(lines[n - 1] + "." for n in parts["text"]) + "\n", encoding="utf-8")
    words = sorted({w for n in parts["test"] for w in lines[n - 1].split()})
    random.Random(11).shuffle(words)
    wordlist = folder / "wordlist.txt"
    wordlist.write_text("\n".join(words) + "\n", encoding="utf-8")
    return [str(text), str(wordlist)]


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (user + system)."""
    own, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", default=",".join(RUNS))
    parser.add_argument("--epochs", type=float, default=6.0)
    parser.add_argument("--lr", type=float, default=8e-5)
    parser.add_argument("--method", default="full")
    parser.add_argument("--select-by", default="auto")
    parser.add_argument("--voices-per-text", type=int, default=3)
    parser.add_argument("--carriers", type=int, default=1, help="carrier phrases per word")
    parser.add_argument("--lists", type=int, default=5, help="word lists each word is in")
    parser.add_argument("--share", type=float, default=0.7, help="synthetic share of an epoch")
    parser.add_argument("--max-clips", type=int, default=None)
    parser.add_argument(
        "--tts", default="espeak",
        help="who reads the text: espeak, an installed voice id (mms-tts-kaz), auto, or a "
        "comma-separated mix (espeak,mms-tts-kaz)",
    )  # fmt: skip
    args = parser.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="jazba-text-bootstrap-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    from benchmarks.loop_common import benchmark_config, install_parent, printers, scores
    from desktop_app.core.jobs import JobState
    from desktop_app.core.learning.dataset import Splits
    from desktop_app.services.learning_loop import FinetuneRequest, finetune_on_splits
    from desktop_app.services.text_bootstrap import BootstrapOptions, TextBootstrap
    from desktop_app.services.tts_choice import parse_tts
    from desktop_app.tts.espeak import KK_VOICES

    found = install_parent(work)
    if found is None:
        return 2
    registry, parent = found
    lines = [s.strip() for s in SENTENCES.read_text(encoding="utf-8").splitlines() if s.strip()]
    parts = split_sentences(lines)
    clips = work / "clips"
    clips.mkdir(exist_ok=True)
    speech = make_speech(clips, lines, parts)
    files = write_text_inputs(work, lines, parts)
    voices = tuple(v for v in KK_VOICES if v not in (TEST_VOICE, DEV_VOICE))
    text = TextBootstrap(
        files=tuple(files),
        options=BootstrapOptions(
            voices=voices, voices_per_text=args.voices_per_text,
            carriers_per_word=args.carriers, lists_per_word=args.lists,
            max_clips=args.max_clips, workers=args.threads, tts=parse_tts(args.tts),
        ),
    )  # fmt: skip
    print(f"Parts (sentence numbers): {parts}", flush=True)
    print(f"Speech clips: train {len(speech['train'])}, dev {len(speech['dev'])}, "
          f"test {len(speech['test'])}; text inputs: {', '.join(files)}", flush=True)  # fmt: skip

    saved = work / "result.json"  # runs of an earlier call with the same work folder are kept
    results: dict[str, dict] = json.loads(saved.read_text("utf-8")) if saved.is_file() else {}
    for run in args.runs.split(","):
        t0, cpu0 = time.monotonic(), cpu_seconds()
        load0 = os.getloadavg()[0]
        print(f"\n== {run} ==", flush=True)
        splits = Splits(
            train=list(speech["train"]) if run != "text" else [],
            dev=list(speech["dev"]) if run != "text" else [],
            test=list(speech["test"]),
            split_by="voice",
        )  # fmt: skip
        show, progress = printers(t0)
        result = finetune_on_splits(
            splits,
            FinetuneRequest(
                config=benchmark_config(args, synthetic_share=args.share),
                base_model_id=parent.id, eval_threads=args.threads, min_train=1,
                text=text if run != "speech" else None, name=f"Whisper base · {run}",
            ),
            JobState(on_progress=progress, min_interval=5.0),
            registry=registry, on_message=show, project_names=["espeak-ng Kazakh"],
        )  # fmt: skip
        minutes = (time.monotonic() - t0) / 60
        assert result.before is not None and result.after is not None
        b, a = result.before.breakdown["speaker"], result.after.breakdown["speaker"]
        recalls = {
            g: {"before": result.before.word_recall[g].recall, "after": r.recall,
                "words": r.words, "distinct": r.distinct}
            for g, r in result.after.word_recall.items() if r.words
        }  # fmt: skip
        synthetic = json.loads((result.run_dir / "run.json").read_text("utf-8"))["synthetic"]
        results[run] = {
            "cases": {case: scores(b[case], a[case]) for case in (TEST_CASE, SPEECH_CASE)},
            "word_recall": recalls,
            "minutes": minutes, "cpu_minutes": (cpu_seconds() - cpu0) / 60,
            "loadavg_start": load0, "loadavg_end": os.getloadavg()[0],
            "train_clips": result.summary.get("train_examples"),
            "steps": result.summary.get("steps"), "model_id": result.manifest.id,
            "synthetic": synthetic,
        }  # fmt: skip
        (work / f"model_card_{run}.md").write_text(result.card, encoding="utf-8")
        results[run]["args"] = {k: str(v) for k, v in vars(args).items()}
        saved.write_text(json.dumps(results, indent=1), encoding="utf-8")

    print()
    print(
        f"| run | {TEST_CASE}: WER before → after | CER before → after | "
        "speech sentences WER | recall: text-only / speech / nowhere words | minutes | "
        "CPU-minutes |"
    )
    print("|---|---|---|---|---|---|---|")

    def recall(r: dict, group: str) -> str:
        rec = r["word_recall"].get(group)
        return f"{100 * rec['before']:.0f} → {100 * rec['after']:.0f} %" if rec else "–"

    for run, r in results.items():
        t, s = r["cases"][TEST_CASE], r["cases"][SPEECH_CASE]
        groups = " / ".join(recall(r, g) for g in ("text_only", "speech", "nowhere"))
        print(
            f"| {run} | {100 * t['before']['wer']:.1f} → {100 * t['after']['wer']:.1f} % "
            f"({-100 * t['relative_wer_reduction']:+.0f} %) | {100 * t['before']['cer']:.1f} → "
            f"{100 * t['after']['cer']:.1f} % | {100 * s['before']['wer']:.1f} → "
            f"{100 * s['after']['wer']:.1f} % | {groups} | {r['minutes']:.1f} | "
            f"{r.get('cpu_minutes', float('nan')):.1f} |"
        )
    bootstrapped = [r for run, r in results.items() if run != "speech"]
    met = any(r["cases"][TEST_CASE]["relative_wer_reduction"] >= 0.3 for r in bootstrapped)
    in_time = all(r["minutes"] <= 20 for r in results.values())
    print(f"Goal (≥ 30 % relative WER reduction on the test part with the text bootstrap, "
          f"each run ≤ 20 min): {'met' if met and in_time else 'NOT met'}")  # fmt: skip
    print(f"Work folder: {work}")
    return 0 if met and in_time else 1


if __name__ == "__main__":
    sys.exit(main())
