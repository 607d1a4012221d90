"""What a regular expression needs literally, as full-text (FTS5) terms.

A concordance search by regex should not test every segment: most patterns
say a word (or the start of a word) literally, e.g. ``\\bалмат[ыа]`` needs a
word beginning ``алмат``. :func:`fts_prefilter` reads the parsed pattern and
returns an FTS5 query whose matches are a *superset* of the segments the
regex can match, or ``None`` when the pattern has no such part (then every
segment must be scanned).

Only what is certain is used: literal runs on the pattern's top level (groups
without alternatives are looked into), cut at anything optional or
repeated. A word piece of a run becomes a term when its start is a word start
(after ``\\b``, ``^``, a space or other non-word literal, or ``\\s``/``\\W``);
it is a whole term when its end is known too, else a prefix term. SQLite's
``unicode61`` tokenizer folds case, so the terms serve case-sensitive and
case-insensitive searches alike (the regex decides afterwards).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

try:  # Python 3.11+
    import re._constants as sre_c  # type: ignore[import-not-found]
    import re._parser as sre_parse  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - older Pythons
    import sre_constants as sre_c  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]


def is_token_char(ch: str) -> bool:
    """A character SQLite's ``unicode61`` tokenizer keeps in a token: letters,
    digits and combining marks (so ә, қ, ң, й, ё are word letters)."""
    return ch.isalnum() or unicodedata.category(ch)[0] == "M"


@dataclass
class _Run:
    text: str = ""
    starts_word: bool = False  # the run's first character begins a word
    ends_word: bool = False  # the run's last character ends a word


@dataclass
class _Walk:
    runs: list[_Run] = field(default_factory=list)
    cur: _Run = field(default_factory=_Run)

    def close(self, ends_word: bool) -> None:
        if self.cur.text:
            self.cur.ends_word = ends_word
            self.runs.append(self.cur)
        self.cur = _Run()

    def boundary(self) -> None:
        """Something that stands between words (\\b, a space class)."""
        self.close(ends_word=True)
        self.cur.starts_word = True

    def unknown(self) -> None:
        self.close(ends_word=False)
        self.cur.starts_word = False

    def literal(self, ch: str) -> None:
        self.cur.text += ch


_NON_WORD_CATEGORIES = {sre_c.CATEGORY_SPACE, sre_c.CATEGORY_NOT_WORD}


def _class_is_non_word(items: list[tuple[object, object]]) -> bool:
    """An ``IN`` class that can only match characters outside words."""
    if not items or items[0][0] == sre_c.NEGATE:
        return False
    for op, av in items:
        if op == sre_c.CATEGORY and av in _NON_WORD_CATEGORIES:
            continue
        if op == sre_c.LITERAL and isinstance(av, int) and not is_token_char(chr(av)):
            continue
        return False
    return True


def _walk(items: list[tuple[object, object]], w: _Walk) -> None:
    for op, av in items:
        if op == sre_c.LITERAL:
            assert isinstance(av, int)
            w.literal(chr(av))
        elif op == sre_c.AT:
            if av in (sre_c.AT_BOUNDARY, sre_c.AT_BEGINNING, sre_c.AT_BEGINNING_STRING):
                w.boundary()
            elif av in (sre_c.AT_END, sre_c.AT_END_STRING):
                w.close(ends_word=True)
            else:
                w.unknown()
        elif op == sre_c.SUBPATTERN:
            sub = av[-1]  # type: ignore[index]
            if any(o == sre_c.BRANCH for o, _ in sub.data):
                w.unknown()
            else:
                _walk(list(sub.data), w)
        elif op == sre_c.IN and _class_is_non_word(av):  # type: ignore[arg-type]
            w.boundary()
        elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, sre_c.POSSESSIVE_REPEAT):
            lo, _hi, sub = av  # type: ignore[misc]
            if lo >= 1 and all(o == sre_c.IN and _class_is_non_word(a) for o, a in sub.data):
                w.boundary()  # \s+ : words on both sides
            else:
                w.unknown()
        else:
            w.unknown()


def _runs(pattern: str, flags: int = 0) -> list[_Run]:
    parsed = sre_parse.parse(pattern, flags)
    w = _Walk()  # a search may begin anywhere: the first run's start is unknown
    _walk(list(parsed.data), w)
    w.close(ends_word=False)
    return w.runs


@dataclass(frozen=True)
class Literals:
    """The required parts of a pattern: FTS terms, and word pieces inside words."""

    terms: tuple[str, ...]  # FTS5 terms, e.g. '"алматы"' or '"қаз"*'
    inner: tuple[str, ...]  # word pieces whose start is unknown (inside some word)

    @property
    def fts(self) -> str | None:
        return " ".join(self.terms) if self.terms else None


def required_literals(pattern: str, flags: int = 0) -> Literals:
    """The FTS terms and inner word pieces every match of ``pattern`` contains."""
    terms: list[str] = []
    inner: list[str] = []
    for run in _runs(pattern, flags):
        text = run.text
        i = 0
        while i < len(text):
            if not is_token_char(text[i]):
                i += 1
                continue
            j = i
            while j < len(text) and is_token_char(text[j]):
                j += 1
            piece = text[i:j]
            starts = i > 0 or run.starts_word
            ends = j < len(text) or run.ends_word
            if starts:
                quoted = '"' + piece.replace('"', '""') + '"'
                terms.append(quoted if ends else quoted + "*")
            else:
                inner.append(piece)
            i = j
    return Literals(tuple(dict.fromkeys(terms)), tuple(dict.fromkeys(inner)))


def fts_prefilter(pattern: str, flags: int = 0) -> str | None:
    """An FTS5 query matching every segment ``pattern`` can match, or None."""
    return required_literals(pattern, flags).fts
