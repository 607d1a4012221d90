"""Whisper special tokens, decoding and word splitting (Kazakh Cyrillic included)."""

from __future__ import annotations

import pytest

from desktop_app.asr.tokenizer import REPLACEMENT_CHAR, WhisperTokenizer
from desktop_app.core.errors import ModelError
from tests.asr.conftest import _tokenizer_json

KAZAKH = " Сәлеметсіз бе, «қалайсыз»? Мен Қазақстанда тұрамын."


@pytest.fixture(scope="module")
def tok() -> WhisperTokenizer:
    return WhisperTokenizer.from_file(_tokenizer_json())


def test_special_tokens(tok: WhisperTokenizer) -> None:
    assert (tok.eot, tok.sot, tok.translate, tok.transcribe) == (50257, 50258, 50358, 50359)
    assert (tok.no_speech, tok.no_timestamps, tok.timestamp_begin) == (50362, 50363, 50364)
    assert tok.sot_prev == 50361
    assert len(tok.languages) == 99
    assert tok.languages["kk"] == 50316 and tok.languages["ru"] == 50263
    assert tok.language_of(50316) == "kk"


def test_sot_sequence(tok: WhisperTokenizer) -> None:
    assert tok.sot_sequence("kk") == [50258, 50316, 50359]
    assert tok.sot_sequence("kk", "translate", timestamps=False) == [50258, 50316, 50358, 50363]
    with pytest.raises(ValueError, match="xx"):
        tok.sot_sequence("xx")


def test_decode_round_trip_and_timestamps(tok: WhisperTokenizer) -> None:
    ids = tok.encode(KAZAKH)
    assert tok.decode(ids) == KAZAKH
    with_ts = [tok.timestamp_begin, *ids, tok.timestamp_begin + 150, tok.eot]
    assert tok.decode(with_ts) == KAZAKH  # timestamps and <|endoftext|> dropped
    text = tok.decode_with_timestamps(with_ts)
    assert text.startswith("<|0.00|> Сәлем") and text.endswith("тұрамын.<|3.00|>")
    assert tok.timestamp_of(tok.timestamp_begin + 150) == pytest.approx(3.0)


def test_unicode_pieces_never_split_a_letter(tok: WhisperTokenizer) -> None:
    ids = tok.encode(" әңгіме өңір ұлы үйірме һ")
    singles = [tok.decode([i]) for i in ids]
    assert any(REPLACEMENT_CHAR in s for s in singles)  # byte-level BPE does split letters
    pieces, piece_tokens = tok.split_on_unicode(ids)
    assert all(REPLACEMENT_CHAR not in p for p in pieces)
    assert "".join(pieces) == tok.decode(ids)
    assert [t for group in piece_tokens for t in group] == ids


def test_words_kazakh(tok: WhisperTokenizer) -> None:
    ids = tok.encode(KAZAKH)
    words, word_tokens = tok.split_to_words(ids, "kk")
    assert words == [" Сәлеметсіз", " бе,", " «қалайсыз»?", " Мен", " Қазақстанда", " тұрамын."]
    assert [t for group in word_tokens for t in group] == ids
    assert [tok.decode(group) for group in word_tokens] == words


def test_words_without_spaces(tok: WhisperTokenizer) -> None:
    ids = tok.encode("こんにちは世界")
    words, _ = tok.split_to_words(ids, "ja")
    assert "".join(words) == "こんにちは世界"
    assert len(words) > 1


def test_missing_or_bad_tokenizer(tmp_path) -> None:
    with pytest.raises(ModelError, match=r"tokenizer\.json"):
        WhisperTokenizer.from_file(tmp_path / "tokenizer.json")
    bad = tmp_path / "tokenizer.json"
    bad.write_text("{not json")
    with pytest.raises(ModelError, match=r"tokenizer\.json"):
        WhisperTokenizer.from_file(bad)
