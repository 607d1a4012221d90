"""Greedy decoding in PyTorch, for the dev WER during training and ``evaluate``.

A small loop of our own (not ``generate``): the forced prefix is fed once,
then one token per step with the key/value cache, until every row has said
``<|endoftext|>``. It works the same for plain, LoRA-wrapped and
mixed-precision models.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from desktop_app.core.learning.metrics import Scores, Utterance, score
from desktop_app.training.data import LabelMaker


@torch.no_grad()
def greedy(
    model: Any,
    inputs: dict[str, Any],
    labels: LabelMaker,
    max_new_tokens: int,
) -> list[list[int]]:
    """Token ids (prefix excluded, up to and without eot) for each row.

    ``inputs`` is ``{"encoder_outputs": (hidden,)}``, optionally with a
    ``past_key_values`` cache already holding the cross-attention keys/values.
    """
    encoder_hidden = inputs["encoder_outputs"][0]
    rows = encoder_hidden.shape[0]
    prefix = torch.tensor([labels.prefix] * rows, device=encoder_hidden.device)
    out = model(**inputs, decoder_input_ids=prefix, use_cache=True)
    past = out.past_key_values
    nxt = out.logits[:, -1].argmax(-1)
    tokens = [nxt]
    done = nxt == labels.eot
    for _ in range(max_new_tokens - 1):
        if bool(done.all()):
            break
        out = model(
            encoder_outputs=(encoder_hidden,),
            decoder_input_ids=nxt[:, None],
            past_key_values=past,
            use_cache=True,
        )
        past = out.past_key_values
        nxt = out.logits[:, -1].argmax(-1)
        nxt = torch.where(done, torch.full_like(nxt, labels.eot), nxt)
        tokens.append(nxt)
        done |= nxt == labels.eot
    ids = torch.stack(tokens, 1).tolist()
    return [row[: row.index(labels.eot)] if labels.eot in row else row for row in ids]


def transcribe_batches(
    model: Any,
    count: int,
    decoder_inputs: Callable[[list[int]], dict[str, Any]],
    labels: LabelMaker,
    max_new_tokens: int,
    batch_size: int = 8,
    lengths: Sequence[int] | None = None,
) -> list[str]:
    """Texts for items ``0..count-1``; ``decoder_inputs(indices)`` gives :func:`greedy`'s inputs.

    With ``lengths`` (e.g. of the references) items of about one length are
    decoded together, so a batch stops soon after its longest row; the texts
    still come back in item order.
    """
    order = list(range(count))
    if lengths is not None:
        order.sort(key=lambda i: -lengths[i])
    texts = [""] * count
    for start in range(0, count, batch_size):
        idx = order[start : start + batch_size]
        rows = greedy(model, decoder_inputs(idx), labels, max_new_tokens)
        for i, ids in zip(idx, rows, strict=True):
            texts[i] = labels.decode(ids)
    return texts


def score_texts(refs: Sequence[str], hyps: Sequence[str]) -> Scores:
    return score([Utterance(str(i), r, h) for i, (r, h) in enumerate(zip(refs, hyps, strict=True))])
