"""WhisperOnnx.transcribe: lazy segments, silence, words, devices and options."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from desktop_app.asr import DecodeOptions, Segment, WhisperOnnx
from desktop_app.asr.transcribe import estimate_word_times
from tests.asr.conftest import tone_speechlike

# The tiny model hears "no speech" everywhere (see conftest), so the check is off by default.
FAST = DecodeOptions(
    language="kk", temperatures=(0.0,), max_new_tokens=12, no_speech_threshold=None
)


class CountingEncoder:
    """Wraps ``sessions.encode`` to count how many windows were encoded."""

    def __init__(self, encode) -> None:
        self.encode = encode
        self.calls = 0

    def __call__(self, features):
        self.calls += 1
        return self.encode(features)


@pytest.fixture
def counting(tiny_whisper, monkeypatch) -> CountingEncoder:
    counter = CountingEncoder(tiny_whisper.sessions.encode)
    monkeypatch.setattr(tiny_whisper.sessions, "encode", counter)
    return counter


def test_segments_are_decoded_lazily(tiny_whisper, counting) -> None:
    audio = tone_speechlike(100.0)  # four 30 s windows
    options = FAST.replace(without_timestamps=True)
    segments, info = tiny_whisper.transcribe(audio, options)
    assert counting.calls == 0  # nothing decoded before the first next()
    assert info.duration == pytest.approx(100.0)
    first = next(segments)
    assert isinstance(first, Segment)
    assert counting.calls == 1
    rest = list(segments)
    assert counting.calls == 4
    starts = [s.start for s in (first, *rest)]
    assert starts == sorted(starts) and starts[0] == 0.0


def test_segments_are_well_formed(tiny_whisper) -> None:
    audio = tone_speechlike(20.0, seed=3)
    segments, info = tiny_whisper.transcribe(audio, FAST)
    segments = list(segments)
    assert segments, "the random model always says something"
    assert info.device == "cpu" and info.language == "kk" and info.language_probs is None
    for i, seg in enumerate(segments):
        assert seg.id == i
        assert 0.0 <= seg.start <= seg.end <= info.duration + 1e-6
        assert seg.text.strip() and seg.language == "kk"
        assert len(seg.tokens) == len(seg.token_logprobs)
        assert 0.0 < seg.confidence <= 1.0
        assert "".join(w.text for w in seg.words) == seg.text
        for word in seg.words:  # aligned: the tiny model has decoder_align.onnx
            assert not word.estimated and 0.0 < word.probability <= 1.0
            assert seg.start - 1e-3 <= word.start <= word.end <= seg.end + 1e-3


def test_no_speech_windows_yield_no_segments(tiny_whisper) -> None:
    # The tiny model's <|nocaptions|> probability after <|startoftranscript|> is ~1.
    audio = np.zeros(16_000 * 12, dtype=np.float32)
    check = FAST.replace(no_speech_threshold=0.6, log_prob_threshold=-1.0)
    result = tiny_whisper.decoder.decode(
        tiny_whisper.encode(audio), check, language="kk", max_new_tokens=5
    )
    assert result.no_speech_prob > 0.6 and result.avg_logprob < -1.0
    segments, _ = tiny_whisper.transcribe(audio, check)
    assert list(segments) == []
    kept, _ = tiny_whisper.transcribe(audio, FAST)
    assert list(kept)  # the same window is transcribed when the check is off
    confident = check.replace(log_prob_threshold=-1e9)
    assert list(tiny_whisper.transcribe(audio, confident)[0])  # confident text is kept


def test_vad_skips_silence_without_decoding(tiny_whisper, counting) -> None:
    segments, info = tiny_whisper.transcribe(
        np.zeros(16_000 * 40, dtype=np.float32), FAST.replace(vad_filter=True)
    )
    assert list(segments) == []
    assert counting.calls == 0
    assert info.duration_after_vad == 0.0 and info.vad_backend == "silero"


def test_cancel_is_stopping_iteration(tiny_whisper, counting) -> None:
    options = FAST.replace(without_timestamps=True)
    segments, _ = tiny_whisper.transcribe(tone_speechlike(95.0), options)
    next(segments)
    segments.close()  # what a cancelled job does
    assert counting.calls == 1
    assert list(segments) == []


def test_io_binding_and_split_decoder_agree(tiny_model, tiny_whisper, tmp_path) -> None:
    audio = tone_speechlike(7.0, seed=4)
    options = FAST.replace(max_new_tokens=20)
    expected = [s.tokens for s in tiny_whisper.transcribe(audio, options)[0]]
    bound = WhisperOnnx(tiny_model.onnx_dir, device="cpu", threads=1, io_binding=True)
    assert [s.tokens for s in bound.transcribe(audio, options)[0]] == expected
    split_dir = tmp_path / "split"
    split_dir.mkdir()
    for path in tiny_model.onnx_dir.iterdir():
        if path.name != "decoder_model_merged.onnx":
            (split_dir / path.name).symlink_to(path)
    split = WhisperOnnx(split_dir, device="cpu", threads=1)
    assert not split.sessions.merged
    assert [s.tokens for s in split.transcribe(audio, options)[0]] == expected


def test_options_are_not_mutated(tiny_whisper) -> None:
    options = FAST.replace(beam_size=2)
    before = dataclasses.asdict(options)
    _, info = tiny_whisper.transcribe(tone_speechlike(3.0), options)
    assert info.options is options and dataclasses.asdict(options) == before
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.beam_size = 3  # type: ignore[misc]


def test_unknown_language_fails_early(tiny_whisper) -> None:
    with pytest.raises(ValueError, match="xx"):
        tiny_whisper.transcribe(tone_speechlike(1.0), FAST.replace(language="xx"))


def test_estimated_word_times() -> None:
    spans = estimate_word_times([" бір", " екеу", " үш"], 1.0, 2.0)
    assert spans[0][0] == 1.0 and spans[-1][1] == 2.0
    assert all(a[1] == pytest.approx(b[0]) for a, b in itertools.pairwise(spans))


def test_previous_text_and_initial_prompt_condition_the_decoder(tiny_whisper, monkeypatch) -> None:
    tok = tiny_whisper.tokenizer
    prompts: list[list[int]] = []
    prefill = tiny_whisper.sessions.prefill

    def recording_prefill(encoded, tokens):
        prompts.append([int(t) for t in tokens])
        return prefill(encoded, tokens)

    monkeypatch.setattr(tiny_whisper.sessions, "prefill", recording_prefill)
    options = FAST.replace(
        without_timestamps=True, condition_on_previous_text=True, initial_prompt="Сәлем"
    )
    segments = list(tiny_whisper.transcribe(tone_speechlike(45.0), options)[0])
    sot_seq = tok.sot_sequence("kk", timestamps=False)
    first, second = prompts
    assert first == [tok.sot_prev, *tok.encode(" Сәлем"), *sot_seq]
    assert second[0] == tok.sot_prev and second[-len(sot_seq) :] == sot_seq
    assert second[1 : -len(sot_seq)] == [*tok.encode(" Сәлем"), *segments[0].tokens]
    prompts.clear()
    list(tiny_whisper.transcribe(tone_speechlike(45.0), FAST.replace(without_timestamps=True))[0])
    assert all(p == sot_seq for p in prompts)
