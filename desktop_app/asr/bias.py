"""Vocabulary biasing without training: a word list the decoder is nudged towards.

A project keeps a list of names and terms (with an optional weight each). At
transcription time it reaches the decoder as :class:`BiasOptions`
(``DecodeOptions.bias``) and is used in two ways by Whisper:

* **Prompt.** The words, joined by commas, go before ``<|startoftranscript|>``
  after ``<|startofprev|>``, as if they had been said in the previous window
  (Whisper's "initial prompt"). The prompt is capped at
  ``max_prompt_tokens`` (Whisper allows 223; we keep well below): words are
  taken by weight, then in list order, and a word that does not fit is left
  out, so the same list always gives the same prompt. The prompt is never part
  of the output: only tokens generated after the start sequence are text.
* **Token boosting** (:class:`TokenBoost`). A logit bonus for the first token of
  each listed word (the token that starts with a space) and, once a listed
  word is under way, for the next token along its spelling instead (a prefix
  trie of the words' token sequences). Each bonus is ``boost × weight`` capped at
  ``max_bonus``, and at most ``max_boosted_tokens`` tokens per step are
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
    prompt: bool = True
    max_prompt_tokens: int = 96
    boost: float = 2.0  # logit bonus per boosted token (times the word's weight)
    max_bonus: float = 4.0
    max_boosted_tokens: int = 8  # per decoding step and row
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


class TokenBoost:
    """Logit bonuses along the token spellings of listed words (a prefix trie)."""

    def __init__(self, tokenizer: WhisperTokenizer, bias: BiasOptions) -> None:
        self.tokenizer = tokenizer
        self.max_boosted = bias.max_boosted_tokens
        # prefix of a word's tokens (after its first) -> {next token: bonus}
        self.children: dict[tuple[int, ...], dict[int, float]] = {}
        self.starts: dict[int, float] = {}
        self.depth = 0
        if bias.boost <= 0 or bias.max_boosted_tokens == 0:
            return
        for word, weight in bias.words:
            bonus = bias.bonus(weight)
            for spelling in _variants(word):
                seq = tokenizer.encode(" " + spelling)
                seq = [t for t in seq if t < tokenizer.eot]
                if not seq:
                    continue
                self.starts[seq[0]] = max(self.starts.get(seq[0], 0.0), bonus)
                for i in range(1, len(seq)):
                    node = self.children.setdefault(tuple(seq[:i]), {})
                    node[seq[i]] = max(node.get(seq[i], 0.0), bonus)
                self.depth = max(self.depth, len(seq))

    def __bool__(self) -> bool:
        return bool(self.starts)

    def candidates(self, text: Sequence[int]) -> dict[int, float]:
        """Tokens to boost after the text tokens ``text`` (of the current segment).

        Inside a listed word (the text ends with a proper prefix of its
        tokens) only the tokens that carry it on; elsewhere the words' first
        tokens, so a started word is not cut short by the start of another.
        """
        out: dict[int, float] = {}
        for k in range(min(len(text), self.depth - 1), 0, -1):
            node = self.children.get(tuple(text[-k:]))
            if node:
                for token, bonus in node.items():
                    out[token] = max(out.get(token, 0.0), bonus)
        return out or dict(self.starts)

    def apply(
        self, logits: np.ndarray, rows: Sequence[Sequence[int]], sample_begin: int
    ) -> np.ndarray:
        """``logits`` (already through the logit rules) with the bonuses added; a new array.

        ``rows`` are the start sequence plus the generated tokens of each row;
        a listed word is followed from the last timestamp on (a segment's text).
        """
        if not self:
            return logits
        out = np.array(logits, dtype=np.float32, copy=True)
        eot = self.tokenizer.eot
        for b, row in enumerate(rows):
            seq = row[sample_begin:]
            start = len(seq)
            while start > 0 and seq[start - 1] < eot and len(seq) - start < self.depth - 1:
                start -= 1  # back to the last timestamp, or as far as a word can reach
            boost = self.candidates(seq[start:])
            ids = np.fromiter(boost, dtype=np.int64, count=len(boost))
            ids = ids[np.isfinite(out[b, ids])]
            if ids.size > self.max_boosted:  # the ones the model already likes best
                ids = ids[np.argsort(-out[b, ids], kind="stable")[: self.max_boosted]]
            out[b, ids] += np.array([boost[int(t)] for t in ids], dtype=np.float32)
        return out


def ctc_bonuses(bias: BiasOptions) -> dict[str, float]:
    """Per-word log-probability bonuses for a CTC beam (capped like the Whisper boost)."""
    return {w: min(bias.ctc_bonus * weight, bias.max_bonus) for w, weight in bias.words}
