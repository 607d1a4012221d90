"""Frozen-encoder speed-up: the decoder's cross-attention keys and values, computed once.

With the encoder frozen (and no SpecAugment) the encoder output of a clip
never changes. If the cross-attention key/value projections are frozen too,
their outputs are constants as well: each clip's keys and values (every
decoder layer, all 1500 encoder frames) are computed once and fed to the
decoder through its cache. A training step then costs the decoder's own
work only, several times less on a CPU; the self-attention, queries,
cross-attention output projections and feed-forward layers still learn.
"""

from __future__ import annotations

from typing import Any

import torch
from transformers.cache_utils import DynamicCache, EncoderDecoderCache


def freeze_cross_kv(whisper: Any) -> None:
    for layer in whisper.model.decoder.layers:
        layer.encoder_attn.k_proj.requires_grad_(False)
        layer.encoder_attn.v_proj.requires_grad_(False)


@torch.no_grad()
def cross_kv(whisper: Any, hidden: torch.Tensor) -> torch.Tensor:
    """``(batch, layers, 2, frames, d_model)`` keys and values of ``hidden``."""
    per_layer = []
    for layer in whisper.model.decoder.layers:
        attn = layer.encoder_attn
        per_layer.append(torch.stack([attn.k_proj(hidden), attn.v_proj(hidden)], 1))
    return torch.stack(per_layer, 1)


def make_cache(kv: torch.Tensor, heads: int) -> EncoderDecoderCache:
    """A decoder cache whose cross-attention part holds ``kv`` (from :func:`cross_kv`)."""
    batch, layers, _two, frames, d_model = kv.shape
    cross = DynamicCache()
    cache = EncoderDecoderCache(DynamicCache(), cross)
    for i in range(layers):
        k, v = (
            kv[:, i, j].reshape(batch, frames, heads, d_model // heads).transpose(1, 2)
            for j in (0, 1)
        )
        cross.update(k.contiguous(), v.contiguous(), i)
        cache.is_updated[i] = True
    return cache
