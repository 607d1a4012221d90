"""Batched decoding of VAD chunks gives what chunk-by-chunk decoding gives."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_app.asr import DecodeOptions, WhisperOnnx
from desktop_app.asr import batching as batching_module
from desktop_app.asr import transcribe as transcribe_module
from desktop_app.asr import vad as vad_module
from desktop_app.asr.batching import can_batch, default_batch_size
from desktop_app.asr.vad import SpeechChunk, VadResult
from tests.asr.conftest import tone_speechlike

SR = 16_000
FAST = DecodeOptions(
    language="kk", temperatures=(0.0,), max_new_tokens=12, no_speech_threshold=None,
    vad_filter=True,
)  # fmt: skip
# Seven chunks of different lengths; the last is longer than a window, so a second
# window of it is decoded after the batched first one.
CHUNKS = tuple(
    SpeechChunk(int(a * SR), int(b * SR))
    for a, b in ((0.0, 4.0), (5.0, 11.5), (12.0, 12.005), (13.0, 21.0), (22.0, 24.5),
                 (25.0, 33.0), (34.0, 36.0), (37.0, 75.0))
)  # fmt: skip
AUDIO = tone_speechlike(76.0, seed=7)


@pytest.fixture
def fixed_vad(monkeypatch) -> None:
    monkeypatch.setattr(
        vad_module, "detect_speech", lambda audio, opts: VadResult(CHUNKS, CHUNKS, "test")
    )


def _rows(features) -> int:
    """Windows in one encoder call: ``(n_mels, frames)`` is one, ``(batch, ...)`` a batch."""
    return 1 if np.ndim(features) == 2 else int(np.shape(features)[0])


def _run(engine: WhisperOnnx, batch_size: int, options: DecodeOptions, monkeypatch):
    monkeypatch.setattr(engine, "batch_size", batch_size)
    segments, info = engine.transcribe(AUDIO, options)
    return list(segments), info


def _same(batched, sequential) -> None:
    assert [s.id for s in batched] == list(range(len(sequential)))
    key = [(s.start, s.end, s.text, s.tokens, s.language, s.temperature) for s in sequential]
    assert [(s.start, s.end, s.text, s.tokens, s.language, s.temperature) for s in batched] == key
    for b, s in zip(batched, sequential, strict=True):
        np.testing.assert_allclose(b.token_logprobs, s.token_logprobs, atol=1e-4)
        assert b.avg_logprob == pytest.approx(s.avg_logprob, abs=1e-4)
        assert [w.text for w in b.words] == [w.text for w in s.words]
        times = [t for w in b.words for t in (w.start, w.end)]
        assert times == pytest.approx([t for w in s.words for t in (w.start, w.end)], abs=0.021)


@pytest.mark.parametrize("language", ["kk", None])
@pytest.mark.parametrize("timestamps", [True, False])
def test_batched_equals_sequential(
    tiny_whisper, fixed_vad, monkeypatch, language, timestamps
) -> None:
    options = FAST.replace(language=language, without_timestamps=not timestamps)
    sequential, info = _run(tiny_whisper, 1, options, monkeypatch)
    assert len({s.start for s in sequential}) >= 6, "every chunk says something"
    assert max(s.end for s in sequential) > 67.0  # the long chunk's second window too
    for batch_size in (3, 8):
        batched, batched_info = _run(tiny_whisper, batch_size, options, monkeypatch)
        _same(batched, sequential)
        assert batched_info.language == info.language


def test_one_encoder_call_per_batch_and_rows_finish_independently(
    tiny_whisper, fixed_vad, monkeypatch
) -> None:
    calls: list[int] = []
    encode = tiny_whisper.sessions.encode
    monkeypatch.setattr(
        tiny_whisper.sessions, "encode", lambda f: calls.append(_rows(f)) or encode(f)
    )
    greedy = batching_module.greedy_batch
    budgets_seen: list[list[int]] = []

    def spy(decoder, encoded, options, languages, budgets):
        budgets_seen.append(list(budgets))
        return greedy(decoder, encoded, options, languages, budgets)

    monkeypatch.setattr(batching_module, "greedy_batch", spy)
    selected: list[list[int]] = []
    select = tiny_whisper.sessions.select
    monkeypatch.setattr(
        tiny_whisper.sessions,
        "select",
        lambda c, rows: selected.append(list(rows)) or select(c, rows),
    )
    by_duration = ((5.0, 3), (10.0, 6), (float("inf"), 9))  # rows of different budgets
    options = FAST.replace(max_new_tokens=None, max_new_tokens_by_duration=by_duration)
    sequential, _ = _run(tiny_whisper, 1, options, monkeypatch)
    calls.clear()
    batched, _ = _run(tiny_whisper, 3, options, monkeypatch)
    _same(batched, sequential)
    # 7 chunks with audio in them (one is too short for a window) in batches of 3,
    # then the second window of the long chunk alone.
    assert calls[:3] == [3, 3, 1] and calls[3:] and set(calls[3:]) == {1}
    assert budgets_seen == [[3, 6, 6], [3, 6, 3], [9]]
    assert [1] in selected  # rows 0 and 2 of the second batch finished first: compacted


def test_io_binding_batches_agree(tiny_model, tiny_whisper, fixed_vad, monkeypatch) -> None:
    # Encoder output and KV cache as OrtValues: the path CUDA takes.
    options = FAST.replace(language=None)
    sequential, _ = _run(tiny_whisper, 1, options, monkeypatch)
    bound = WhisperOnnx(tiny_model.onnx_dir, device="cpu", threads=1, io_binding=True)
    batched, _ = _run(bound, 4, options, monkeypatch)
    _same(batched, sequential)


def test_rows_needing_fallback_are_decoded_again_alone(
    tiny_whisper, fixed_vad, monkeypatch
) -> None:
    plain = FAST.replace(temperatures=(0.0, 0.5), best_of=2, log_prob_threshold=None)
    first_pass, _ = _run(tiny_whisper, 1, plain, monkeypatch)
    values = sorted({s.avg_logprob for s in first_pass})
    threshold = values[len(values) // 2]  # about half the windows fall back
    options = plain.replace(log_prob_threshold=threshold, fallback_budget=None)
    decodes: list[float] = []
    decode = tiny_whisper.decoder.decode

    def counting(*args, **kwargs):
        decodes.append(kwargs.get("temperature", 0.0))
        return decode(*args, **kwargs)

    monkeypatch.setattr(tiny_whisper.decoder, "decode", counting)
    sequential, _ = _run(tiny_whisper, 1, options, monkeypatch)
    sequential_decodes = list(decodes)
    assert 0 < sequential_decodes.count(0.5) < sequential_decodes.count(0.0)  # some fall back
    decodes.clear()
    batched, _ = _run(tiny_whisper, 4, options, monkeypatch)
    _same(batched, sequential)
    # The seven batched first windows are not decoded greedily again; the fallback
    # attempts (and the long chunk's second window) go through the same path.
    assert decodes.count(0.0) == sequential_decodes.count(0.0) - 7
    assert [t for t in decodes if t > 0] == [t for t in sequential_decodes if t > 0]


def test_initial_prompt_window_goes_alone_then_batches(
    tiny_whisper, fixed_vad, monkeypatch
) -> None:
    options = FAST.replace(initial_prompt="Сәлем")
    sequential, _ = _run(tiny_whisper, 1, options, monkeypatch)
    batched, _ = _run(tiny_whisper, 5, options, monkeypatch)
    _same(batched, sequential)


def test_cancel_mid_way(tiny_whisper, fixed_vad, monkeypatch) -> None:
    calls: list[int] = []
    encode = tiny_whisper.sessions.encode
    monkeypatch.setattr(
        tiny_whisper.sessions, "encode", lambda f: calls.append(_rows(f)) or encode(f)
    )
    monkeypatch.setattr(tiny_whisper, "batch_size", 2)
    segments, _ = tiny_whisper.transcribe(AUDIO, FAST)
    assert calls == []  # lazy: nothing decoded yet
    first = next(segments)
    assert first.start < 4.0 and calls == [2]
    segments.close()  # what a cancelled job does
    assert list(segments) == [] and calls == [2]


def test_cpu_default_is_one_chunk_at_a_time(tiny_model, monkeypatch) -> None:
    assert default_batch_size("cpu") == 1 and default_batch_size("cuda") == 8
    engine = WhisperOnnx(tiny_model.onnx_dir, device="cpu", threads=1)
    assert engine.batch_size == 1
    assert not can_batch(FAST, engine.batch_size)

    def fail(*args, **kwargs):
        raise AssertionError("the CPU default must not batch")

    monkeypatch.setattr(transcribe_module, "batched_segments", fail)
    monkeypatch.setattr(
        vad_module, "detect_speech", lambda audio, opts: VadResult(CHUNKS, CHUNKS, "test")
    )
    assert list(engine.transcribe(AUDIO, FAST)[0])
    assert WhisperOnnx(tiny_model.onnx_dir, device="cpu", threads=1, batch_size=4).batch_size == 4
    with pytest.raises(ValueError, match="batch_size"):
        WhisperOnnx(tiny_model.onnx_dir, device="cpu", threads=1, batch_size=0)


def test_beam_search_and_conditioning_are_not_batched() -> None:
    assert can_batch(FAST, 4)
    assert not can_batch(FAST.replace(beam_size=2), 4)
    assert not can_batch(FAST.replace(condition_on_previous_text=True), 4)
    assert not can_batch(FAST.replace(temperatures=(0.5, 1.0)), 4)


def test_batched_prefill_and_select_match_single_rows(tiny_whisper) -> None:
    sessions, tok = tiny_whisper.sessions, tiny_whisper.tokenizer
    windows = [tone_speechlike(s, seed=s) for s in (3, 5, 8)]
    encoded = sessions.encode(np.stack([tiny_whisper.mel(w) for w in windows]))
    prompt = tok.sot_sequence("kk", "transcribe")
    logits, cache = sessions.prefill_batch(encoded, np.array([prompt] * 3))
    assert logits.shape[:2] == (3, len(prompt)) and cache.batch == 3
    for row, window in enumerate(windows):
        single, _ = sessions.prefill(tiny_whisper.encode(window), np.array(prompt))
        np.testing.assert_allclose(logits[row], single, atol=1e-4)
    kept = sessions.select(cache, [2, 0])
    assert kept.batch == 2 and np.shape(kept.cross_kv[0])[0] == 2
    stepped, _ = sessions.step(kept, np.array([tok.timestamp_begin] * 2))
    for j, row in enumerate((2, 0)):
        _, single_cache = sessions.prefill(sessions.row(encoded, row), np.array(prompt))
        alone, _ = sessions.step(single_cache, np.array([tok.timestamp_begin]))
        np.testing.assert_allclose(stepped[j], alone[0], atol=1e-4)
