"""Jazba's ONNX CTC engine against PyTorch on the same wav2vec2 weights and audio.

The model is ``--hf DIR`` (any ``*ForCTC`` checkpoint; MMS with ``--target-lang``)
or, without it, a randomly initialised wav2vec2 built here: ``--size base``
has wav2vec2-base's shape (12 layers of width 768, 95 M parameters),
``--size tiny`` the test suite's (2 layers of width 32). It is exported with
``export_ctc`` (fp32, validated) and ``build_ctc_int8`` into a temporary folder.

Audio: Kazakh sentences from ``shared/kk_sentences_dev.txt`` spoken by
espeak-ng (``-v kk``) and joined to about ``--seconds`` seconds, or noise
when espeak-ng is missing. PyTorch (``model(input_values).logits``) and the
engine's ``CtcOnnx.logprobs`` (fp32, int8 as built, and int8 with the
feature encoder quantised too, ``build_ctc_int8(quantize_convs=True)``) run on the
same normalised clip with the same thread count, interleaved, ``--repeat``
times; medians are reported, with the ratio ONNX / PyTorch (the goal: ≤ 0.5
on the CPU). As a yardstick for fp32, the same ratio is measured for one
plain matrix product of the model's feed-forward shape (frames x hidden by
hidden x intermediate), for the widest feature-encoder convolution and for
one layer's self-attention (:func:`yardsticks`). An fp32 graph doing
PyTorch's arithmetic lands between these ratios.
Also printed: whether the greedy label sequences of ONNX fp32 and PyTorch
are identical, int8's agreement with fp32 (frames whose best label differs,
CER of the greedy labels), and the full ``transcribe()`` time (greedy and a
beam of 8: windows, decoding, word alignment).

    .venv/bin/python benchmarks/ctc_speed.py --size base --threads 2 --repeat 5
    .venv/bin/python benchmarks/ctc_speed.py --hf ~/models/wav2vec2-xls-r-kk --threads 2
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from desktop_app.asr.ctc import CtcOnnx, collapse  # noqa: E402
from desktop_app.asr.manifest import CTC_INT8_FILE  # noqa: E402
from desktop_app.asr.options import DecodeOptions  # noqa: E402
from desktop_app.modelbuild.ctc_check import character_error_rate, normalize  # noqa: E402
from desktop_app.modelbuild.export_ctc import build_ctc_int8, export_ctc  # noqa: E402

SR = 16_000
SENTENCES = ROOT.parent / "shared" / "kk_sentences_dev.txt"


def read_wav(path: Path) -> np.ndarray:
    import soxr

    with wave.open(str(path)) as wav:
        rate = wav.getframerate()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
    return soxr.resample(pcm.astype(np.float32) / 32768.0, rate, SR).astype(np.float32)


def kazakh_speech(folder: Path, seconds: float) -> tuple[str, np.ndarray]:
    """espeak-ng Kazakh sentences, joined with short pauses, up to ``seconds``."""
    if shutil.which("espeak-ng") is None or not SENTENCES.is_file():
        rng = np.random.default_rng(0)
        return "noise", (0.1 * rng.standard_normal(int(seconds * SR))).astype(np.float32)
    pieces: list[np.ndarray] = []
    lines = [s.strip() for s in SENTENCES.read_text(encoding="utf-8").splitlines() if s.strip()]
    for i, text in enumerate(lines * 4):
        path = folder / f"kk{i}.wav"
        subprocess.run(["espeak-ng", "-v", "kk", "-s", "150", "-w", str(path), text], check=True)
        pieces += [read_wav(path), np.zeros(SR // 4, np.float32)]
        if sum(p.size for p in pieces) >= seconds * SR:
            break
    return "espeak-ng kk", np.concatenate(pieces)[: int(seconds * SR)]


def random_model(folder: Path, size: str) -> Path:
    """A randomly initialised wav2vec2 CTC checkpoint with a Kazakh letter vocabulary."""
    import torch
    from transformers import Wav2Vec2Config, Wav2Vec2ForCTC

    from tests.asr.ctc_model import build_tiny_ctc_hf

    build_tiny_ctc_hf(folder)
    if size == "tiny":
        return folder
    torch.manual_seed(0)
    config = Wav2Vec2Config.from_pretrained(folder)
    config.update(
        {
            "hidden_size": 768,
            "num_hidden_layers": 12,
            "num_attention_heads": 12,
            "intermediate_size": 3072,
            "conv_dim": (512,) * 7,
            "num_conv_pos_embeddings": 128,
            "num_conv_pos_embedding_groups": 16,
        }
    )
    Wav2Vec2ForCTC(config).eval().save_pretrained(folder)
    return folder


def median_time(fn: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def _ort_session(nodes: list, inputs: dict[str, list], inits: dict[str, np.ndarray], threads: int):
    """One-op ONNX Runtime session (the engine's session options) for a yardstick."""
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    from desktop_app.asr.ort_session import make_session_options

    graph = helper.make_graph(
        nodes,
        "yardstick",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, shape) for n, shape in inputs.items()],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(v, n) for n, v in inits.items()],
    )
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    model = helper.make_model(graph, opset_imports=opsets)
    options = make_session_options(threads)
    return ort.InferenceSession(model.SerializeToString(), options, ["CPUExecutionProvider"])


def yardsticks(config: object, frames: int, threads: int, repeat: int) -> dict[str, float]:
    """ONNX Runtime / PyTorch time for the model's three kinds of work, one op each.

    The feed-forward's matrix product (frames x hidden by hidden x
    intermediate), the widest feature-encoder convolution (kernel 3, stride 2,
    on the second layer's input) and one layer's self-attention. A whole fp32
    graph doing PyTorch's arithmetic lands between these ratios.
    """
    import torch
    from onnx import helper

    rng = np.random.default_rng(0)
    hidden, inner = config.hidden_size, config.intermediate_size  # type: ignore[attr-defined]
    heads, width = config.num_attention_heads, config.conv_dim[1]  # type: ignore[attr-defined]
    cases: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {}

    a = rng.standard_normal((frames, hidden)).astype(np.float32)
    b = rng.standard_normal((hidden, inner)).astype(np.float32)
    gemm = _ort_session(
        [helper.make_node("MatMul", ["a", "b"], ["y"])], {"a": [frames, hidden]}, {"b": b}, threads
    )
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    cases["matmul"] = (lambda: gemm.run(None, {"a": a}), lambda: ta @ tb)

    x = rng.standard_normal((1, width, frames * 64)).astype(np.float32)
    w = (0.05 * rng.standard_normal((width, width, 3))).astype(np.float32)
    node = helper.make_node("Conv", ["x", "w"], ["y"], kernel_shape=[3], strides=[2])
    conv = _ort_session([node], {"x": [1, width, "t"]}, {"w": w}, threads)
    tx, tw = torch.from_numpy(x), torch.from_numpy(w)
    cases["conv"] = (
        lambda: conv.run(None, {"x": x}),
        lambda: torch.nn.functional.conv1d(tx, tw, stride=2),
    )

    qkv = [rng.standard_normal((1, frames, hidden)).astype(np.float32) for _ in range(3)]
    node = helper.make_node(
        "MultiHeadAttention",
        ["q", "k", "v", "bias"],
        ["y"],
        domain="com.microsoft",
        num_heads=heads,
        scale=float((hidden // heads) ** -0.5),
    )
    shape = [1, frames, hidden]
    mha = _ort_session(
        [node],
        {"q": shape, "k": shape, "v": shape},
        {"bias": np.zeros(3 * hidden, np.float32)},
        threads,
    )
    tq, tk, tv = (torch.from_numpy(t).view(1, frames, heads, -1).transpose(1, 2) for t in qkv)
    cases["attention"] = (
        lambda: mha.run(None, dict(zip("qkv", qkv, strict=True))),
        lambda: (
            torch.nn.functional.scaled_dot_product_attention(tq, tk, tv)
            .transpose(1, 2)
            .reshape(1, frames, hidden)
        ),
    )
    ratios = {}
    for name, (ort_fn, torch_fn) in cases.items():
        times: dict[str, list[float]] = {"ort": [], "torch": []}
        ort_fn(), torch_fn()
        for _ in range(max(5, repeat)):
            times["ort"] += median_time(ort_fn, 1)
            times["torch"] += median_time(torch_fn, 1)
        ratios[name] = statistics.median(times["ort"]) / statistics.median(times["torch"])
    return ratios


def int8_with_convs(onnx_dir: Path, folder: Path) -> dict[str, float]:
    """The int8 graph with the feature encoder's convolutions quantised too, in ``folder``."""
    _, check = build_ctc_int8(onnx_dir, quantize_convs=True)
    folder.mkdir()
    for path in onnx_dir.iterdir():
        if path.is_file() and path.suffix == ".json":
            shutil.copyfile(path, folder / path.name)
    (onnx_dir / CTC_INT8_FILE).replace(folder / CTC_INT8_FILE)
    return check


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hf", type=Path, default=None, help="a *ForCTC checkpoint folder")
    parser.add_argument("--target-lang", default=None, help="MMS adapter language (kaz)")
    parser.add_argument("--size", choices=("tiny", "base"), default="base")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import torch
    from transformers import AutoModelForCTC

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="ctc-speed-") as tmp:
        work = Path(tmp)
        hf = args.hf or random_model(work / "hf", args.size)
        started = time.perf_counter()
        export_ctc(hf, work / "onnx", target_lang=args.target_lang)
        export_s = time.perf_counter() - started
        int8t_check = int8_with_convs(work / "onnx", work / "int8t")
        _, int8_check = build_ctc_int8(work / "onnx")
        source, audio = kazakh_speech(work, args.seconds)
        seconds = audio.size / SR

        extra = {"target_lang": args.target_lang, "ignore_mismatched_sizes": True}
        model = AutoModelForCTC.from_pretrained(hf, **(extra if args.target_lang else {})).eval()
        fp32 = CtcOnnx(work / "onnx", device="cpu", threads=args.threads)
        int8 = CtcOnnx(work / "onnx", device="cpu", threads=args.threads, quantized=True)
        int8t = CtcOnnx(work / "int8t", device="cpu", threads=args.threads, quantized=True)
        values = torch.from_numpy(normalize(audio)[None])

        def run_torch() -> np.ndarray:
            with torch.inference_mode():
                return torch.log_softmax(model(values).logits[0], -1).numpy()

        ref, got, got8 = run_torch(), fp32.logprobs(audio), int8.logprobs(audio)
        got8t = int8t.logprobs(audio)
        blank = fp32.config.blank_id
        timings: dict[str, list[float]] = {"torch": [], "fp32": [], "int8": [], "int8t": []}
        for _ in range(args.repeat):  # interleaved, so a busy machine slows all alike
            timings["torch"] += median_time(run_torch, 1)
            timings["fp32"] += median_time(lambda: fp32.logprobs(audio), 1)
            timings["int8"] += median_time(lambda: int8.logprobs(audio), 1)
            timings["int8t"] += median_time(lambda: int8t.logprobs(audio), 1)
        med = {k: statistics.median(v) for k, v in timings.items()}
        greedy = {
            beam: statistics.median(
                median_time(
                    lambda b=beam: list(fp32.transcribe(audio, DecodeOptions(beam_size=b))[0]),
                    max(1, args.repeat // 2),
                )
            )
            for beam in (1, 8)
        }
        with torch.inference_mode():
            sticks = yardsticks(model.config, ref.shape[0], args.threads, args.repeat)

    labels_ref, labels_fp32 = collapse(ref.argmax(-1), blank), collapse(got.argmax(-1), blank)
    name = str(args.hf) if args.hf else f"random wav2vec2 ({args.size})"
    print(f"model: {name}; audio: {source}, {seconds:.1f} s; threads: {args.threads}")
    print(f"export (fp32, validated): {export_s:.1f} s")
    print(f"int8 check on the probe: {int8_check}")
    print(f"int8 + feature encoder check on the probe: {int8t_check}")
    print(f"max |logprob| difference ONNX fp32 vs PyTorch: {np.abs(ref - got).max():.2e}")
    print(f"greedy labels identical ONNX fp32 vs PyTorch: {labels_ref == labels_fp32}")
    for key in ("torch", "fp32", "int8", "int8t"):
        print(f"  {key:5s} forward: {med[key] * 1000:8.1f} ms  (RTF {med[key] / seconds:.4f})")
    print(f"ratio ONNX fp32 / PyTorch: {med['fp32'] / med['torch']:.2f}  (goal <= 0.5)")
    print(f"ratio ONNX int8 / PyTorch: {med['int8'] / med['torch']:.2f}")
    print(f"ratio ONNX int8 + feature encoder / PyTorch: {med['int8t'] / med['torch']:.2f}")
    parts = ", ".join(f"{name} {ratio:.2f}" for name, ratio in sticks.items())
    print(f"yardsticks, one fp32 op of the model's shapes, ONNX / PyTorch: {parts}")
    for name, other in (("int8", got8), ("int8 + feature encoder", got8t)):
        frames = float((got.argmax(-1) != other.argmax(-1)).mean())
        cer = character_error_rate(labels_fp32, collapse(other.argmax(-1), blank))
        print(f"{name} vs fp32: {frames:.1%} of frames differ, greedy CER {cer:.3f}")
    print(f"transcribe() fp32: greedy {greedy[1]:.3f} s, beam 8 {greedy[8]:.3f} s")


if __name__ == "__main__":
    main()
