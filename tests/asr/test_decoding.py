"""Our ONNX decoding loop against Hugging Face on the tiny model, and the logit rules."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from desktop_app.asr import DecodeOptions
from desktop_app.asr.decoding import LogitRules, _banned_ngram_tokens, compression_ratio
from tests.asr.conftest import tone_speechlike

BASE = DecodeOptions(language="kk", temperatures=(0.0,), no_speech_threshold=None)


def hf_generate(model, hf, audio, timestamps, max_new=30, language="kk", **gen_kwargs) -> list[int]:
    """Plain Transformers generation with Whisper's own logits processors, one window."""
    import torch
    from transformers import GenerationConfig, GenerationMixin, WhisperFeatureExtractor
    from transformers.generation.logits_process import (
        LogitsProcessorList,
        SuppressTokensAtBeginLogitsProcessor,
        SuppressTokensLogitsProcessor,
        WhisperTimeStampLogitsProcessor,
    )

    tok = model.tokenizer
    gc = hf.generation_config
    prompt = tok.sot_sequence(language, timestamps=timestamps)
    procs = [
        SuppressTokensAtBeginLogitsProcessor(gc.begin_suppress_tokens, len(prompt)),
        SuppressTokensLogitsProcessor(gc.suppress_tokens),
    ]
    if timestamps:
        procs.append(WhisperTimeStampLogitsProcessor(gc, begin_index=len(prompt)))
    config = GenerationConfig(
        max_new_tokens=max_new,
        do_sample=False,
        eos_token_id=tok.eot,
        pad_token_id=tok.eot,
        decoder_start_token_id=tok.sot,
        **gen_kwargs,
    )
    fe = WhisperFeatureExtractor(feature_size=model.mel.config.n_mels)
    feats = fe(audio, sampling_rate=16_000, return_tensors="pt").input_features
    with torch.no_grad():
        out = GenerationMixin.generate(
            hf,
            input_features=feats,
            decoder_input_ids=torch.tensor([prompt]),
            generation_config=config,
            logits_processor=LogitsProcessorList(procs),
        )
    seq = out[0].tolist()[len(prompt) :]
    return seq[: seq.index(tok.eot)] if tok.eot in seq else seq


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("timestamps", [False, True])
def test_greedy_equals_transformers(tiny_whisper, hf_tiny, seed, timestamps) -> None:
    audio = tone_speechlike(6.0 + 9 * seed, seed=seed)
    options = BASE.replace(without_timestamps=not timestamps)
    result = tiny_whisper.decoder.decode(
        tiny_whisper.encode(audio), options, language="kk", max_new_tokens=30
    )
    assert list(result.tokens) == hf_generate(tiny_whisper, hf_tiny, audio, timestamps)
    assert len(result.token_logprobs) == len(result.tokens)
    assert all(lp <= 0.0 for lp in result.token_logprobs)
    assert result.avg_logprob == pytest.approx(result.sum_logprob / (len(result.tokens) + 1))


@pytest.mark.parametrize(
    ("penalty", "ngram", "timestamps"), [(1.3, 0, False), (1.0, 3, False), (1.12, 4, True)]
)
def test_penalties_equal_transformers(tiny_whisper, hf_tiny, penalty, ngram, timestamps) -> None:
    audio = tone_speechlike(9.0, seed=2)
    options = BASE.replace(
        without_timestamps=not timestamps, repetition_penalty=penalty, no_repeat_ngram_size=ngram
    )
    ours = tiny_whisper.decoder.decode(
        tiny_whisper.encode(audio), options, language="kk", max_new_tokens=30
    )
    reference = hf_generate(
        tiny_whisper, hf_tiny, audio, timestamps,
        repetition_penalty=penalty, no_repeat_ngram_size=ngram,
    )  # fmt: skip
    assert list(ours.tokens) == reference


def _repeats(tokens) -> int:
    return len(tokens) - len(set(tokens))


def _bigram_repeats(tokens) -> int:
    grams = list(itertools.pairwise(tokens))
    return len(grams) - len(set(grams))


def test_penalties_reduce_repetition(tiny_whisper) -> None:
    encoded = tiny_whisper.encode(tone_speechlike(9.0, seed=0))
    opts = BASE.replace(without_timestamps=True)
    plain = tiny_whisper.decoder.decode(encoded, opts, language="kk", max_new_tokens=40).tokens
    assert _repeats(plain) > 0 and _bigram_repeats(plain) > 0  # the random model loops
    no_bigram = opts.replace(no_repeat_ngram_size=2)
    banned = tiny_whisper.decoder.decode(encoded, no_bigram, language="kk", max_new_tokens=40)
    assert _bigram_repeats(banned.tokens) == 0
    strong = opts.replace(repetition_penalty=3.0)
    penalised = tiny_whisper.decoder.decode(encoded, strong, language="kk", max_new_tokens=40)
    assert _repeats(penalised.tokens) < _repeats(plain)


@pytest.mark.parametrize("beams", [2, 3, 5])
def test_beam_search_equals_transformers(tiny_whisper, hf_tiny, beams) -> None:
    # Without timestamps and with no end token inside the budget, Whisper's and
    # Transformers' beam searches keep the same beams, so the winners agree.
    audio = tone_speechlike(8.0, seed=beams)
    encoded = tiny_whisper.encode(audio)
    options = BASE.replace(without_timestamps=True, beam_size=beams)
    beam = tiny_whisper.decoder.decode(encoded, options, language="kk", max_new_tokens=25)
    greedy = tiny_whisper.decoder.decode(
        encoded, options.replace(beam_size=1), language="kk", max_new_tokens=25
    )
    reference = hf_generate(tiny_whisper, hf_tiny, audio, False, max_new=25, num_beams=beams)
    assert list(beam.tokens) == reference
    assert beam.sum_logprob >= greedy.sum_logprob


def test_beam_search_with_timestamps_is_well_formed(tiny_whisper) -> None:
    tok = tiny_whisper.tokenizer
    encoded = tiny_whisper.encode(tone_speechlike(8.0, seed=5))
    result = tiny_whisper.decoder.decode(
        encoded, BASE.replace(beam_size=3), language="kk", max_new_tokens=30
    )
    stamps = [t for t in result.tokens if t >= tok.timestamp_begin]
    assert result.tokens[0] >= tok.timestamp_begin
    assert result.tokens[0] - tok.timestamp_begin <= 50  # max initial timestamp 1.0 s
    assert stamps == sorted(stamps)
    assert len(result.token_logprobs) == len(result.tokens)
    assert tok.eot not in result.tokens and tok.no_timestamps not in result.tokens


def test_language_detection(tiny_whisper) -> None:
    probs = tiny_whisper.detect_language(tone_speechlike(5.0))
    assert len(probs) == 99
    assert sum(probs.values()) == pytest.approx(1.0, abs=1e-4)
    assert list(probs.values()) == sorted(probs.values(), reverse=True)
    _segments, info = tiny_whisper.transcribe(
        tone_speechlike(5.0), BASE.replace(language=None, max_new_tokens=5)
    )
    assert info.language == next(iter(probs))
    assert info.language_probability == pytest.approx(probs[info.language], rel=1e-5)


def test_temperature_fallback(tiny_whisper) -> None:
    encoded = tiny_whisper.encode(tone_speechlike(6.0))
    temps = (0.0, 0.5, 1.0)
    always_bad = BASE.replace(temperatures=temps, log_prob_threshold=0.0, best_of=2)
    result = tiny_whisper.decoder.decode_with_fallback(
        encoded, always_bad, language="kk", max_new_tokens=10
    )
    assert result.attempts == len(temps)  # every attempt failed the log-prob check
    assert result.temperature in temps
    never_bad = BASE.replace(
        temperatures=temps, log_prob_threshold=None, compression_ratio_threshold=None
    )
    first = tiny_whisper.decoder.decode_with_fallback(
        encoded, never_bad, language="kk", max_new_tokens=10
    )
    assert (first.attempts, first.temperature) == (1, 0.0)


# ---------------------------------------------------------------- logit rules
@pytest.fixture(scope="module")
def rules():
    from desktop_app.asr.tokenizer import WhisperTokenizer
    from tests.asr.conftest import _tokenizer_json

    tok = WhisperTokenizer.from_file(_tokenizer_json())
    return LogitRules(tokenizer=tok, sample_begin=3, max_initial_timestamp_index=50)


def test_timestamp_rules(rules) -> None:
    tok = rules.tokenizer
    tb = tok.timestamp_begin
    vocab = 51865
    flat = np.zeros((1, vocab), dtype=np.float32)
    prompt = [tok.sot, tok.languages["kk"], tok.transcribe]
    first = rules.apply(flat, [prompt])
    allowed = np.flatnonzero(np.isfinite(first[0]))
    assert allowed.min() == tb and allowed.max() == tb + 50  # a timestamp ≤ 1.00 s first
    likely_end = flat.copy()
    likely_end[0, tok.eot] = 10.0  # else the timestamp mass wins and only timestamps remain
    open_ts = rules.apply(likely_end, [[*prompt, tb + 10, 400, tb + 20]])
    allowed = np.flatnonzero(np.isfinite(open_ts[0]))
    assert allowed.min() == tok.eot  # no text inside an open pair: close it or end
    assert tb + 19 not in allowed and tb + 20 in allowed  # never going back in time
    assert rules.apply(flat, [[*prompt, tb + 10, 400, tb + 20]])[0, :tb].max() == -np.inf
    closed = rules.apply(flat, [[*prompt, tb + 10, 400, tb + 20, tb + 20]])
    allowed = np.flatnonzero(np.isfinite(closed[0]))
    assert allowed.max() < tb  # text after a closed pair
    assert tok.no_timestamps not in allowed


def test_banned_ngrams() -> None:
    assert _banned_ngram_tokens([1, 2, 3, 1, 2], 3) == [3]
    assert _banned_ngram_tokens([1, 2, 1], 2) == [2]
    assert _banned_ngram_tokens([5], 3) == []


def test_compression_ratio() -> None:
    assert compression_ratio("") == 0.0
    assert compression_ratio("бір екі үш " * 30) > 2.4
    assert compression_ratio("Мен Қазақстанда тұрамын.") < 2.4


# ------------------------------------------------------------ fallback costs
def test_find_loop() -> None:
    from desktop_app.asr.decoding import find_loop

    assert find_loop([5, 6, 7, 1, 2, 1, 2, 1, 2, 1]) == 5  # keep 5 6 7 1 2
    assert find_loop([9, 3, 3, 3, 3]) == 2
    assert find_loop([1, 2, 3, 4, 5]) is None
    assert find_loop([1, 2, 1, 2]) is None  # two copies are not a loop


def _result(tokens, logprob=-0.1, cr=1.0, steps=None):
    from desktop_app.asr.decoding import DecodingResult

    return DecodingResult(
        tokens=tuple(tokens), token_logprobs=(logprob,) * len(tokens),
        sum_logprob=logprob * len(tokens), avg_logprob=logprob, no_speech_prob=0.0,
        temperature=0.0, compression_ratio=cr, text="x", language="kk",
        steps=len(tokens) if steps is None else steps,
    )  # fmt: skip


def test_a_loop_is_truncated_instead_of_resampled(tiny_whisper, monkeypatch) -> None:
    tok = tiny_whisper.tokenizer
    unit = tok.encode(" астан")
    looping = [tok.timestamp_begin, *tok.encode(" Бүгін"), *(unit * 30)]
    calls: list[float] = []

    def fake_decode(encoded, options, *, temperature=0.0, **kwargs):
        calls.append(temperature)
        return _result(looping, cr=5.0, steps=100)

    monkeypatch.setattr(tiny_whisper.decoder, "decode", fake_decode)
    options = BASE.replace(temperatures=(0.0, 0.2, 0.4, 0.6, 0.8, 1.0))
    result = tiny_whisper.decoder.decode_with_fallback(
        None, options, language="kk", max_new_tokens=100
    )
    assert calls == [0.0]  # no resampling
    assert result.loop_truncated and result.attempts == 1
    assert list(result.tokens) == looping[: 1 + len(tok.encode(" Бүгін")) + len(unit)]
    assert result.text == tok.decode(result.tokens) and result.compression_ratio < 2.4
    assert len(result.token_logprobs) == len(result.tokens)

    calls.clear()
    whisper_like = options.replace(truncate_loops=False, fallback_budget=None)
    result = tiny_whisper.decoder.decode_with_fallback(
        None, whisper_like, language="kk", max_new_tokens=100
    )
    assert len(calls) == 6 and not result.loop_truncated  # Whisper's full schedule


def test_fallback_budget_caps_the_attempts(tiny_whisper, monkeypatch) -> None:
    calls: list[float] = []

    def fake_decode(encoded, options, *, temperature=0.0, max_new_tokens=0, **kwargs):
        calls.append(temperature)
        return _result([400 + len(calls)] * 3, logprob=-3.0, steps=max_new_tokens)  # improbable

    monkeypatch.setattr(tiny_whisper.decoder, "decode", fake_decode)
    temps = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    for budget, expected in ((2.0, 3), (0.5, 1), (None, 6)):
        calls.clear()
        options = BASE.replace(temperatures=temps, fallback_budget=budget)
        result = tiny_whisper.decoder.decode_with_fallback(
            None, options, language="kk", max_new_tokens=50
        )
        assert len(calls) == expected and result.attempts == expected
    short = []  # attempts that end early cost less, so more of them fit

    def early_end(encoded, options, *, temperature=0.0, **kwargs):
        short.append(temperature)
        return _result([401, 402], logprob=-3.0, steps=10)

    monkeypatch.setattr(tiny_whisper.decoder, "decode", early_end)
    options = BASE.replace(temperatures=temps, fallback_budget=2.0)
    tiny_whisper.decoder.decode_with_fallback(None, options, language="kk", max_new_tokens=50)
    assert len(short) == 6


def test_language_is_detected_per_vad_chunk(tiny_whisper, monkeypatch) -> None:
    from desktop_app.asr import vad as vad_module
    from desktop_app.asr.vad import SpeechChunk, VadResult

    sr = 16_000
    chunks = (SpeechChunk(0, 4 * sr), SpeechChunk(6 * sr, 10 * sr), SpeechChunk(12 * sr, 15 * sr))
    monkeypatch.setattr(
        vad_module, "detect_speech", lambda audio, opts: VadResult(chunks, chunks, "test")
    )
    answers = iter(["kk", "ru", "en"])
    detected_on: list[tuple[int, ...]] = []
    real_detect = tiny_whisper.decoder.detect_language

    def fake_detect(encoded):
        detected_on.append(tuple(np.asarray(encoded).shape))
        probs = real_detect(encoded)
        lang = next(answers)
        return {lang: 0.9, **{k: v for k, v in probs.items() if k != lang}}

    monkeypatch.setattr(tiny_whisper.decoder, "detect_language", fake_detect)
    encodes: list[int] = []
    real_encode = tiny_whisper.sessions.encode
    monkeypatch.setattr(
        tiny_whisper.sessions, "encode", lambda f: encodes.append(1) or real_encode(f)
    )
    options = BASE.replace(language=None, vad_filter=True, max_new_tokens=6)
    segments, info = tiny_whisper.transcribe(tone_speechlike(15.0), options)
    assert info.language == "kk" and info.language_probability == pytest.approx(0.9)
    segments = list(segments)
    assert len(detected_on) == 3  # once per chunk
    assert len(encodes) == 3  # each chunk's first window is encoded once, for both jobs
    by_chunk = {
        lang: [s for s in segments if lo <= s.start * sr < hi]
        for lang, (lo, hi) in zip(
            ("kk", "ru", "en"), ((0, 5 * sr), (6 * sr, 11 * sr), (12 * sr, 16 * sr)), strict=True
        )
    }
    for lang, segs in by_chunk.items():
        assert segs and all(s.language == lang for s in segs), lang
    forced = list(tiny_whisper.transcribe(tone_speechlike(15.0), options.replace(language="ru"))[0])
    assert len(detected_on) == 3 and all(s.language == "ru" for s in forced)
