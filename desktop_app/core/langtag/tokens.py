"""Splitting a segment's text into the words that carry a language tag."""

from __future__ import annotations

import re

WORD_RE = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")
"""A word: letters and digits (any script), joined by inner hyphens or apostrophes
(``что-то``, ``Алматы-ға``, ``O'Brien``); punctuation and spaces separate words."""

KK_LETTERS = frozenset("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
"""Letters of the Kazakh Cyrillic alphabet that Russian does not have."""

RU_WEAK_LETTERS = frozenset("ёъщЁЪЩ")
"""Letters Kazakh writes only in Russian loanwords: weak evidence for Russian."""


def tokenize(text: str) -> list[str]:
    """The words of ``text`` in order (``"Мен, короче, үйге бардым."`` → 4 words)."""
    return WORD_RE.findall(text or "")


def spans(text: str) -> list[tuple[int, int]]:
    """Character spans ``(start, end)`` of the words :func:`tokenize` returns."""
    return [m.span() for m in WORD_RE.finditer(text or "")]


def script(word: str) -> str:
    """``cyrillic``, ``latin``, ``digits`` or ``other`` (by the word's letters)."""
    cyr = lat = 0
    for ch in word:
        if "\u0400" <= ch <= "\u04ff":
            cyr += 1
        elif ch.isascii() and ch.isalpha():
            lat += 1
    if cyr:
        return "cyrillic"
    if lat:
        return "latin"
    if any(ch.isdigit() for ch in word) and not any(ch.isalpha() for ch in word):
        return "digits"
    return "other"


def has_kk_letter(word: str) -> bool:
    return any(ch in KK_LETTERS for ch in word)


def has_ru_weak_letter(word: str) -> bool:
    return any(ch in RU_WEAK_LETTERS for ch in word)
