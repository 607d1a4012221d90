"""Vocabulary biasing without training: a word list the decoder is nudged towards.

A project keeps a list of names and terms (with an optional weight each). At
transcription time it reaches the decoder as :class:`BiasOptions`
(``DecodeOptions.bias``) and is used in two ways by Whisper:

* **Prompt** (opt-in, ``prompt=True``). The words, joined by commas, go
  before ``<|startoftranscript|>`` after ``<|startofprev|>``, as if they had
  been said in the previous window (Whisper's "initial prompt"), capped at
  ``max_prompt_tokens`` (Whisper allows 223; we keep well below): words are
  taken by weight, then in list order, and a word that does not fit is left
  out, so the same list always gives the same prompt. The prompt is never part
  of the output: only tokens generated after the start sequence are text. It
  is off by default: with Whisper base on Kazakh it found a few more listed
  words but made the others worse (the model copies listed words into
  speech that does not hold them; see ``benchmarks/vocab_bias.py``).
* **Token boosting** (:class:`TokenBoost`). Once the model has itself begun a
  word the way a listed word begins (two letters), a logit bonus for every
  token that carries that spelling on (matched on bytes, so any split of the
  word into tokens is followed); a token that alone spells three or more
  letters of a listed word earns it at a word's start. Each bonus is
  ``boost × weight`` capped at ``max_bonus``, and at most
  ``max_boosted_tokens`` tokens per step are
  boosted (those the model already likes best), so the bonus can only tip a
  close call, never force a listed word on speech that sounds nothing like it.
  Tokens the logit rules have ruled out (timestamps' order, suppressed tokens)
  stay ruled out: ``-inf`` plus a bonus is still ``-inf``.

CTC models use the same list in their prefix beam search
(:class:`~desktop_app.asr.ctc.decoding.WordBias`, built by :func:`ctc_bonuses`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from desktop_app.asr.tokenizer import WhisperTokenizer

#: Whisper's decoder may see 223 prompt tokens; a long prompt slows every window
#: and invites the model to copy it, so the default keeps well below.
PROMPT_TOKEN_LIMIT = 223


@dataclass(frozen=True)
class BiasOptions:
    """A word list and how strongly the decoder leans towards it.

    ``words`` are ``(word, weight)`` pairs; weight 1.0 is the normal strength.
    ``prompt`` and ``boost > 0`` switch the two Whisper mechanisms on;
    ``ctc_bonus`` is the log-probability bonus a finished listed word earns in
    a CTC beam (times its weight, capped at ``max_bonus``).
    """

    words: tuple[tuple[str, float], ...] = ()
    prompt: bool = False  # off by default: it made unlisted words worse (benchmarks/vocab_bias.py)
    max_prompt_tokens: int = 96
    boost: float = 2.0  # logit bonus per boosted token (times the word's weight)
    max_bonus: float = 4.0
    max_boosted_tokens: int = 8  # per decoding step and row
    min_prefix: int = 2  # letters of a listed word the model must have begun itself
    min_start: int = 3  # letters a single token must spell to be boosted at a word's start
    ctc_bonus: float = 3.0
    ctc_beam_size: int = 8  # beam width used for CTC when the preset is greedy

    def __post_init__(self) -> None:
        clean: list[tuple[str, float]] = []
        seen: set[str] = set()
        for word, weight in self.words:
            text = " ".join(str(word).split())
            if text and text not in seen and float(weight) > 0:
                seen.add(text)
                clean.append((text, float(weight)))
        object.__setattr__(self, "words", tuple(clean))
        if not 0 <= self.max_prompt_tokens <= PROMPT_TOKEN_LIMIT:
            raise ValueError(f"max_prompt_tokens must be between 0 and {PROMPT_TOKEN_LIMIT}")
        if self.boost < 0 or self.max_bonus < 0 or self.max_boosted_tokens < 0:
            raise ValueError("boost, max_bonus and max_boosted_tokens must not be negative")

    @classmethod
    def of(cls, words: Iterable[str | tuple[str, float]], **settings: object) -> BiasOptions:
        """Options for ``words`` (plain strings weigh 1.0)."""
        pairs = tuple((w, 1.0) if isinstance(w, str) else (w[0], float(w[1])) for w in words)
        return cls(words=pairs, **settings)  # type: ignore[arg-type]

    def __bool__(self) -> bool:
        return bool(self.words)

    def ranked(self) -> list[tuple[str, float]]:
        """Words by weight (heaviest first), ties in list order."""
        order = sorted(range(len(self.words)), key=lambda i: (-self.words[i][1], i))
        return [self.words[i] for i in order]

    def bonus(self, weight: float) -> float:
        return min(self.boost * weight, self.max_bonus)


def prompt_tokens(tokenizer: WhisperTokenizer, bias: BiasOptions) -> list[int]:
    """The bias prompt's tokens (without ``<|startofprev|>``), at most ``max_prompt_tokens``.

    Words are added by weight then list order; one that would overflow the
    budget is skipped and later, shorter ones may still fit.
    """
    if not bias.prompt or not bias.words or bias.max_prompt_tokens == 0:
        return []
    chosen: list[str] = []
    tokens: list[int] = []
    for word, _ in bias.ranked():
        trial = tokenizer.prompt_tokens(", ".join([*chosen, word]))
        if len(trial) <= bias.max_prompt_tokens:
            chosen.append(word)
            tokens = trial
    return tokens


def _variants(word: str) -> list[str]:
    """The spellings boosted for ``word``: as written and with its first letter's case flipped."""
    flipped = word[:1].swapcase() + word[1:]
    return [word] if flipped == word else [word, flipped]


def _letters(data: bytes) -> int:
    """Whole characters in ``data`` (a trailing half character does not count)."""
    return len(data.decode("utf-8", errors="ignore").strip())


class TokenBoost:
    """Logit bonuses along the spellings of listed words, matched on bytes.

    Whisper's byte-level BPE splits Kazakh finely and not always the same way
    (" кітап" may come as " к"+"іт"+"ап" or otherwise), so words are followed
    by their *bytes*, not by one canonical token sequence: the current word
    is the text since the last token that starts with a space (or since the
    last timestamp). Once that word has ``bias.min_prefix`` letters and is the
    start of a listed spelling, every token that carries the spelling on
    earns its bonus; a whole listed word may then take any ending
    ("Алматы" → "Алматыға"). A new word gets a bonus only from a token that
    spells at least ``bias.min_start`` letters of a listed word by itself (or all
    of a short one), so short starts (" к", " ал"), which begin countless
    words, are never boosted.
    """

    def __init__(self, tokenizer: WhisperTokenizer, bias: BiasOptions) -> None:
        self.tokenizer = tokenizer
        self.max_boosted = bias.max_boosted_tokens
        self.min_prefix = bias.min_prefix
        min_start = bias.min_start
        self.spellings: list[tuple[bytes, float]] = []
        # (spelling index, byte offset) -> tokens that spell the bytes from there on
        self.nodes: dict[tuple[int, int], list[int]] = {}
        self.starts: dict[int, float] = {}
        self.longest = 0
        if bias.boost <= 0 or bias.max_boosted_tokens == 0 or not bias.words:
            return
        pieces = tokenizer.token_bytes()
        index: dict[bytes, int] = {}
        for token_id, piece in enumerate(pieces):
            if piece:
                index.setdefault(piece, token_id)
        longest_piece = max(len(p) for p in pieces)
        for word, weight in bias.words:
            for spelling in _variants(word):
                data = (" " + spelling).encode("utf-8")
                k = len(self.spellings)
                self.spellings.append((data, bias.bonus(weight)))
                self.longest = max(self.longest, len(data))
                for i in range(len(data)):
                    tokens = [
                        index[data[i:j]]
                        for j in range(i + 1, min(len(data), i + longest_piece) + 1)
                        if data[i:j] in index
                    ]
                    if tokens:
                        self.nodes[(k, i)] = tokens
                for token in self.nodes.get((k, 0), []):
                    if _letters(pieces[token]) >= min(min_start, _letters(data)):
                        self.starts[token] = max(self.starts.get(token, 0.0), bias.bonus(weight))

    def __bool__(self) -> bool:
        return bool(self.spellings)

    def current_word(self, generated: Sequence[int]) -> bytes:
        """The bytes of the word being written at the end of ``generated``."""
        pieces = self.tokenizer.token_bytes()
        eot = self.tokenizer.eot
        out = b""
        for token in reversed(generated):
            if token >= eot or len(out) > self.longest:
                break
            out = pieces[token] + out
            if out[:1] == b" ":
                break
        return out

    def candidates(self, generated: Sequence[int]) -> dict[int, float]:
        """Tokens to boost after the generated tokens ``generated`` (with their bonus)."""
        word = self.current_word(generated)
        out: dict[int, float] = {}
        if word[:1] == b" " and _letters(word) >= self.min_prefix:
            for k, (data, bonus) in enumerate(self.spellings):
                if len(word) < len(data) and data.startswith(word):
                    for token in self.nodes.get((k, len(word)), ()):
                        out[token] = max(out.get(token, 0.0), bonus)
        return out or dict(self.starts)  # inside a listed word, no other word may start

    def apply(
        self, logits: np.ndarray, rows: Sequence[Sequence[int]], sample_begin: int
    ) -> np.ndarray:
        """``logits`` (already through the logit rules) with the bonuses added; a new array.

        ``rows`` are the start sequence plus the generated tokens of each row.
        """
        if not self:
            return logits
        out = np.array(logits, dtype=np.float32, copy=True)
        for b, row in enumerate(rows):
            boost = self.candidates(row[sample_begin:])
            if not boost:
                continue
            ids = np.fromiter(boost, dtype=np.int64, count=len(boost))
            ids = ids[np.isfinite(out[b, ids])]
            if ids.size > self.max_boosted:  # the ones the model already likes best
                ids = ids[np.argsort(-out[b, ids], kind="stable")[: self.max_boosted]]
            out[b, ids] += np.array([boost[int(t)] for t in ids], dtype=np.float32)
        return out


def ctc_bonuses(bias: BiasOptions) -> dict[str, float]:
    """Per-word log-probability bonuses for a CTC beam (capped like the Whisper boost)."""
    return {w: min(bias.ctc_bonus * weight, bias.max_bonus) for w, weight in bias.words}
