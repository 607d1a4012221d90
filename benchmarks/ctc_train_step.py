"""Time CTC fine-tuning steps of a wav2vec2-base-sized model on CUDA and on the CPU.

Self-contained (torch + transformers only, random weights, random audio), so it
runs on a machine that has neither Jazba's environment nor the models: it tells
how fast the learning loop's CTC path (CTC loss, feature encoder frozen, bf16
autocast on CUDA) can go on that hardware. Prints seconds per step and audio
seconds trained per wall second for each device.

    python benchmarks/ctc_train_step.py --batch 8 --seconds 10 --steps 10
"""

from __future__ import annotations

import argparse
import time

import torch
from transformers import Wav2Vec2Config, Wav2Vec2ForCTC


def model() -> Wav2Vec2ForCTC:
    config = Wav2Vec2Config(
        vocab_size=40,
        hidden_size=768,
        num_hidden_layers=12,
        num_attention_heads=12,
        intermediate_size=3072,
        ctc_loss_reduction="mean",
        ctc_zero_infinity=True,
        pad_token_id=0,
        mask_time_prob=0.05,
    )
    net = Wav2Vec2ForCTC(config)
    net.freeze_feature_encoder()
    return net


def run(device: str, batch: int, seconds: float, steps: int) -> tuple[float, float]:
    torch.manual_seed(0)
    net = model().to(device).train()
    opt = torch.optim.AdamW([p for p in net.parameters() if p.requires_grad], lr=5e-5)
    x = torch.randn(batch, int(seconds * 16000), device=device)
    labels = torch.randint(1, 40, (batch, int(seconds * 12)), device=device)
    amp = torch.autocast("cuda", dtype=torch.bfloat16) if device == "cuda" else None
    times = []
    for step in range(steps + 2):
        if device == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter()
        if amp is not None:
            with amp:
                loss = net(x, labels=labels).loss
        else:
            loss = net(x, labels=labels).loss
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        if device == "cuda":
            torch.cuda.synchronize()
        if step >= 2:  # the first steps warm up kernels and allocators
            times.append(time.perf_counter() - t)
    per_step = sorted(times)[len(times) // 2]
    return per_step, batch * seconds / per_step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--cpu-steps", type=int, default=2)
    args = parser.parse_args()
    print(f"torch {torch.__version__}; batch {args.batch} x {args.seconds:g} s of audio")
    results = {}
    if torch.cuda.is_available():
        results["cuda"] = run("cuda", args.batch, args.seconds, args.steps)
        print(
            f"cuda ({torch.cuda.get_device_name()}): {results['cuda'][0]:.3f} s/step, "
            f"{results['cuda'][1]:.0f} audio s per s"
        )
    results["cpu"] = run("cpu", args.batch, args.seconds, args.cpu_steps)
    print(
        f"cpu ({torch.get_num_threads()} threads): {results['cpu'][0]:.3f} s/step, "
        f"{results['cpu'][1]:.1f} audio s per s"
    )
    if "cuda" in results:
        print(f"ratio cuda / cpu time per step: {results['cuda'][0] / results['cpu'][0]:.3f}")


if __name__ == "__main__":
    main()
