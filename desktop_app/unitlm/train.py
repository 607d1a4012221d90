"""Train the unit LM on unit sequences, evaluate it, export it and check the export.

Spec (JSON, written by the app)::

    {"units": ["<cache>/<key>.npy", ...], "k": 100, "collapse": true,
     "lm": LMShape, "steps": null (auto), "batch_size": 16, "lr": 0.002, "seed": 0,
     "heldout": 0.1, "device": "auto", "threads": null}

Every recording's units (collapsed if asked) are cut into pieces of at most
``context - 1`` units; a random ``heldout`` share of the pieces (at least one)
is kept out of training. It is evaluated ten times during training and the
checkpoint with the best held-out NLL is kept (small corpora overfit fast);
reported are its held-out NLL/perplexity, an add-one unigram model fitted on
the training pieces and the uniform bound ``ln K``. Loss is reported every
10 steps; SIGTERM (cancel) stops it.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from desktop_app.core.errors import JazbaError, ModelError
from desktop_app.unitlm.model import SequenceNLL, UnitGPT, export_onnx
from desktop_app.units.codebook import collapse as collapse_units
from desktop_app.units.registry import LMShape
from desktop_app.units.scorer import LM_FILE, UnitLMScorer, unigram_nll

ProgressFn = Callable[[float, str], None]
MetricsFn = Callable[[int, dict[str, float]], None]
PARITY_TOL = 1e-3


def pieces_of(sequences: list[np.ndarray], context: int, min_len: int = 2) -> list[np.ndarray]:
    step = context - 1
    out = []
    for seq in sequences:
        for i in range(0, len(seq), step):
            piece = np.asarray(seq[i : i + step], dtype=np.int64)
            if piece.size >= min_len:
                out.append(piece)
    return out


def split_heldout(
    pieces: list[np.ndarray], fraction: float, seed: int
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    if len(pieces) < 2:
        raise JazbaError(
            "Too little audio to train a unit LM: need at least two pieces of units "
            "(a few seconds of speech); add recordings."
        )
    order = np.random.default_rng(seed).permutation(len(pieces))
    n_held = min(len(pieces) - 1, max(1, round(fraction * len(pieces))))
    held = [pieces[i] for i in order[:n_held]]
    train = [pieces[i] for i in order[n_held:]]
    return train, held


def batch_tensors(pieces: list[np.ndarray], bos: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs ``[BOS, u1 .. u(n-1)]`` and targets ``[u1 .. un]``, padded (-100 = ignored)."""
    width = max(p.size for p in pieces)
    inputs = np.full((len(pieces), width), bos, dtype=np.int64)
    targets = np.full((len(pieces), width), -100, dtype=np.int64)
    for row, p in enumerate(pieces):
        inputs[row, 0] = bos
        inputs[row, 1 : p.size] = p[:-1]
        targets[row, : p.size] = p
    return torch.from_numpy(inputs), torch.from_numpy(targets)


@torch.no_grad()
def mean_nll(model: UnitGPT, pieces: list[np.ndarray], device: torch.device) -> tuple[float, int]:
    """Total NLL (nats) and token count of ``pieces`` under ``model`` (eval mode)."""
    model.eval()
    total, count = 0.0, 0
    for start in range(0, len(pieces), 32):
        x, y = batch_tensors(pieces[start : start + 32], model.k)
        logits = model(x.to(device))
        loss = F.cross_entropy(
            logits.reshape(-1, model.k), y.to(device).reshape(-1), reduction="sum"
        )
        total += float(loss)
        count += int((y != -100).sum())
    return total, count


def auto_steps(pieces: list[np.ndarray], batch_size: int, epochs: float = 15.0) -> int:
    """About ``epochs`` passes over the training units, between 100 and 3000 steps."""
    per_epoch = len(pieces) / max(1, batch_size)
    return int(min(3000, max(100, round(epochs * per_epoch))))


def _pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ModelError("CUDA was requested for training, but PyTorch sees no GPU.")
    return torch.device(name)


def train(
    spec: dict[str, Any], out: Path, progress: ProgressFn, metrics: MetricsFn
) -> dict[str, Any]:
    k = int(spec["k"])
    shape = LMShape(**spec.get("lm", {}))
    seed = int(spec.get("seed", 0))
    torch.manual_seed(seed)
    if spec.get("threads"):
        torch.set_num_threads(int(spec["threads"]))
    device = _pick_device(str(spec.get("device", "auto")))
    sequences = []
    for path in spec["units"]:
        units = np.load(path, allow_pickle=False).astype(np.int64)
        if units.size and (units.min() < 0 or units.max() >= k):
            raise ModelError(f"'{Path(path).name}' holds units outside 0..{k - 1}.")
        sequences.append(collapse_units(units) if spec.get("collapse", True) else units)
    train_pieces, held = split_heldout(
        pieces_of(sequences, shape.context), float(spec.get("heldout", 0.1)), seed
    )
    model = UnitGPT(k, shape).to(device)
    batch_size = int(spec.get("batch_size", 16))
    steps = int(spec.get("steps") or auto_steps(train_pieces, batch_size))
    lr = float(spec.get("lr", 2e-3))
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01, betas=(0.9, 0.98))
    warmup = max(1, min(100, steps // 10))

    def lr_at(step: int) -> float:
        if step < warmup:
            return lr * (step + 1) / warmup
        return lr * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))

    rng = np.random.default_rng(seed)
    eval_every = max(10, steps // 10)
    best: tuple[float, int, dict[str, Any]] = (float("inf"), -1, model.state_dict())
    t0 = time.perf_counter()
    progress(0.0, f"Training the unit LM ({sum(p.numel() for p in model.parameters())} weights)")
    loss_value = float("nan")
    for step in range(steps):
        model.train()
        for group in opt.param_groups:
            group["lr"] = lr_at(step)
        idx = rng.integers(0, len(train_pieces), size=batch_size)
        x, y = batch_tensors([train_pieces[i] for i in idx], k)
        logits = model(x.to(device))
        loss = F.cross_entropy(logits.reshape(-1, k), y.to(device).reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        loss_value = float(loss)
        values = {"loss": loss_value, "lr": lr_at(step)}
        if (step + 1) % eval_every == 0 or step == steps - 1:
            total, count = mean_nll(model, held, device)
            values["heldout_nll"] = total / max(1, count)
            if values["heldout_nll"] < best[0]:
                best = (values["heldout_nll"], step, copy.deepcopy(model.state_dict()))
        if step % 10 == 0 or "heldout_nll" in values:
            metrics(step, values)
            progress(0.9 * (step + 1) / steps, f"Step {step + 1}/{steps}, loss {loss_value:.3f}")
    train_s = time.perf_counter() - t0
    model.load_state_dict(best[2])  # the checkpoint with the best held-out NLL
    held_total, held_count = mean_nll(model, held, device)
    uni = unigram_nll(train_pieces, held, k)

    progress(0.92, "Exporting to ONNX")
    model = model.cpu().eval()
    graph = export_onnx(model, out / LM_FILE)
    progress(0.96, "Checking the ONNX graph against PyTorch")
    diff = parity(model, graph, held[:16])
    if diff > PARITY_TOL:
        raise ModelError(f"The exported unit LM differs from PyTorch by {diff:.2g} nats.")
    held_nll = held_total / max(1, held_count)
    progress(1.0, "Unit LM trained")
    return {
        "k": k,
        "params": int(sum(p.numel() for p in model.parameters())),
        "train_pieces": len(train_pieces),
        "train_tokens": int(sum(p.size for p in train_pieces)),
        "heldout_pieces": len(held),
        "heldout_tokens": held_count,
        "heldout_nll": held_nll,
        "heldout_ppl": math.exp(held_nll),
        "unigram_nll": uni.mean_nll,
        "unigram_ppl": uni.perplexity,
        "uniform_ppl": float(k),
        "final_train_loss": loss_value,
        "steps": steps,
        "best_step": best[1],
        "train_seconds": train_s,
        "device": str(device),
        "onnx_max_abs_diff": diff,
    }


def parity(model: UnitGPT, graph: Path, pieces: list[np.ndarray]) -> float:
    """Largest |NLL(PyTorch) - NLL(ONNX Runtime)| per token over ``pieces``."""
    scorer = UnitLMScorer(graph, model.k, model.shape.context, device="cpu")
    wrapper = SequenceNLL(model).eval()
    worst = 0.0
    for p in pieces:
        seq = np.concatenate([[model.k], p]).astype(np.int64)[None]
        with torch.no_grad():
            ref = wrapper(torch.from_numpy(seq)).numpy()
        worst = max(worst, float(np.max(np.abs(scorer.token_nll(seq) - ref))))
    return worst
