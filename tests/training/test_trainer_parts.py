"""The frozen-encoder speed-up gives the same loss and gradients as the plain forward."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")


def test_cached_cross_attention_matches_the_full_forward(tiny_hf_dir: Path) -> None:
    from transformers import WhisperForConditionalGeneration

    from desktop_app.training.cross_cache import cross_kv, freeze_cross_kv, make_cache

    torch.manual_seed(0)
    model = WhisperForConditionalGeneration.from_pretrained(tiny_hf_dir)
    model.model.encoder.requires_grad_(False)
    freeze_cross_kv(model)
    model.train()
    model.config.dropout = 0.0
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    feats = torch.randn(2, 80, 3000)
    dec = torch.randint(0, 256, (2, 9))
    lab = torch.randint(0, 256, (2, 9))
    hidden = model.model.encoder(feats).last_hidden_state.detach()

    plain = model(encoder_outputs=(hidden,), decoder_input_ids=dec, labels=lab)
    plain.loss.backward()
    plain_grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    model.zero_grad()

    cache = make_cache(cross_kv(model, hidden), model.config.decoder_attention_heads)
    stub = torch.zeros(2, 1, model.config.d_model)
    cached = model(encoder_outputs=(stub,), past_key_values=cache, decoder_input_ids=dec,
                   labels=lab, use_cache=True)  # fmt: skip
    cached.loss.backward()
    assert cached.loss.item() == pytest.approx(plain.loss.item(), rel=1e-5)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert not any("encoder_attn.k_proj" in n or "encoder_attn.v_proj" in n for n in trainable)
    assert any("encoder_attn.q_proj" in n for n in trainable)
    for name, grad in plain_grads.items():
        got = dict(model.named_parameters())[name].grad
        assert torch.allclose(got, grad, atol=1e-6), name


def test_labels_with_and_without_timestamps(tiny_hf_dir: Path) -> None:
    from desktop_app.training.data import IGNORE, LabelMaker, collate
    from tests.modelbuild.conftest import token_id

    labels = LabelMaker(tiny_hf_dir, "kk")
    sot, kk = token_id("<|startoftranscript|>"), token_id("<|kk|>")
    tr, nots, eot = (
        token_id("<|transcribe|>"),
        token_id("<|notimestamps|>"),
        token_id("<|endoftext|>"),
    )
    plain = labels.labels("су")
    assert plain[:4] == [sot, kk, tr, nots] and plain[-1] == eot
    assert labels.decode(plain[4:]) == "су"
    timed = labels.labels("су", duration=0.3)  # the tiny vocabulary has 0.00 … 0.40 s
    assert timed[:4] == [sot, kk, tr, nots + 1]
    assert timed[-2] == nots + 1 + 15 and timed[-1] == eot  # 0.30 s = 15 steps of 20 ms
    assert labels.labels("су", duration=5.0) == plain  # no such timestamp: plain labels

    feats = torch.zeros(80, 3000)
    batch = collate([{"index": 0, "input_features": feats, "labels": plain},
                     {"index": 1, "input_features": feats, "labels": timed}])  # fmt: skip
    assert batch["decoder_input_ids"][0, 0] == sot
    assert (batch["labels"][:, :3] == IGNORE).all()  # language, task, first timestamp
    assert batch["labels"][0, 3].item() == plain[4]  # the first text token is scored
    assert batch["labels"][0, len(plain) - 2].item() == eot
    assert (batch["labels"][0, len(plain) - 1 :] == IGNORE).all()  # padding


def test_auto_precision_follows_the_hardware(monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop_app.core.learning.config import FinetuneConfig
    from desktop_app.training import precision

    auto = FinetuneConfig()
    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: True)
    assert precision.mixed_precision(auto, cuda=False) == "bf16"
    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: False)
    assert precision.mixed_precision(auto, cuda=False) == "no"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: False)
    assert precision.mixed_precision(auto, cuda=True) == "fp16"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: True)
    assert precision.mixed_precision(auto, cuda=True) == "bf16"
    # An explicit choice wins over the hardware.
    assert precision.mixed_precision(FinetuneConfig(precision="fp32"), cuda=True) == "no"
    assert precision.mixed_precision(FinetuneConfig(precision="bf16"), cuda=False) == "bf16"


def test_length_grouped_batches_cut_padding_and_keep_every_clip() -> None:
    import numpy as np

    from desktop_app.training.data import length_grouped_batches

    rng = np.random.default_rng(0)
    lengths = rng.integers(10, 120, size=203).tolist()
    order = rng.permutation(203).tolist()

    def padded(batches: list[list[int]]) -> int:
        return sum(len(b) * max(lengths[i] for i in b) for b in batches)

    plain = [order[i : i + 16] for i in range(0, 203, 16)]
    grouped = length_grouped_batches(order, lengths, 16, np.random.default_rng(1), group=4)
    assert sorted(i for b in grouped for i in b) == list(range(203))
    assert [len(b) for b in grouped[:-1]] == [16] * 12 and len(grouped[-1]) == 11
    assert padded(grouped) < 0.8 * padded(plain)
    # Batch order is shuffled, not longest-first: the lengths of the batches differ in order.
    firsts = [max(lengths[i] for i in b) for b in grouped[:-1]]
    assert firsts != sorted(firsts, reverse=True)
    # The same generator state gives the same batches (a resumed run sees the same epoch).
    again = length_grouped_batches(order, lengths, 16, np.random.default_rng(1), group=4)
    assert again == grouped


def test_decoding_groups_by_length_and_keeps_item_order(monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop_app.training import decode

    class Labels:
        def decode(self, ids: list[int]) -> str:
            return f"item {ids[0]}"

    batches: list[list[int]] = []

    def fake_greedy(model, inputs, labels, max_new_tokens):
        batches.append(inputs["idx"])
        return [[i] for i in inputs["idx"]]

    monkeypatch.setattr(decode, "greedy", fake_greedy)
    lengths = [5, 90, 7, 80, 6, 85]
    texts = decode.transcribe_batches(
        None, 6, lambda idx: {"idx": idx}, Labels(), 10, batch_size=3, lengths=lengths
    )
    assert texts == [f"item {i}" for i in range(6)]
    assert batches == [[1, 5, 3], [2, 4, 0]]  # the long ones together, then the short ones
    batches.clear()
    decode.transcribe_batches(None, 6, lambda idx: {"idx": idx}, Labels(), 10, batch_size=3)
    assert batches == [[0, 1, 2], [3, 4, 5]]
