"""Benchmark: one frozen-encoder fine-tuning step in fp32 against bf16 autocast.

Times what the training process does per clip and per update with the
default Whisper base weights, in both precisions, in the same run:

* encoding a clip once (encoder plus the cached cross-attention keys/values);
* one update of the decoder on a batch (forward, backward, AdamW).

::

    .venv/bin/python benchmarks/finetune_precision.py --base HF_DIR [--threads 2]
        [--batch 16] [--tokens 100] [--repeat 3]

``HF_DIR`` is a Hugging Face Whisper folder, e.g. a run's
``<data dir>/training/base/<model id>``. Prints medians and the bf16/fp32
ratios, and whether this CPU has native bf16 (the condition under which
``precision="auto"`` picks bf16 on a CPU).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--tokens", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import torch
    from transformers import WhisperForConditionalGeneration

    from desktop_app.training.cross_cache import cross_kv, freeze_cross_kv, make_cache
    from desktop_app.training.precision import cpu_has_bf16

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = WhisperForConditionalGeneration.from_pretrained(args.base)
    model.model.encoder.requires_grad_(False)
    freeze_cross_kv(model)
    model.config.use_cache = False
    heads = model.config.decoder_attention_heads
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-6)
    feats = torch.randn(4, model.config.num_mel_bins, 3000)
    tokens = torch.randint(0, 50_000, (args.batch, args.tokens))
    with torch.no_grad():
        kv = cross_kv(model, model.model.encoder(feats[:1]).last_hidden_state)
    kv = kv.expand(args.batch, -1, -1, -1, -1).to(torch.float16)

    def encode(dtype: torch.dtype) -> float:
        t = time.perf_counter()
        with torch.no_grad(), torch.autocast("cpu", dtype=dtype, enabled=dtype != torch.float32):
            cross_kv(model, model.model.encoder(feats).last_hidden_state)
        return (time.perf_counter() - t) / len(feats)

    def update(dtype: torch.dtype) -> float:
        t = time.perf_counter()
        with torch.autocast("cpu", dtype=dtype, enabled=dtype != torch.float32):
            out = model(
                encoder_outputs=(torch.zeros(args.batch, 1, model.config.d_model),),
                past_key_values=make_cache(kv.float(), heads),
                decoder_input_ids=tokens,
                labels=tokens,
                use_cache=True,
            )
        out.loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return time.perf_counter() - t

    results: dict[str, dict[str, float]] = {}
    for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        encode(dtype), update(dtype)  # warm-up
        enc = [encode(dtype) for _ in range(args.repeat)]
        upd = [update(dtype) for _ in range(args.repeat)]
        results[name] = {"encode": statistics.median(enc), "update": statistics.median(upd)}
        print(
            f"{name}: encode {results[name]['encode']:.3f} s/clip, update "
            f"{results[name]['update']:.2f} s (batch {args.batch} × {args.tokens} tokens)",
            flush=True,
        )
    ratio_enc = results["bf16"]["encode"] / results["fp32"]["encode"]
    ratio_upd = results["bf16"]["update"] / results["fp32"]["update"]
    print(f"bf16/fp32: encode {ratio_enc:.2f}, update {ratio_upd:.2f}")
    print(f"Native bf16 on this CPU: {cpu_has_bf16()} ({args.threads} threads)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
