"""Text for the speech bootstrap: reading sources, sentences, carrier phrases, vocabulary.

A linguist nearly always has text before corrected speech: word lists, names,
a lexicon, earlier transcripts, printed texts. This module turns such text
into the sentences a speech synthesiser reads (Qt-free, no audio):

* :func:`read_text_source` reads a plain text (cut into sentences) or a word
  list (one word or short term a line; detected, or said by the caller);
* :func:`prepare_text` is the spoken/label form: the scoring normalisation's
  first steps (NFKC, bracketed notes removed, numbers spelled out in Kazakh),
  case and punctuation kept, so labels look like what users write;
* :func:`carrier_sentences` puts each listed word into a few natural Kazakh
  frames (``Бұл сөз – {w}.``) and into short lists of listed words, chosen by a
  seeded hash so the same input always gives the same sentences;
* :func:`language_runs` splits code-switched text into Kazakh and Russian
  stretches (for a Russian voice);
* :func:`vocabulary` is the set of scoring-normalised words of some texts
  (what the evaluation's word recall groups words by).
"""

from __future__ import annotations

import hashlib
import random
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from desktop_app.core.errors import JazbaError
from desktop_app.core.learning.normalize import normalize_kk, spell_numbers

SourceKind = Literal["auto", "text", "words"]

CARRIERS: tuple[str, ...] = (
    "Бұл сөз – {w}.",
    "Мен «{w}» деп айттым.",
    "Келесі сөз: {w}.",
    "«{w}» деген сөзді жазыңыз.",
    "Сіз «{w}» дедіңіз бе?",
    "Ол «{w}» сөзін тағы бір рет қайталады.",
    "Мұнда «{w}» деп жазылған.",
    "Мен {w} туралы айттым.",
)
"""Kazakh frames a listed word is read in (``{w}``: the word). The quoting
frames (``деп``, ``деген``) fit any word form; ``туралы`` fits nouns."""
LIST_FRAME = "{words}."
MAX_WORDS = 24  # a longer sentence is cut: labels stay under 200 tokens, audio under 30 s
KAZAKH_LETTERS = set("әғқңөұүһі")
RUSSIAN_LETTERS = set("ёщъэь")  # Kazakh spells these only in loanwords
_RUSSIAN_WORDS = (
    "и в во на не что это как так но же ли бы по за для от до из у о об при или уже "
    "очень надо нужно можно был была было были есть вот тоже все всё"
)
RUSSIAN_WORDS = frozenset(_RUSSIAN_WORDS.split())
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
_BRACKETS = re.compile(r"\[[^\]]*\]|\([^)]*\)|<[^>]*>|\{[^}]*\}")


class TextSourceError(JazbaError):
    """A text source cannot be read or holds no usable text."""


@dataclass(frozen=True)
class TextSource:
    """What one input gave: sentences to read as they are, and listed words."""

    name: str  # file name, or e.g. "project transcripts"
    kind: str  # "text" or "words"
    sentences: tuple[str, ...] = ()
    words: tuple[str, ...] = ()


def prepare_text(text: str) -> str:
    """The form a sentence is spoken and labelled in (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _BRACKETS.sub(" ", text)
    text = spell_numbers(text)
    text = text.replace("\u00ad", "")
    return " ".join(text.split())


def split_sentences(text: str, max_words: int = MAX_WORDS) -> list[str]:
    """Sentences of a plain text; long ones are cut into pieces of ``max_words``."""
    out: list[str] = []
    for piece in _SENTENCE_END.split(text):
        words = prepare_text(piece).split()
        for start in range(0, len(words), max_words):
            chunk = " ".join(words[start : start + max_words])
            if normalize_kk(chunk):
                out.append(chunk)
    return out


def looks_like_word_list(lines: Sequence[str]) -> bool:
    """Most lines hold one to three words and no sentence-final punctuation."""
    lines = [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        return False
    short = sum(len(ln.split()) <= 3 and not ln.rstrip().endswith((".", "!", "?")) for ln in lines)
    return short >= 0.8 * len(lines)


def parse_word_list(lines: Iterable[str]) -> list[str]:
    """Listed words (or short terms), first spelling kept, duplicates dropped.

    A line may hold ``word<TAB>gloss`` or ``word,gloss`` (a lexicon): only the
    first field is read. ``#`` starts a comment.
    """
    seen: set[str] = set()
    out: list[str] = []
    for raw in lines:
        line = raw.split("#", 1)[0].split("\t", 1)[0].split(",", 1)[0].split(";", 1)[0]
        term = prepare_text(line).strip(" .!?:«»\"'")
        key = normalize_kk(term)
        if key and key not in seen:
            seen.add(key)
            out.append(term)
    return out


def read_text_source(path: str | Path, kind: SourceKind = "auto") -> TextSource:
    """A text file as sentences (``text``) or listed words (``words``)."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TextSourceError(f"'{path.name}' is not UTF-8 text ({exc.reason}).") from exc
    except OSError as exc:
        raise TextSourceError(f"Cannot read '{path}': {exc.strerror or exc}.") from exc
    return text_source(path.name, raw, kind)


def text_source(name: str, raw: str, kind: SourceKind = "auto") -> TextSource:
    """Like :func:`read_text_source` for text already in memory."""
    lines = raw.splitlines()
    if kind == "auto":
        kind = "words" if looks_like_word_list(lines) else "text"
    if kind == "words":
        source = TextSource(name, "words", words=tuple(parse_word_list(lines)))
    else:
        source = TextSource(name, "text", sentences=tuple(split_sentences(raw)))
    if not source.sentences and not source.words:
        raise TextSourceError(f"'{name}' holds no words to learn from.")
    return source


def _seeded(seed: int, *parts: object) -> random.Random:
    digest = hashlib.sha256(":".join(map(str, (seed, *parts))).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def carrier_sentences(
    words: Sequence[str],
    per_word: int = 3,
    list_size: tuple[int, int] = (3, 6),
    lists_per_word: int = 3,
    seed: int = 0,
    frames: Sequence[str] = CARRIERS,
) -> list[str]:
    """Each word in ``per_word`` different frames, then in short lists of listed words.

    Frames for a word come from a hash of the word and ``seed`` (so adding a
    word to the list does not change the others' sentences). The lists put
    words, so words are also heard next to words rather than only in frames
    (every other list with commas, i.e. pauses, the others in one run). Lists
    matter more than frames: a model trained on many frames of few words
    learns to say the frames.
    """
    out: list[str] = []
    for w in words:
        rng = _seeded(seed, "frames", w)
        for frame in rng.sample(list(frames), min(per_word, len(frames))):
            out.append(frame.format(w=w))
    if len(words) >= 2 and lists_per_word > 0:
        rng = _seeded(seed, "lists", len(words))
        low, high = list_size
        made = 0
        for _round in range(lists_per_word):  # each round lists every word once
            pool = list(words)
            rng.shuffle(pool)
            groups: list[list[str]] = []
            while pool:
                take = rng.randint(low, high)
                groups.append(pool[:take])
                pool = pool[take:]
            if len(groups) > 1 and len(groups[-1]) < 2:
                groups[-2] += groups.pop()
            for group in groups:
                # Every other list is said in one breath, as words run in a sentence.
                text = (", " if made % 2 else " ").join(group)
                out.append(LIST_FRAME.format(words=text[0].upper() + text[1:]))
                made += 1
    return out


def word_language(word: str) -> str | None:
    """``kk``, ``ru`` or None (cannot tell: a Cyrillic word both languages spell alike)."""
    lower = word.lower()
    if any(c in KAZAKH_LETTERS for c in lower):
        return "kk"
    if any(c in RUSSIAN_LETTERS for c in lower) or lower.strip(".,!?:;«»") in RUSSIAN_WORDS:
        return "ru"
    if lower.endswith(("ться", "ишь", "ешь", "ого", "ему")):
        return "ru"
    return None


def language_runs(text: str, main: str = "kk") -> list[tuple[str, str]]:
    """``[(language, stretch), ...]``: Russian stretches of code-switched text apart.

    Words that cannot be told apart join the stretch before them (the main
    language at the start), so a Kazakh sentence with one Russian word gives
    three stretches and a plain Kazakh one gives one.
    """
    runs: list[tuple[str, list[str]]] = []
    for word in text.split():
        lang = word_language(word) or (runs[-1][0] if runs else main)
        if runs and runs[-1][0] == lang:
            runs[-1][1].append(word)
        else:
            runs.append((lang, [word]))
    return [(lang, " ".join(words)) for lang, words in runs]


def vocabulary(texts: Iterable[str]) -> set[str]:
    """Scoring-normalised words of ``texts``."""
    return {w for t in texts for w in normalize_kk(t).split()}
