"""The exported unit LM scores exactly like PyTorch; the scorer chunks and batches correctly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from desktop_app.core.errors import ModelError
from desktop_app.unitlm.model import SequenceNLL, UnitGPT, export_onnx
from desktop_app.units.codebook import assign, collapse
from desktop_app.units.registry import LMShape
from desktop_app.units.scorer import UnitLMScorer, unigram_nll

K = 20
SHAPE = LMShape(context=24, n_layer=2, n_head=2, d_model=16, dropout=0.0)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[UnitGPT, Path]:
    torch.manual_seed(1)
    lm = UnitGPT(K, SHAPE).eval()
    with torch.no_grad():  # a non-trivial model: random weights well away from init
        for p in lm.parameters():
            p.add_(0.3 * torch.randn_like(p))
    return lm, export_onnx(lm, tmp_path_factory.mktemp("lm") / "unit_lm.onnx")


def test_onnx_equals_pytorch_for_any_batch_and_length(exported) -> None:
    lm, graph = exported
    scorer = UnitLMScorer(graph, K, SHAPE.context)
    rng = np.random.default_rng(0)
    for batch, length in ((1, 2), (3, 7), (5, SHAPE.context)):
        units = rng.integers(0, K, size=(batch, length))
        units[:, 0] = K  # BOS
        with torch.no_grad():
            ref = SequenceNLL(lm)(torch.from_numpy(units)).numpy()
        out = scorer.token_nll(units)
        assert out.shape == (batch, length - 1)
        np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)
    assert np.all(out > 0)


def test_long_sequences_are_scored_in_bos_chunks(exported) -> None:
    lm, graph = exported
    scorer = UnitLMScorer(graph, K, SHAPE.context)
    seq = np.random.default_rng(1).integers(0, K, size=60)
    chunks = scorer.chunks(seq)
    assert [c.size for c in chunks] == [24, 24, 15]
    assert all(c[0] == K for c in chunks)
    total = 0.0
    for c in chunks:
        with torch.no_grad():
            total += float(SequenceNLL(lm)(torch.from_numpy(c[None])).sum())
    score = scorer.score(seq)
    assert score.tokens == 60
    assert score.nll == pytest.approx(total, rel=1e-5)
    many = scorer.score_many([seq, seq[:5], seq[:0]])
    assert many[0].nll == pytest.approx(score.nll, rel=1e-5) and many[1].tokens == 5
    assert many[2].tokens == 0


def test_scorer_rejects_units_outside_the_vocabulary(exported) -> None:
    _lm, graph = exported
    scorer = UnitLMScorer(graph, K, SHAPE.context)
    with pytest.raises(ModelError, match=r"0\.\.19"):
        scorer.score(np.array([3, K]))
    with pytest.raises(ModelError, match=r"0\.\.19"):
        scorer.score(np.array([-1, 2]))


def test_scorer_refuses_other_graphs(tmp_path: Path, exported) -> None:
    bad = tmp_path / "unit_lm.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="damaged or not an ONNX"):
        UnitLMScorer(bad, K, 8)
    with pytest.raises(ModelError, match="missing"):
        UnitLMScorer(tmp_path / "absent.onnx", K, 8)


def test_numpy_assignment_is_the_nearest_centroid() -> None:
    rng = np.random.default_rng(2)
    centroids = rng.standard_normal((50, 8)).astype(np.float32)
    feats = rng.standard_normal((1000, 8)).astype(np.float32)
    dist = ((feats[:, None, :] - centroids[None]) ** 2).sum(-1)
    assert np.array_equal(assign(feats, centroids, block=97), dist.argmin(1))
    with pytest.raises(ModelError, match="another encoder or layer"):
        assign(feats[:, :4], centroids)


def test_collapse_merges_runs_and_unigram_baseline_is_smoothed() -> None:
    assert collapse(np.array([5, 5, 5, 9, 9, 5])).tolist() == [5, 9, 5]
    assert collapse(np.array([], dtype=np.int16)).size == 0
    uni = unigram_nll([np.array([0, 0, 0, 1])], [np.array([0, 1, 2])], k=3)
    # add-one counts 4, 2, 1 of 7
    expect = -(np.log(4 / 7) + np.log(2 / 7) + np.log(1 / 7))
    assert uni.tokens == 3 and uni.nll == pytest.approx(expect)
