"""Jazba's ONNX Whisper engine against faster-whisper on the same weights.

Both engines get the same audio, thread count and settings (fixed language,
temperature 0 only, no VAD, no conditioning on previous text), once with
greedy search and once with beam search. Printed per clip and setting: wall
time, real-time factor (wall / audio seconds), our time over faster-whisper's,
the text tokens each produced and the wall time per token (the outputs can
differ in length, e.g. when one engine loops), and whether our text tokens
equal faster-whisper's. With ``--hf-dir`` (the same weights as a Transformers
checkpoint) the first window's fp32 greedy tokens are also compared with
Transformers, which runs exactly the same graph and is the exact reference.

    .venv/bin/python benchmarks/asr_speed.py --onnx-dir MODEL_ONNX --ct2-dir MODEL_CT2

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


def run_jazba(model: WhisperOnnx, audio: np.ndarray, lang: str, beams: int) -> Run:
    options = DecodeOptions(
        language=lang,
        beam_size=beams,
        temperatures=(0.0,),
        condition_on_previous_text=False,
        vad_filter=False,
    )
    start = time.perf_counter()
    segments, _ = model.transcribe(audio, options)
    segments = list(segments)
    elapsed = time.perf_counter() - start
    eot = model.tokenizer.eot
    tokens = [t for s in segments for t in s.tokens if t < eot]
    return Run(elapsed, "".join(s.text for s in segments).strip(), tokens)


def run_faster_whisper(model, audio: np.ndarray, lang: str, beams: int) -> Run:
    start = time.perf_counter()
    segments, _ = model.transcribe(
        audio,
        language=lang,
        beam_size=beams,
        best_of=1,
        temperature=[0.0],
        condition_on_previous_text=False,
        vad_filter=False,
        word_timestamps=False,
    )
    segments = list(segments)
    elapsed = time.perf_counter() - start
    tokens = [t for s in segments for t in s.tokens if t < 50257]
    return Run(elapsed, "".join(s.text for s in segments).strip(), tokens)


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
    parser.add_argument("--repeat", type=int, default=1, help="timed runs (best is kept)")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda", "auto"])
    parser.add_argument("--audio", nargs="*", default=[], help="LANG=FILE.wav")
    parser.add_argument("--show-text", action="store_true")
    parser.add_argument(
        "--hf-dir",
        type=Path,
        help="the same weights as a Transformers checkpoint: check fp32 token parity (greedy)",
    )
    args = parser.parse_args()

    from faster_whisper import WhisperModel

    ours = WhisperOnnx(args.onnx_dir, device=args.device, threads=args.threads)
    fw_device = "cuda" if ours.device == "cuda" else "cpu"
    reference = WhisperModel(
        str(args.ct2_dir), device=fw_device, compute_type="float32", cpu_threads=args.threads
    )
    with tempfile.TemporaryDirectory() as tmp:
        clips = {
            Path(f).stem: (lang, read_wav(Path(f)))
            for lang, f in (a.split("=", 1) for a in args.audio)
        }
        clips = clips or espeak_clips(Path(tmp))
    print(f"device={ours.device} threads={args.threads} onnx={args.onnx_dir} ct2={args.ct2_dir}")
    if ours.device_warning:
        print("warning:", ours.device_warning)
    header = (
        f"{'clip':<12}{'beam':>5}{'audio s':>9}{'jazba s':>9}{'fw s':>8}"
        f"{'RTF jz':>8}{'RTF fw':>8}{'jz/fw':>7}{'tok jz':>8}{'tok fw':>8}"
        f"{'ms/tok jz':>10}{'ms/tok fw':>10}  tokens vs fw"
    )
    print(header)
    for name, (lang, audio) in clips.items():
        seconds = audio.size / SR
        for beams in (int(b) for b in args.beams.split(",")):
            run_jazba(ours, audio[: SR * 5], lang, beams)  # warm up both engines
            run_faster_whisper(reference, audio[: SR * 5], lang, beams)
            jz = min(
                (run_jazba(ours, audio, lang, beams) for _ in range(args.repeat)),
                key=lambda r: r.seconds,
            )
            fw = min(
                (run_faster_whisper(reference, audio, lang, beams) for _ in range(args.repeat)),
                key=lambda r: r.seconds,
            )
            same = "equal" if jz.tokens == fw.tokens else "DIFFER"
            print(
                f"{name:<12}{beams:>5}{seconds:>9.1f}{jz.seconds:>9.2f}{fw.seconds:>8.2f}"
                f"{jz.seconds / seconds:>8.3f}{fw.seconds / seconds:>8.3f}"
                f"{jz.seconds / fw.seconds:>7.2f}{len(jz.tokens):>8}{len(fw.tokens):>8}"
                f"{1000 * jz.seconds / max(1, len(jz.tokens)):>10.1f}"
                f"{1000 * fw.seconds / max(1, len(fw.tokens)):>10.1f}  {same}"
            )
            if args.show_text or same != "equal":
                print(f"    jazba: {jz.text}\n    fw:    {fw.text}")
        if args.hf_dir:
            parity = transformers_parity(ours, args.hf_dir, audio, lang)
            print(f"{name:<12} fp32 greedy tokens, first window, vs transformers: {parity}")


if __name__ == "__main__":
    main()
