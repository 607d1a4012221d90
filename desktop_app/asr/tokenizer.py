"""Whisper's special tokens and text handling over a ``tokenizers.Tokenizer``.

The language tokens are read from the tokenizer itself (the added tokens that
sit between ``<|startoftranscript|>`` and ``<|translate|>``), so English-only,
multilingual and large-v3 vocabularies all work without a hard-coded table.
Timestamp tokens are not stored in ``tokenizer.json``: they are the ids from
``<|notimestamps|> + 1`` upwards, one per 20 ms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from tokenizers import Tokenizer

from desktop_app.core.errors import ModelError

TIME_PRECISION = 0.02  # seconds per timestamp token
REPLACEMENT_CHAR = "\ufffd"
# Scripts written without spaces between words: split on characters instead.
NO_SPACE_LANGUAGES = frozenset({"zh", "ja", "th", "lo", "my", "yue"})
_LANG_TOKEN = re.compile(r"^<\|([a-z]{2,3}(?:-[A-Za-z]+)?)\|>$")


def _byte_decoder() -> dict[str, int]:
    """GPT-2's byte-level BPE alphabet: the character that stands for each byte."""
    keep = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAC + 1), *range(0xAE, 0xFF + 1)]
    chars = list(keep)
    extra = 0
    for b in range(256):
        if b not in keep:
            keep.append(b)
            chars.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(keep, chars, strict=True)}


class WhisperTokenizer:
    """Text <-> token ids for Whisper, with its special tokens as attributes."""

    def __init__(self, tokenizer: Tokenizer, lang_to_id: dict[str, int] | None = None) -> None:
        self._tok = tokenizer
        self.eot = self._required("<|endoftext|>")
        self.sot = self._required("<|startoftranscript|>")
        self.translate = self._required("<|translate|>")
        self.transcribe = self._required("<|transcribe|>")
        self.no_timestamps = self._required("<|notimestamps|>")
        self.sot_prev = self._optional("<|startofprev|>")
        self.sot_lm = self._optional("<|startoflm|>")
        no_speech = self._optional("<|nospeech|>")
        self.no_speech = no_speech if no_speech is not None else self._optional("<|nocaptions|>")
        self.timestamp_begin = self.no_timestamps + 1
        self.languages: dict[str, int] = dict(lang_to_id or self._languages_from_vocab())
        self._bytes: list[bytes] | None = None

    @classmethod
    def from_file(
        cls, path: str | Path, lang_to_id: dict[str, int] | None = None
    ) -> WhisperTokenizer:
        """Load ``tokenizer.json``; a missing or unreadable file raises :class:`ModelError`."""
        path = Path(path)
        if not path.is_file():
            raise ModelError(
                f"The model has no tokenizer: '{path.name}' is missing in {path.parent}."
            )
        try:
            tok = Tokenizer.from_file(str(path))
        except Exception as exc:  # tokenizers raises a bare Exception on bad JSON
            raise ModelError(f"Cannot read the tokenizer '{path.name}': {exc}") from exc
        try:
            return cls(tok, lang_to_id)
        except ValueError as exc:
            raise ModelError(f"'{path.name}' is not a Whisper tokenizer: {exc}") from exc

    def _optional(self, token: str) -> int | None:
        return self._tok.token_to_id(token)

    def _required(self, token: str) -> int:
        token_id = self._tok.token_to_id(token)
        if token_id is None:
            raise ValueError(f"the special token {token} is missing")
        return token_id

    def _languages_from_vocab(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for token_id in range(self.sot + 1, self.translate):
            match = _LANG_TOKEN.match(self._tok.id_to_token(token_id) or "")
            if match:
                found[match.group(1)] = token_id
        return found

    # ----------------------------------------------------------------- prompts
    @property
    def is_multilingual(self) -> bool:
        return len(self.languages) > 1

    def language_token(self, language: str) -> int:
        try:
            return self.languages[language]
        except KeyError:
            known = ", ".join(sorted(self.languages)) or "none"
            raise ValueError(
                f"Language '{language}' is not known to this model (known: {known})."
            ) from None

    def language_of(self, token_id: int) -> str | None:
        for code, tid in self.languages.items():
            if tid == token_id:
                return code
        return None

    def sot_sequence(
        self, language: str | None, task: str = "transcribe", timestamps: bool = True
    ) -> list[int]:
        """``<|startoftranscript|> <|lang|> <|task|> [<|notimestamps|>]``."""
        seq = [self.sot]
        if self.is_multilingual:
            if language is not None:
                seq.append(self.language_token(language))
            seq.append(self.translate if task == "translate" else self.transcribe)
        if not timestamps:
            seq.append(self.no_timestamps)
        return seq

    def prompt_tokens(self, text: str) -> list[int]:
        """Tokens of an initial prompt (a leading space, as Whisper was trained)."""
        return self.encode(" " + text.strip())

    def token_bytes(self) -> list[bytes]:
        """The UTF-8 bytes each ordinary token (id below ``<|endoftext|>``) stands for."""
        if self._bytes is None:
            table = _byte_decoder()
            out = []
            for token_id in range(self.eot):
                piece = self._tok.id_to_token(token_id) or ""
                out.append(bytes(table.get(ch, 0x3F) for ch in piece))
            self._bytes = out
        return self._bytes

    # ------------------------------------------------------------- text <-> ids
    def encode(self, text: str) -> list[int]:
        return list(self._tok.encode(text, add_special_tokens=False).ids)

    def is_timestamp(self, token_id: int) -> bool:
        return token_id >= self.timestamp_begin

    def timestamp_of(self, token_id: int) -> float:
        return (token_id - self.timestamp_begin) * TIME_PRECISION

    def decode(self, tokens: Iterable[int]) -> str:
        """Text of the ordinary tokens; special and timestamp tokens are dropped."""
        return self._tok.decode([t for t in tokens if t < self.eot], skip_special_tokens=False)

    def decode_with_timestamps(self, tokens: Iterable[int]) -> str:
        """Text with timestamps written as ``<|1.08|>``; other special tokens are dropped."""
        parts: list[str] = []
        run: list[int] = []
        for token in tokens:
            if self.is_timestamp(token):
                parts.append(self._tok.decode(run, skip_special_tokens=False))
                parts.append(f"<|{self.timestamp_of(token):.2f}|>")
                run = []
            elif token < self.eot:
                run.append(token)
        parts.append(self._tok.decode(run, skip_special_tokens=False))
        return "".join(parts)

    # ------------------------------------------------------------ word splitting
    def split_on_unicode(self, tokens: Sequence[int]) -> tuple[list[str], list[list[int]]]:
        """Group tokens into pieces that decode to whole characters.

        Byte-level BPE can cut a two-byte Cyrillic letter (ә, ғ, қ, ң, ө, ұ, ү, һ, і)
        between tokens; decoding such a token alone gives U+FFFD. Tokens are
        accumulated until the piece decodes cleanly (or the full text itself
        holds a replacement character at that place).
        """
        text_tokens = [t for t in tokens if t < self.eot]
        full = self.decode(text_tokens)
        pieces: list[str] = []
        piece_tokens: list[list[int]] = []
        current: list[int] = []
        offset = 0
        for token in text_tokens:
            current.append(token)
            decoded = self.decode(current)
            bad = decoded.find(REPLACEMENT_CHAR)
            if bad < 0 or (offset + bad < len(full) and full[offset + bad] == REPLACEMENT_CHAR):
                pieces.append(decoded)
                piece_tokens.append(current)
                offset += len(decoded)
                current = []
        if current:  # trailing incomplete bytes: keep them as a last piece
            pieces.append(self.decode(current))
            piece_tokens.append(current)
        return pieces, piece_tokens

    def split_to_words(
        self, tokens: Sequence[int], language: str | None = None
    ) -> tuple[list[str], list[list[int]]]:
        """Split text tokens into words, each with the tokens that spell it.

        Space-separated scripts (Kazakh, Russian, English…) start a new word at a
        piece beginning with whitespace; punctuation without a leading space is
        glued to the word before it ("сәлем,") and an opening quote to the word
        after it ("«қала"). For languages written without
        spaces every whole-character piece is a word.
        """
        pieces, piece_tokens = self.split_on_unicode(tokens)
        if language in NO_SPACE_LANGUAGES:
            return pieces, piece_tokens
        words: list[str] = []
        word_tokens: list[list[int]] = []
        for piece, toks in zip(pieces, piece_tokens, strict=True):
            if piece[:1].isspace() or not words:
                words.append(piece)
                word_tokens.append(list(toks))
            else:
                words[-1] += piece
                word_tokens[-1].extend(toks)
        return words, word_tokens
