"""A small GPT-style decoder over speech units, and its ONNX export.

Vocabulary: the K units plus a begin-of-sequence token (id ``K``) that only
appears as input; the head predicts the K units, so a model that learned
nothing scores ``ln K`` nats per unit (perplexity K, the uniform bound).
Attention is written out by hand (no fused kernels) so PyTorch and the
exported graph compute the same thing.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from desktop_app.units.registry import LMShape


class Block(nn.Module):
    def __init__(self, shape: LMShape) -> None:
        super().__init__()
        d = shape.d_model
        self.n_head = shape.n_head
        self.head_dim = d // shape.n_head
        self.scale = 1.0 / math.sqrt(self.head_dim)
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
        self.drop = nn.Dropout(shape.dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        q, k, v = self.qkv(self.ln1(x)).chunk(3, dim=2)
        hd = self.head_dim
        q = q.view(b, t, self.n_head, hd).transpose(1, 2)
        k = k.view(b, t, self.n_head, hd).transpose(1, 2)
        v = v.view(b, t, self.n_head, hd).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * self.scale + mask
        att = self.drop(torch.softmax(att, dim=-1))
        y = (att @ v).transpose(1, 2).reshape(b, t, c)
        x = x + self.drop(self.proj(y))
        return x + self.drop(self.mlp(self.ln2(x)))


class UnitGPT(nn.Module):
    """``units (B, T) -> logits (B, T, K)`` for the next unit at each position."""

    def __init__(self, k: int, shape: LMShape) -> None:
        super().__init__()
        if shape.d_model % shape.n_head:
            raise ValueError("d_model must be a multiple of n_head")
        self.k = k
        self.shape = shape
        self.tok = nn.Embedding(k + 1, shape.d_model)  # + BOS
        self.pos = nn.Embedding(shape.context, shape.d_model)
        self.drop = nn.Dropout(shape.dropout)
        self.blocks = nn.ModuleList(Block(shape) for _ in range(shape.n_layer))
        self.ln_f = nn.LayerNorm(shape.d_model)
        self.head = nn.Linear(shape.d_model, k)
        causal = torch.full((shape.context, shape.context), float("-inf")).triu(1)
        self.register_buffer("mask", causal, persistent=False)
        self.apply(self._init)

    @staticmethod
    def _init(module: nn.Module) -> None:
        if isinstance(module, nn.Linear | nn.Embedding):
            nn.init.normal_(module.weight, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(self, units: torch.Tensor) -> torch.Tensor:
        t = units.shape[1]
        pos = torch.arange(t, device=units.device)
        x = self.drop(self.tok(units) + self.pos(pos)[None])
        mask = self.mask[:t, :t]
        for block in self.blocks:
            x = block(x, mask)
        return self.head(self.ln_f(x))


class SequenceNLL(nn.Module):
    """``units (B, T)`` (BOS first) -> ``nll (B, T-1)``: what ``unit_lm.onnx`` computes."""

    def __init__(self, lm: UnitGPT) -> None:
        super().__init__()
        self.lm = lm

    def forward(self, units: torch.Tensor) -> torch.Tensor:
        logp = F.log_softmax(self.lm(units[:, :-1]), dim=-1)
        return -logp.gather(-1, units[:, 1:].unsqueeze(-1)).squeeze(-1)


def export_onnx(lm: UnitGPT, path: Path, opset: int = 17) -> Path:
    """Export the sequence-NLL graph with dynamic batch and length.

    Uses the TorchScript exporter: the torch.export-based one needs onnxscript,
    which Jazba does not install, and this small graph has no control flow.
    """
    wrapper = SequenceNLL(lm).eval()
    example = torch.randint(0, lm.k, (2, min(16, lm.shape.context)), dtype=torch.long)
    example[:, 0] = lm.k
    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad(), warnings.catch_warnings():
        # The TorchScript exporter announces its own deprecation in several places.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            wrapper,
            (example,),
            str(path),
            input_names=["units"],
            output_names=["nll"],
            dynamic_axes={"units": {0: "batch", 1: "tokens"}, "nll": {0: "batch", 1: "predicted"}},
            opset_version=opset,
            dynamo=False,
        )
    return path
