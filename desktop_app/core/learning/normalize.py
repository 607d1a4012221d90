"""Kazakh text normalisation for scoring (FLEURS-style).

Hypothesis and reference go through the same steps before WER/CER are
computed: Unicode NFKC, numbers spelled out in Kazakh (``1990`` → ``бір мың
тоғыз жүз тоқсан``, ``5-ші`` → ``бесінші``, ``3,5`` → ``үш бүтін оннан бес``,
``%`` → ``пайыз``), lowercase, bracketed annotations (``[laughs]``, ``(noise)``,
``<unk>``) removed, punctuation and symbols replaced by spaces, whitespace
collapsed. Letters of every script are kept, so code-switched Russian words
still count.

Not to be confused with :func:`desktop_app.core.interop.text.normalize_text`,
the lighter normalisation of exported training text (digits kept as
written, inner apostrophes kept).
"""

from __future__ import annotations

import re
import unicodedata

ONES = ("нөл", "бір", "екі", "үш", "төрт", "бес", "алты", "жеті", "сегіз", "тоғыз")
TENS = ("", "он", "жиырма", "отыз", "қырық", "елу", "алпыс", "жетпіс", "сексен", "тоқсан")
SCALES = ((10**12, "триллион"), (10**9, "миллиард"), (10**6, "миллион"), (1000, "мың"))
FRACTION_NAMES = {1: "оннан", 2: "жүзден", 3: "мыңнан"}
BACK_VOWELS = set("аоұыя")
FRONT_VOWELS = set("әөүіеэ")
VOWELS = BACK_VOWELS | FRONT_VOWELS | set("иуюё")

_BRACKETS = re.compile(r"\[[^\]]*\]|\([^)]*\)|<[^>]*>|\{[^}]*\}")
_ORDINAL = re.compile(r"(\d+)\s*-?\s*(?:ыншы|інші|ншы|нші|шы|ші)\b", re.IGNORECASE)
_DECIMAL = re.compile(r"(\d+)[.,](\d{1,3})(?!\d)")
_GROUPED = re.compile(r"(?<![\d.,])(\d{1,3})(?:[  ](\d{3}))+(?!\d)")
_NUMBER = re.compile(r"\d+")


def _below_thousand(n: int) -> list[str]:
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        words += ["жүз"] if hundreds == 1 else [ONES[hundreds], "жүз"]
    tens, ones = divmod(rest, 10)
    if tens:
        words.append(TENS[tens])
    if ones:
        words.append(ONES[ones])
    return words


def number_to_words(n: int) -> str:
    """A non-negative integer in Kazakh words: ``2024`` → ``екі мың жиырма төрт``."""
    if n < 0:
        return "минус " + number_to_words(-n)
    if n == 0:
        return ONES[0]
    if n >= 10**15:  # longer than any spoken number: read digit by digit
        return " ".join(ONES[int(d)] for d in str(n))
    words: list[str] = []
    for value, name in SCALES:
        count, n = divmod(n, value)
        if count:
            words += [name] if count == 1 and value == 1000 else [*_below_thousand(count), name]
    words += _below_thousand(n)
    return " ".join(words)


def _is_back(word: str) -> bool:
    for ch in reversed(word):
        if ch in BACK_VOWELS:
            return True
        if ch in FRONT_VOWELS:
            return False
    return True


def ordinal_to_words(n: int) -> str:
    """``5`` → ``бесінші``, ``6`` → ``алтыншы``, ``20`` → ``жиырмасыншы``."""
    words = number_to_words(n).split()
    last = words[-1]
    back = _is_back(last)
    if last == "жиырма":
        suffix = "сыншы"
    elif last[-1] in VOWELS:
        suffix = "ншы" if back else "нші"
    else:
        suffix = "ыншы" if back else "інші"
    return " ".join([*words[:-1], last + suffix])


def _decimal(match: re.Match[str]) -> str:
    whole, frac = match.group(1), match.group(2)
    return (
        f" {number_to_words(int(whole))} бүтін {FRACTION_NAMES[len(frac)]} "
        f"{number_to_words(int(frac))} "
    )


def spell_numbers(text: str) -> str:
    """Replace digits with Kazakh words (ordinals, decimals, ``1 000 000`` groups, %)."""
    text = _GROUPED.sub(lambda m: m.group(0).replace(" ", "").replace(" ", ""), text)
    text = _ORDINAL.sub(lambda m: f" {ordinal_to_words(int(m.group(1)))} ", text)
    text = _DECIMAL.sub(_decimal, text)
    text = text.replace("%", " пайыз ")
    return _NUMBER.sub(lambda m: f" {number_to_words(int(m.group(0)))} ", text)


def normalize_kk(text: str) -> str:
    """The scoring form of ``text`` (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _BRACKETS.sub(" ", text)
    text = spell_numbers(text).lower()
    kept = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat[0] in "PSZC":
            kept.append(" ")
        elif cat[0] == "M":
            continue  # combining marks: accents added for stress, not spelling
        else:
            kept.append(ch)
    return " ".join("".join(kept).split())
