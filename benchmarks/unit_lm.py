"""Speech-unit LM on espeak-ng Kazakh: held-out perplexity and review-triage AUROC.

Builds a throwaway Jazba project, as a user would, and runs the app's own jobs:

1. Training audio: Kazakh sentences from ``kk_sentences_dev.txt`` (plus new
   word orders of them) spoken by several espeak-ng voices and speeds, joined
   into recordings of about a minute. ``fit_units`` (Whisper-encoder block
   features, MiniBatchKMeans) and ``train_unit_lm`` (GPT, ONNX export) run on
   these only.
2. Test audio, added afterwards as new recordings, one segment per clip:
   held-out Kazakh sentences (never in training), noise-only clips (``sox
   synth`` white/pink/brown noise), English and Russian speech (espeak-ng
   ``-v en`` / ``-v ru``). ``score_project`` stores each segment's perplexity.
3. Reported: the training job's held-out perplexity (random pieces of the
   training recordings), the perplexity of the held-out *sentences*, the
   unigram baseline and uniform bound (K), extraction speed (× real time),
   and the AUROC of "perplexity ranks noise / other language above Kazakh".

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/unit_lm.py [--k 100] [--steps 1500]

Needs espeak-ng, sox and the default Whisper model (``jazba models install-default``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SR = 16_000
SENTENCES = ROOT.parent / "shared" / "kk_sentences_dev.txt"
KK_VOICES = ["kk", "kk+m3", "kk+f2", "kk+f4", "kk+m1", "kk+f1"]
SPEEDS = [145, 175]
OTHER = {
    "en": [
        "the weather is very nice today",
        "we are going to the city tomorrow",
        "my brother works at the hospital",
        "please open the window a little",
        "the children are playing in the garden",
        "i would like a cup of tea",
    ],
    "ru": [
        "сегодня очень хорошая погода",
        "завтра мы поедем в город",
        "мой брат работает в больнице",
        "пожалуйста откройте окно",
        "дети играют в саду",
        "я хотел бы чашку чая",
    ],
}
OTHER_VOICES = ["+m3", "+f2", ""]
GAP_S = 0.3


def espeak(text: str, voice: str, speed: int, folder: Path, rng: random.Random) -> np.ndarray:
    import soundfile as sf
    import soxr

    path = folder / f"tmp-{rng.getrandbits(40):x}.wav"
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text],
        check=True,
        timeout=60,
        capture_output=True,
    )
    audio, rate = sf.read(path, dtype="float32")
    path.unlink()
    return soxr.resample(audio, rate, SR).astype(np.float32)


def sox_noise(kind: str, seconds: float, volume: float, folder: Path, n: int) -> np.ndarray:
    import soundfile as sf

    path = folder / f"noise-{n}.wav"
    synth = ["synth", f"{seconds:.2f}", kind, "vol", f"{volume:.2f}"]
    subprocess.run(
        ["sox", "-n", "-r", str(SR), "-c", "1", "-b", "16", str(path), *synth],
        check=True,
        timeout=60,
        capture_output=True,
    )
    audio, _ = sf.read(path, dtype="float32")
    path.unlink()
    return audio


def join(clips: list[np.ndarray]) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Clips separated by short silences, and each clip's span in ms."""
    gap = np.zeros(int(GAP_S * SR), np.float32)
    parts, spans, pos = [gap], [], gap.size
    for clip in clips:
        spans.append((round(pos / SR * 1000), round((pos + clip.size) / SR * 1000)))
        parts += [clip, gap]
        pos += clip.size + gap.size
    return np.concatenate(parts), spans


def auroc(positive: list[float], negative: list[float]) -> float:
    """P(score of a random positive > score of a random negative), ties count half."""
    pos, neg = np.asarray(positive)[:, None], np.asarray(negative)[None, :]
    return float(np.mean((pos > neg) + 0.5 * (pos == neg)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--layer", type=int, default=None, help="Whisper block (default middle)")
    parser.add_argument("--steps", type=int, default=None, help="default: ~15 epochs")
    parser.add_argument("--d-model", type=int, default=128)
    parser.add_argument("--layers", type=int, default=3)
    parser.add_argument("--heldout-sentences", type=int, default=5)
    parser.add_argument("--shuffled", type=int, default=60, help="extra word-order variants")
    parser.add_argument("--asr-models", type=Path, default=None, help="ASR registry folder")
    parser.add_argument("--keep", type=Path, default=None, help="keep the project here")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args()
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed")

    from desktop_app.asr.registry import ModelRegistry
    from desktop_app.core.jobs import JobState
    from desktop_app.core.paths import models_dir
    from desktop_app.core.project import Project
    from desktop_app.core.services.recordings import RecordingMeta, RecordingService
    from desktop_app.core.services.segments import NewSegment, SegmentService
    from desktop_app.services.unit_lm import FitOptions, TrainOptions, fit_units, train_unit_lm
    from desktop_app.services.unit_scoring import ScoreRequest, review_queue, score_project
    from desktop_app.units.codebook import collapse
    from desktop_app.units.registry import LMShape
    from desktop_app.units.scorer import unigram_nll

    asr = ModelRegistry(args.asr_models or models_dir())
    if asr.active() is None:
        sys.exit("No ASR model: run 'jazba models install-default' first.")
    work = Path(tempfile.mkdtemp(prefix="jazba-unitlm-bench-"))
    os.environ["JAZBA_DATA_DIR"] = str(work / "data")  # throwaway unit registry
    rng = random.Random(0)
    sentences = [s.strip() for s in SENTENCES.read_text(encoding="utf-8").splitlines() if s.strip()]
    rng.shuffle(sentences)
    held_sents = sentences[: args.heldout_sentences]
    train_sents = sentences[args.heldout_sentences :]
    words = [w for s in train_sents for w in s.split()]
    shuffled = [" ".join(rng.sample(words, rng.randint(4, 8))) for _ in range(args.shuffled)]
    clips_dir = work / "clips"
    clips_dir.mkdir()
    log = lambda msg: print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)  # noqa: E731

    log(f"speaking {len(train_sents)} + {len(shuffled)} training texts, {len(KK_VOICES)} voices")
    train_clips = []
    for i, text in enumerate(train_sents + shuffled):
        voices = KK_VOICES if i < len(train_sents) else [rng.choice(KK_VOICES)]
        for voice in voices:
            train_clips.append(espeak(text, voice, rng.choice(SPEEDS), clips_dir, rng))
    rng.shuffle(train_clips)
    test: dict[str, list[np.ndarray]] = {"kk": [], "noise": [], "en": [], "ru": []}
    for text in held_sents:
        for voice in KK_VOICES:
            test["kk"].append(espeak(text, voice, rng.choice(SPEEDS), clips_dir, rng))
    for lang, texts in OTHER.items():
        for text in texts:
            for variant in OTHER_VOICES:
                test[lang].append(espeak(text, lang + variant, rng.choice(SPEEDS), clips_dir, rng))
    for n in range(len(test["kk"])):
        kind = ("whitenoise", "pinknoise", "brownnoise")[n % 3]
        test["noise"].append(
            sox_noise(kind, rng.uniform(1.5, 4.0), rng.uniform(0.05, 0.5), clips_dir, n)
        )

    import soundfile as sf

    project = Project.create(work / "bench", name="Unit LM benchmark")
    recs = RecordingService(project)
    per_rec = 20
    train_s = 0.0
    for r in range(0, len(train_clips), per_rec):
        audio, _ = join(train_clips[r : r + per_rec])
        path = clips_dir / f"train-{r // per_rec:02d}.wav"
        sf.write(path, audio, SR, subtype="PCM_16")
        recs.import_file(path, RecordingMeta(languages="kk"))
        train_s += audio.size / SR
    log(f"training audio: {len(train_clips)} clips, {train_s / 60:.1f} min")

    t0 = time.perf_counter()
    units = fit_units(
        project, FitOptions(k=args.k, layer=args.layer, device="cpu"), JobState(), asr_registry=asr
    )
    log(f"units: {units.id} ({time.perf_counter() - t0:.0f} s) {units.manifest.metrics}")
    shape = LMShape(context=256, n_layer=args.layers, n_head=4, d_model=args.d_model, dropout=0.1)
    t0 = time.perf_counter()
    lm = train_unit_lm(
        project,
        TrainOptions(units_version=units.id, lm=shape, steps=args.steps, device="cpu"),
        JobState(),
        on_metrics=lambda step, v: log(f"  step {step}: {v}") if "heldout_nll" in v else None,
    )
    log(f"unit LM: {lm.id} ({time.perf_counter() - t0:.0f} s)")

    segs = SegmentService(project)
    seg_class: dict[int, str] = {}
    for cls, clips in test.items():
        audio, spans = join(clips)
        path = clips_dir / f"test-{cls}.wav"
        sf.write(path, audio, SR, subtype="PCM_16")
        rec = recs.import_file(path, RecordingMeta(title=f"test {cls}"))
        res = segs.add_many(rec.id, [NewSegment(s, e, cls) for s, e in spans])
        seg_class.update(dict.fromkeys(res.segment_ids, cls))
    test_s = sum(c.size for clips in test.values() for c in clips) / SR
    t0 = time.perf_counter()
    result = score_project(project, ScoreRequest(device="cpu"), JobState())
    score_wall = time.perf_counter() - t0
    log(f"scored {result.scored} segments in {score_wall:.1f} s")

    # held-out sentences: pooled NLL per unit, vs a unigram fitted on the training units
    from desktop_app.core.audio.importer import load_model_audio
    from desktop_app.services.unit_scoring import segment_units, unit_files
    from desktop_app.units.extract import UnitExtractor

    test_rec = next(r for r in recs.list() if r.title == "test kk")
    audio = load_model_audio(project.abspath(test_rec.model_audio_path))
    _units, speed = UnitExtractor(lm, device="cpu").timed(audio)
    log(f"in-app extraction: {speed.audio_seconds:.0f} s of audio in {speed.wall_seconds:.1f} s")
    scorer = lm.scorer("cpu")
    kk_ids = [i for i, c in seg_class.items() if c == "kk"]
    kk_seqs = [np.array(segment_units(project, i, version=lm)) for i in kk_ids]
    kk_score = [scorer.score(s) for s in kk_seqs]
    kk_nll = sum(s.nll for s in kk_score) / sum(s.tokens for s in kk_score)
    files = unit_files(project, lm)
    train_ids = [r.id for r in recs.list() if not r.title.startswith("test ")]
    train_units = [collapse(np.load(files[i]).astype(np.int64)) for i in train_ids]
    uni = unigram_nll(train_units, kk_seqs, args.k)

    by_id = {s.id: s for r in recs.list() for s in segs.list(r.id)}
    ppl = {
        cls: [by_id[i].unit_perplexity for i, c in seg_class.items() if c == cls] for cls in test
    }
    queue = review_queue(project)
    flags = {it.segment.id: it.flag for it in queue}
    flagged = {
        c: {
            f: sum(flags.get(i) == f for i, k in seg_class.items() if k == c) / len(ppl[c])
            for f in ("noise", "other-language")
        }
        for c in test
    }
    top = [seg_class.get(it.segment.id) for it in queue[: len(ppl["kk"])]]
    m = lm.manifest.metrics
    figures = {
        "k": args.k,
        "layer": units.config.features.layer,
        "train_audio_min": train_s / 60,
        "fit_extract_x_real_time": units.manifest.metrics["extract_x_real_time"],
        "app_extract_x_real_time": speed.x_real_time,
        "score_job_x_real_time": test_s / score_wall,
        "train_seconds": m["train_seconds"],
        "lm_params": m["params"],
        "heldout_pieces_ppl": m["heldout_ppl"],
        "heldout_pieces_unigram_ppl": m["unigram_ppl"],
        "heldout_sentences_ppl": math.exp(kk_nll),
        "heldout_sentences_unigram_ppl": uni.perplexity,
        "uniform_ppl": float(args.k),
        "median_ppl": {c: float(np.median(v)) for c, v in ppl.items()},
        "auroc_noise_vs_kk": auroc(ppl["noise"], ppl["kk"]),
        "auroc_en_vs_kk": auroc(ppl["en"], ppl["kk"]),
        "auroc_ru_vs_kk": auroc(ppl["ru"], ppl["kk"]),
        "auroc_other_language_vs_kk": auroc(ppl["en"] + ppl["ru"], ppl["kk"]),
        "auroc_all_vs_kk": auroc(ppl["noise"] + ppl["en"] + ppl["ru"], ppl["kk"]),
        "kk_in_top_of_review_queue": top.count("kk"),
        "flagged_share": flagged,
        "n_segments": {c: len(v) for c, v in ppl.items()},
        "onnx_max_abs_diff": m["onnx_max_abs_diff"],
    }
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    project.close()
    if args.keep:
        shutil.move(str(work), args.keep)
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
