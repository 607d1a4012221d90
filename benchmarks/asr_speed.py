"""Jazba's ONNX Whisper engine against faster-whisper on the same weights.

Engines: Jazba fp32, Jazba int8 (when the model folder has the int8 variant:
``encoder_model_int8.onnx`` + ``decoder_model_merged_int8.onnx``, built by
``python -m desktop_app.modelbuild add-variants DIR DIR --int8`` or
``jazba models upgrade``; a folder with only the int8 decoder runs it with
the fp32 encoder), faster-whisper (CTranslate2) fp32 and int8. All get the
same audio, thread count and settings (fixed language, temperature 0 only,
no VAD, no conditioning on previous text, no word timestamps unless
``--words``), once with greedy search and once per beam size. The engines
run interleaved (J, F, J, F, …) ``--repeat`` times, so a machine shared
with other work slows them alike; the median is reported.

Printed per clip and setting: wall time and real-time factor (wall / audio
seconds) of each engine, Jazba fp32's time over faster-whisper int8's (the
goal: ≤ 1.0; the line below gives Jazba int8's) and over fp32's, the WER of
each engine against the text that was spoken, and whether Jazba's text
tokens equal faster-whisper fp32's.
With ``--hf-dir`` (the same weights as a Transformers checkpoint) the first
window's fp32 greedy tokens are also compared with Transformers, which runs
exactly the same graph and is the exact reference.

    .venv/bin/python benchmarks/asr_speed.py --onnx-dir MODEL_ONNX --ct2-dir MODEL_CT2 \
        --hf-dir MODEL_HF --threads 2 --repeat 5

Without ``--audio``, English and Kazakh clips of about 20 s are spoken with
espeak-ng. faster-whisper is a dev dependency; this script is not part of the app.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from desktop_app.asr import DecodeOptions, WhisperOnnx  # noqa: E402
from desktop_app.asr.ort_session import physical_cores  # noqa: E402

SR = 16_000
TEXTS = {
    "en": (
        "The quick brown fox jumps over the lazy dog. Speech recognition on a laptop "
        "should be fast and private. Today we test a small Whisper model on two languages, "
        "and we compare the words it writes with a trusted reference implementation. "
        "The results are printed as a small table."
    ),
    "kk": (
        "Қазақстан Республикасы Орталық Азияда орналасқан. Бүгін ауа райы жақсы, күн ашық. "
        "Мен таңертең кітап оқимын, содан кейін жұмысқа барамын. Біздің қаламызда көптеген "
        "саябақтар мен мұражайлар бар. Кешке біз достарымызбен кездесеміз."
    ),
}


@dataclass
class Run:
    seconds: float
    text: str
    tokens: list[int]


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as wav:
        rate, channels = wav.getframerate(), wav.getnchannels()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
    audio = pcm.reshape(-1, channels).mean(axis=1).astype(np.float32) / 32768.0
    if rate != SR:
        import soxr

        audio = soxr.resample(audio, rate, SR).astype(np.float32)
    return audio


def espeak_clips(folder: Path) -> dict[str, tuple[str, np.ndarray]]:
    if shutil.which("espeak-ng") is None:
        sys.exit("espeak-ng is not installed; pass --audio LANG=FILE.wav instead")
    clips = {}
    for lang, text in TEXTS.items():
        path = folder / f"{lang}.wav"
        subprocess.run(["espeak-ng", "-v", lang, "-s", "150", "-w", str(path), text], check=True)
        clips[f"espeak-{lang}"] = (lang, read_wav(path))
    return clips


def run_jazba(model: WhisperOnnx, audio: np.ndarray, lang: str, beams: int, words: bool) -> Run:
    options = DecodeOptions(
        language=lang,
        beam_size=beams,
        temperatures=(0.0,),
        condition_on_previous_text=False,
        vad_filter=False,
        word_timestamps=words,
    )
    start = time.perf_counter()
    segments, _ = model.transcribe(audio, options)
    segments = list(segments)
    elapsed = time.perf_counter() - start
    eot = model.tokenizer.eot
    tokens = [t for s in segments for t in s.tokens if t < eot]
    return Run(elapsed, "".join(s.text for s in segments).strip(), tokens)


def run_faster_whisper(model, audio: np.ndarray, lang: str, beams: int, words: bool) -> Run:
    start = time.perf_counter()
    segments, _ = model.transcribe(
        audio,
        language=lang,
        beam_size=beams,
        best_of=1,
        temperature=[0.0],
        condition_on_previous_text=False,
        vad_filter=False,
        word_timestamps=words,
    )
    segments = list(segments)
    elapsed = time.perf_counter() - start
    tokens = [t for s in segments for t in s.tokens if t < 50257]
    return Run(elapsed, "".join(s.text for s in segments).strip(), tokens)


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate after lower-casing and removing punctuation."""
    import re

    import jiwer

    def norm(text: str) -> str:
        return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())

    return float(jiwer.wer(norm(reference), norm(hypothesis) or "<empty>"))


def transformers_parity(model: WhisperOnnx, hf_dir: Path, audio: np.ndarray, lang: str) -> str:
    """Greedy tokens of the first window: ours against Transformers (exact same graph)."""
    import torch
    from transformers import (
        GenerationConfig,
        GenerationMixin,
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
    )
    from transformers.generation.logits_process import (
        LogitsProcessorList,
        SuppressTokensAtBeginLogitsProcessor,
        SuppressTokensLogitsProcessor,
        WhisperTimeStampLogitsProcessor,
    )

    hf = WhisperForConditionalGeneration.from_pretrained(hf_dir).eval()
    gc, tok = hf.generation_config, model.tokenizer
    prompt = tok.sot_sequence(lang)
    procs = LogitsProcessorList(
        [
            SuppressTokensAtBeginLogitsProcessor(gc.begin_suppress_tokens, len(prompt)),
            SuppressTokensLogitsProcessor(gc.suppress_tokens),
            WhisperTimeStampLogitsProcessor(gc, begin_index=len(prompt)),
        ]
    )
    config = GenerationConfig(
        max_new_tokens=120,
        do_sample=False,
        eos_token_id=tok.eot,
        pad_token_id=tok.eot,
        decoder_start_token_id=tok.sot,
    )
    feats = WhisperFeatureExtractor(feature_size=model.mel.config.n_mels)(
        audio[: 30 * SR], sampling_rate=SR, return_tensors="pt"
    ).input_features
    with torch.no_grad():
        out = GenerationMixin.generate(  # plain generation: no Whisper long-form seeking
            hf,
            input_features=feats,
            decoder_input_ids=torch.tensor([prompt]),
            generation_config=config,
            logits_processor=procs,
        )
    reference = out[0].tolist()[len(prompt) :]
    reference = reference[: reference.index(tok.eot)] if tok.eot in reference else reference
    options = DecodeOptions(language=lang, temperatures=(0.0,), no_speech_threshold=None)
    ours = model.decoder.decode(model.encode(audio), options, language=lang, max_new_tokens=120)
    return "equal" if list(ours.tokens) == reference else "DIFFER"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--onnx-dir", type=Path, required=True)
    parser.add_argument("--ct2-dir", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=physical_cores() or 4)
    parser.add_argument("--beams", default="1,3", help="comma-separated beam sizes")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved timed runs (median)")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda", "auto"])
    parser.add_argument("--audio", nargs="*", default=[], help="LANG=FILE.wav")
    parser.add_argument("--words", action="store_true", help="word timestamps in both engines")
    parser.add_argument("--show-text", action="store_true")
    parser.add_argument(
        "--hf-dir",
        type=Path,
        help="the same weights as a Transformers checkpoint: check fp32 token parity (greedy)",
    )
    args = parser.parse_args()

    from faster_whisper import WhisperModel

    engines: dict[str, tuple[str, object]] = {}
    ours = WhisperOnnx(args.onnx_dir, device=args.device, threads=args.threads)
    engines["jz-fp32"] = ("jz", ours)
    if (args.onnx_dir / "decoder_model_merged_int8.onnx").is_file():
        q = WhisperOnnx(args.onnx_dir, device=args.device, threads=args.threads, quantized=True)
        engines["jz-int8"] = ("jz", q)
    fw_device = "cuda" if ours.device == "cuda" else "cpu"
    for compute in ("float32", "int8"):
        model = WhisperModel(
            str(args.ct2_dir), device=fw_device, compute_type=compute, cpu_threads=args.threads
        )
        engines[f"fw-{compute.replace('float', 'fp')}"] = ("fw", model)
    with tempfile.TemporaryDirectory() as tmp:
        clips = {
            Path(f).stem: (lang, read_wav(Path(f)), None)
            for lang, f in (a.split("=", 1) for a in args.audio)
        }
        clips = clips or {
            name: (lang, audio, TEXTS[lang])
            for name, (lang, audio) in espeak_clips(Path(tmp)).items()
        }
    print(
        f"device={ours.device} threads={args.threads} repeat={args.repeat} (median) "
        f"words={args.words} onnx={args.onnx_dir} ct2={args.ct2_dir}"
    )
    if ours.device_warning:
        print("warning:", ours.device_warning)
    names = list(engines)
    header = f"{'clip':<10}{'beam':>5}{'audio s':>8}" + "".join(f"{n + ' s':>10}" for n in names)
    header += f"{'jz/fw-int8':>11}{'jz/fw-fp32':>11}" + "".join(f"{'RTF ' + n:>13}" for n in names)
    header += "".join(f"{'WER ' + n:>13}" for n in names) + "  tokens jz-fp32 vs fw-fp32"
    print(header)

    def run(name: str, audio: np.ndarray, lang: str, beams: int) -> Run:
        kind, model = engines[name]
        if kind == "jz":
            return run_jazba(model, audio, lang, beams, args.words)  # type: ignore[arg-type]
        return run_faster_whisper(model, audio, lang, beams, args.words)

    for clip, (lang, audio, text) in clips.items():
        seconds = audio.size / SR
        for beams in (int(b) for b in args.beams.split(",")):
            for name in names:  # warm up every engine
                run(name, audio[: SR * 5], lang, beams)
            runs: dict[str, list[Run]] = {n: [] for n in names}
            for _ in range(args.repeat):
                for name in names:
                    runs[name].append(run(name, audio, lang, beams))
            wall = {n: float(np.median([r.seconds for r in rs])) for n, rs in runs.items()}
            last = {n: rs[-1] for n, rs in runs.items()}
            same = "equal" if last["jz-fp32"].tokens == last["fw-fp32"].tokens else "DIFFER"
            line = f"{clip:<10}{beams:>5}{seconds:>8.1f}" + "".join(
                f"{wall[n]:>10.2f}" for n in names
            )
            line += f"{wall['jz-fp32'] / wall['fw-int8']:>11.2f}"
            line += f"{wall['jz-fp32'] / wall['fw-fp32']:>11.2f}"
            line += "".join(f"{wall[n] / seconds:>13.3f}" for n in names)
            if text is not None:
                line += "".join(f"{wer(text, last[n].text):>13.3f}" for n in names)
            else:
                line += "".join(f"{'-':>13}" for n in names)
            print(line + f"  {same}", flush=True)
            if "jz-int8" in wall:
                print(f"{'':<10}  jz-int8/fw-int8 = {wall['jz-int8'] / wall['fw-int8']:.2f}")
            if args.show_text or same != "equal":
                for n in names:
                    print(f"    {n}: {last[n].text}")
        if args.hf_dir:
            parity = transformers_parity(ours, args.hf_dir, audio, lang)
            print(f"{clip:<10} fp32 greedy tokens, first window, vs transformers: {parity}")


if __name__ == "__main__":
    main()
