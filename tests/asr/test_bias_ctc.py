"""A word list in the CTC engine: the beam search favours listed words; greedy stays the
default without one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from desktop_app.asr.bias import BiasOptions
from desktop_app.asr.ctc import CtcOnnx
from desktop_app.asr.ctc import decoding as ctc_decoding
from desktop_app.asr.ctc import engine as ctc_engine
from desktop_app.asr.options import DecodeOptions
from tests.asr.ctc_model import build_tiny_ctc_hf, export_tiny_ctc, kazakh_vocab

VOCAB = kazakh_vocab()
GREEDY = DecodeOptions(beam_size=1)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> CtcOnnx:
    import torch

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("ctc_bias")
    model = export_tiny_ctc(build_tiny_ctc_hf(root / "hf"), root / "onnx")
    return CtcOnnx(Path(model), device="cpu", threads=1)


def ambiguous_posteriors() -> np.ndarray:
    """Frames for "?ал тау": the first letter is "б" (0.52) or "м" (0.46)."""
    frames = [("б", "м"), "<pad>", "а", "<pad>", "л", "|", "т", "<pad>", "а", "у"]
    probs = np.full((len(frames) * 2, len(VOCAB)), 1e-4)
    for i, f in enumerate(frames):
        for row in (2 * i, 2 * i + 1):
            if isinstance(f, tuple):
                probs[row, VOCAB[f[0]]], probs[row, VOCAB[f[1]]] = 0.52, 0.46
            else:
                probs[row, VOCAB[f]] = 0.95
    return np.log(probs / probs.sum(-1, keepdims=True))


def _text(engine: CtcOnnx, options: DecodeOptions, monkeypatch) -> str:
    monkeypatch.setattr(engine, "logprobs", lambda audio: ambiguous_posteriors())
    segments, _ = engine.transcribe(np.zeros(16000, np.float32), options)
    return "".join(s.text for s in segments).strip()


def test_the_word_list_turns_on_the_biased_beam(engine, monkeypatch) -> None:
    assert _text(engine, GREEDY, monkeypatch) == "бал тау"
    biased = GREEDY.replace(bias=BiasOptions.of(["Мал"]))
    assert _text(engine, biased, monkeypatch) == "мал тау"
    assert engine.bias_for(biased)[1] == BiasOptions().ctc_beam_size
    # Unlisted words keep their greedy reading; a list of other words changes nothing.
    other = GREEDY.replace(bias=BiasOptions.of(["Астана"]))
    assert _text(engine, other, monkeypatch) == "бал тау"


def test_greedy_without_words_and_the_beam_width_of_the_preset(engine, monkeypatch) -> None:
    calls: list[int] = []
    real = ctc_decoding.prefix_beam_search

    def spy(lp, blank, beam_width=8, **kw):
        calls.append(beam_width)
        return real(lp, blank, beam_width, **kw)

    monkeypatch.setattr(ctc_engine, "prefix_beam_search", spy)
    _text(engine, GREEDY, monkeypatch)
    _text(engine, GREEDY.replace(bias=BiasOptions()), monkeypatch)
    assert calls == []  # no words: greedy, no beam search at all
    _text(engine, DecodeOptions(beam_size=3, bias=BiasOptions.of(["мал"])), monkeypatch)
    assert calls == [3]


def test_the_ctc_bonus_is_capped(engine) -> None:
    heavy = BiasOptions.of([("мал", 10.0)], ctc_bonus=3.0, max_bonus=4.0)
    bias, _ = engine.bias_for(GREEDY.replace(bias=heavy))
    assert bias is not None and bias.bonuses == {"мал": 4.0}
