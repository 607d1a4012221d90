"""Vocabulary biasing: the word list's prompt and token bonuses reach the Whisper decoder."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_app.asr import DecodeOptions
from desktop_app.asr.bias import BiasOptions, TokenBoost, ctc_bonuses, prompt_tokens
from desktop_app.asr.decoding import LogitRules
from desktop_app.asr.tokenizer import WhisperTokenizer
from tests.asr.conftest import _tokenizer_json, tone_speechlike

BASE = DecodeOptions(language="kk", temperatures=(0.0,), no_speech_threshold=None)
NAMES = ["Жамбыл", "Алматы", "Тəуелсіздік", "Байқоңыр", "Ақтөбе"]


@pytest.fixture(scope="module")
def tok() -> WhisperTokenizer:
    return WhisperTokenizer.from_file(_tokenizer_json())


# ------------------------------------------------------------------ options
def test_options_are_cleaned_and_hashable() -> None:
    bias = BiasOptions.of(["  Жамбыл ", "Жамбыл", "", ("Алматы", 2.0), ("Нөл", 0.0)])
    assert bias.words == (("Жамбыл", 1.0), ("Алматы", 2.0))
    assert [w for w, _ in bias.ranked()] == ["Алматы", "Жамбыл"]
    assert hash(BASE.replace(bias=bias)) == hash(BASE.replace(bias=BiasOptions.of(bias.words)))
    assert not BiasOptions()
    with pytest.raises(ValueError):
        BiasOptions(max_prompt_tokens=300)
    assert ctc_bonuses(BiasOptions.of([("а", 1.0), ("б", 9.0)])) == {"а": 3.0, "б": 4.0}


# ------------------------------------------------------------------- prompt
def test_prompt_holds_the_words_within_the_budget(tok) -> None:
    assert prompt_tokens(tok, BiasOptions.of(NAMES)) == []  # the prompt is opt-in
    bias = BiasOptions.of(NAMES, prompt=True)
    tokens = prompt_tokens(tok, bias)
    assert tok.decode(tokens) == " " + ", ".join(NAMES)
    assert all(t < tok.eot for t in tokens)


def test_prompt_is_truncated_deterministically_by_weight(tok) -> None:
    many = [f"Сөз{i}" for i in range(200)]
    bias = BiasOptions.of([*many, ("Жамбыл", 3.0)], prompt=True, max_prompt_tokens=40)
    tokens = prompt_tokens(tok, bias)
    assert 30 < len(tokens) <= 40
    text = tok.decode(tokens)
    assert text.startswith(" Жамбыл, Сөз0, Сөз1")  # the heaviest first, then list order
    assert tokens == prompt_tokens(
        tok, BiasOptions.of([*many, ("Жамбыл", 3.0)], prompt=True, max_prompt_tokens=40)
    )
    default = prompt_tokens(tok, BiasOptions.of(many, prompt=True))
    assert len(default) <= 96


# ------------------------------------------------------------------ boosting
def _logits(tok, value: float = 0.0) -> np.ndarray:
    return np.full((1, tok.timestamp_begin + 1501), value, dtype=np.float32)


def _pieces(tok, ids) -> list[str]:
    return [tok.token_bytes()[i].decode("utf-8", "replace") for i in ids]


def test_a_started_listed_word_is_carried_on(tok) -> None:
    boost = TokenBoost(tok, BiasOptions.of(["Жамбыл", "Алматы"], boost=2.0, max_bonus=4.0))
    sot = [tok.sot, tok.languages["kk"], tok.transcribe]
    # At a word's start only tokens spelling three letters or more of a listed word
    # earn a bonus; single letters (" Ж") and common two-letter starts (" Ал") do not.
    assert all(len(p.strip()) >= 3 for p in _pieces(tok, boost.starts))
    first = boost.apply(_logits(tok), [sot], sample_begin=3)
    assert first[0, tok.encode(" Ж")[0]] == 0.0 and first[0, tok.encode(" Ал")[0]] == 0.0
    # After " Жам" (the model's own start) the tokens spelling on "бы…" get the bonus,
    # however the word is split into tokens.
    mid = boost.apply(_logits(tok), [[*sot, 400, *tok.encode(" Жам")]], sample_begin=3)
    boosted = set(np.flatnonzero(mid[0] > 0).tolist())
    assert {tok.encode("б")[0], tok.encode("бы")[0]} <= boosted
    assert all("былм"[0].startswith(p[:1]) or p == "\ufffd" for p in _pieces(tok, boosted))
    assert np.allclose(mid[0, sorted(boosted)], 2.0)
    lower = boost.apply(_logits(tok), [[*sot, *tok.encode(" жам")]], sample_begin=3)
    assert lower[0, tok.encode("б")[0]] == pytest.approx(2.0)  # the first letter's other case
    # One letter is not yet a listed word's start; a finished word takes any ending.
    one = boost.apply(_logits(tok), [[*sot, *tok.encode(" Ж")]], sample_begin=3)
    assert one[0, tok.encode("ам")[0]] == 0.0
    done = boost.apply(_logits(tok), [[*sot, *tok.encode(" Алматы")]], sample_begin=3)
    assert (done[0] == 0.0).all()
    # A timestamp ends the segment's text: the word is followed afresh after it.
    after_ts = boost.apply(
        _logits(tok), [[*sot, *tok.encode(" Жам"), tok.timestamp_begin + 5]], sample_begin=3
    )
    assert after_ts[0, tok.encode("б")[0]] == 0.0


def test_inside_a_listed_word_no_other_word_starts(tok) -> None:
    boost = TokenBoost(tok, BiasOptions.of(["Жамбыл", "Москва"]))
    starts = set(boost.starts)
    assert starts  # " Мос" spells three letters
    sot = [tok.sot, tok.languages["kk"], tok.transcribe]
    mid = boost.apply(_logits(tok), [[*sot, *tok.encode(" Жам")]], sample_begin=3)
    assert all(mid[0, t] == 0.0 for t in starts)


def test_the_bonus_and_the_number_of_boosted_tokens_are_capped(tok) -> None:
    # Words that are single tokens (" people", " world"…): each one is its own start.
    pieces = [p.decode("utf-8", "ignore") for p in tok.token_bytes()[:5000]]
    many = [p.strip() for p in pieces if p[:1] == " " and p[1:].isalpha() and len(p) > 5][:300]
    bias = BiasOptions.of([(w, 5.0) for w in many], boost=2.0, max_bonus=3.0, max_boosted_tokens=8)
    boost = TokenBoost(tok, bias)
    assert len(boost.starts) > 8
    logits = np.random.default_rng(0).normal(size=_logits(tok).shape).astype(np.float32)
    sot = [tok.sot, tok.languages["kk"], tok.transcribe]
    out = boost.apply(logits, [sot], sample_begin=3)
    changed = np.flatnonzero(out[0] != logits[0])
    assert len(changed) == 8  # at most max_boosted_tokens a step
    assert np.allclose(out[0, changed] - logits[0, changed], 3.0)  # 2 × 5 capped at 3
    # The boosted ones are the candidates the model already liked best.
    candidates = np.array(sorted(boost.starts))
    best = candidates[np.argsort(-logits[0, candidates], kind="stable")[:8]]
    assert set(changed) == set(best.tolist())


def test_ruled_out_tokens_stay_ruled_out(tok) -> None:
    rules = LogitRules(tokenizer=tok, sample_begin=3, max_initial_timestamp_index=50)
    rules.boost = TokenBoost(tok, BiasOptions.of(["Жамбыл"], boost=4.0))
    sot = [tok.sot, tok.languages["kk"], tok.transcribe]
    processed = rules.apply(_logits(tok), [sot])
    biased = rules.biased(processed, [sot])
    # The first token must be a timestamp: no bonus lets a word in before it.
    assert np.isinf(biased[0, : tok.timestamp_begin]).all()
    first = tok.encode(" Жамбыл")[0]
    suppressed = rules.apply(_logits(tok), [[*sot, tok.timestamp_begin]])
    suppressed[0, first] = -np.inf
    assert rules.biased(suppressed, [[*sot, tok.timestamp_begin]])[0, first] == -np.inf


# ------------------------------------------------------------- the decoder
class PrefillSpy:
    def __init__(self, sessions) -> None:
        self.sessions = sessions
        self.prompts: list[list[int]] = []

    def __call__(self, encoder_out, tokens):
        self.prompts.append(np.asarray(tokens).reshape(-1).tolist())
        return self.original(encoder_out, tokens)


def _spy(model, monkeypatch) -> PrefillSpy:
    spy = PrefillSpy(model.sessions)
    spy.original = model.sessions.prefill
    monkeypatch.setattr(model.sessions, "prefill", spy)
    return spy


def test_prompt_reaches_the_decoder_and_never_the_output(tiny_whisper, monkeypatch) -> None:
    tok = tiny_whisper.tokenizer
    bias = BiasOptions.of(NAMES, prompt=True, boost=0.0)
    spy = _spy(tiny_whisper, monkeypatch)
    audio = tone_speechlike(6.0, seed=3)
    segments, _ = tiny_whisper.transcribe(audio, BASE.replace(bias=bias, max_new_tokens=20))
    segments = list(segments)
    expected = [tok.sot_prev, *prompt_tokens(tok, bias), *tok.sot_sequence("kk")]
    assert spy.prompts and all(p == expected for p in spy.prompts)  # every window
    assert segments
    prompt_only = set(prompt_tokens(tok, bias)) | {tok.sot_prev, tok.sot}
    for seg in segments:
        assert not prompt_only & set(seg.tokens), "prompt tokens leaked into a segment"
        assert ", ".join(NAMES) not in seg.text
        assert 0.0 <= seg.start <= seg.end <= 6.0
    # The first segment starts where the model's first timestamp says (≤ 1 s).
    assert segments[0].tokens[0] >= tok.timestamp_begin
    assert segments[0].start == pytest.approx(tok.timestamp_of(segments[0].tokens[0]))


def test_prompt_goes_before_the_previous_text(tiny_whisper, monkeypatch) -> None:
    tok = tiny_whisper.tokenizer
    bias = BiasOptions.of(NAMES, prompt=True, boost=0.0)
    spy = _spy(tiny_whisper, monkeypatch)
    encoded = tiny_whisper.encode(tone_speechlike(3.0))
    previous = tuple(tok.encode(" алдыңғы мәтін"))
    tiny_whisper.decoder.decode(
        encoded, BASE.replace(bias=bias), language="kk", max_new_tokens=5,
        previous_tokens=previous,
    )  # fmt: skip
    prompt = spy.prompts[-1]
    assert prompt == [tok.sot_prev, *prompt_tokens(tok, bias), *previous, *tok.sot_sequence("kk")]


@pytest.mark.parametrize("beam_size", [1, 3])
def test_boosting_steers_the_choice_but_not_the_logprobs(tiny_whisper, beam_size) -> None:
    tok = tiny_whisper.tokenizer
    encoded = tiny_whisper.encode(tone_speechlike(4.0, seed=5))
    options = BASE.replace(beam_size=beam_size, max_new_tokens=12, without_timestamps=True)
    plain = tiny_whisper.decoder.decode(encoded, options, language="kk", max_new_tokens=12)
    word = "Москва"  # " Мос" spells three letters: a start the bonus may pick
    strong = BiasOptions.of([word], prompt=False, boost=40.0, max_bonus=40.0)
    forced = tiny_whisper.decoder.decode(
        encoded, options.replace(bias=strong), language="kk", max_new_tokens=12
    )
    assert word in forced.text and word not in plain.text
    # The log-probabilities kept are the model's own: a forced word is not "confident";
    # the average the fallback judges by is the biased one the choice followed.
    assert min(forced.token_logprobs) < -1.0
    assert sum(forced.token_logprobs) <= forced.sum_logprob + 1e-6  # (+ the end token)
    assert forced.avg_logprob * (len(forced.tokens) + 1) > forced.sum_logprob + 1.0
    assert all(t < tok.eot for t in forced.tokens)
    # Without a bias the decoder is unchanged; a zero-strength bias changes nothing either.
    neutral = BiasOptions.of([word], prompt=False, boost=0.0)
    same = tiny_whisper.decoder.decode(
        encoded, options.replace(bias=neutral), language="kk", max_new_tokens=12
    )
    assert same.tokens == plain.tokens


def test_batched_decoding_uses_the_word_list_too(tiny_whisper, monkeypatch) -> None:
    from desktop_app.asr.batching import greedy_batch

    tok = tiny_whisper.tokenizer
    audio = [tone_speechlike(3.0, seed=s) for s in (1, 2)]
    feats = np.stack([tiny_whisper.mel(a) for a in audio])
    encoded = tiny_whisper.sessions.encode(feats)
    bias = BiasOptions.of(NAMES, prompt=True, boost=3.0)
    options = BASE.replace(bias=bias, max_new_tokens=10)
    batched = greedy_batch(tiny_whisper.decoder, encoded, options, ["kk", "kk"], [10, 10])
    for row, result in enumerate(batched):
        alone = tiny_whisper.decoder.decode(
            tiny_whisper.sessions.row(encoded, row), options, language="kk", max_new_tokens=10
        )
        assert result.tokens == alone.tokens
        assert tok.sot_prev not in result.tokens
