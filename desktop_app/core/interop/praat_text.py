"""Praat's TextGrid text formats, read the way Praat reads them.

Praat's long and short text formats are one format to its reader: it reads
numbers, ``"strings"`` (``""`` inside is a quote) and ``<flags>`` in order and
skips the words between them (``xmin =``, ``item [1]:``); ``!`` starts a
comment. The *chronological* format (``Save as chronological text file``),
which praatio cannot read, lists the tiers first and then every interval and
point in time order, each led by its tier number.

Everything is checked as it is read: a time that is not a finite number, a
string without its closing quote, a count that does not fit or an unknown
tier class is an :class:`InteropError` naming the file and the line. Times
are returned as they are, negative ones included (the importer repairs them).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from desktop_app.core.errors import InteropError
from desktop_app.core.interop.model import MAX_ITEMS
from desktop_app.core.interop.times import ms_from_seconds

INTERVAL_TIER = "IntervalTier"
POINT_TIER = "TextTier"
CHRONOLOGICAL = "Praat chronological TextGrid text file"
_TOKEN = re.compile(r'"[^"]*(?:""[^"]*)*"|<[^<>\s]*>|![^\n]*|\S+')
_MAX_INT_CHARS = 12


@dataclass
class PraatTier:
    kind: str  # INTERVAL_TIER or POINT_TIER
    name: str
    entries: list[tuple[int, int, str]] = field(default_factory=list)  # points: (t, t, mark)


@dataclass
class PraatTextGrid:
    xmin_ms: int
    xmax_ms: int
    tiers: list[PraatTier]
    chronological: bool = False


class _Tokens:
    """Numbers, strings and flags in file order, with the line of each on demand."""

    def __init__(self, text: str, name: str) -> None:
        self.text, self.name = text, name
        self._it: Iterator[re.Match[str]] = _TOKEN.finditer(text)
        self.pos = 0

    def where(self, pos: int | None = None) -> str:
        line = self.text.count("\n", 0, self.pos if pos is None else pos) + 1
        return f"'{self.name}' line {line}"

    def error(self, message: str) -> InteropError:
        return InteropError(f"{self.where()}: {message}")

    def _next(self, wanted: str, end_ok: bool = False) -> str:
        """The next number word, string or flag (``wanted`` says which, for errors);
        at the end of the text "" if ``end_ok``, else an error."""
        after_equals = False
        for m in self._it:
            token = m.group()
            self.pos = m.start()
            first = token[0]
            if first == "!":
                continue  # a comment
            if first == '"':
                if len(token) < 2 or token[-1] != '"':
                    raise self.error(f"a text starting {token[:20]!r} has no closing quote.")
                return token
            if first == "<" and token[-1] == ">":
                return token
            if first.isdigit() or first in "+-." or token.lower() in ("nan", "inf", "infinity"):
                return token
            if after_equals:  # 'xmin = abc': the value itself is wrong
                raise self.error(f"found {token[:20]!r} where {wanted} should be.")
            # a label such as 'xmin', '=' or 'item [1]:' — Praat skips it too
            after_equals = token == "="
        if end_ok:
            return ""
        raise InteropError(f"'{self.name}' ends early: {wanted} is missing (the file is cut off).")

    def number_ms(self) -> int:
        token = self._next("a time")
        if token[0] in '"<':
            raise self.error(f"found {token[:20]!r} where a time should be.")
        return ms_from_seconds(token, self.where)

    def integer(self, what: str) -> int:
        number = self.integer_or_end(what)
        if number is None:
            raise InteropError(
                f"'{self.name}' ends early: {what} is missing (the file is cut off)."
            )
        return number

    def integer_or_end(self, what: str) -> int | None:
        token = self._next(what, end_ok=True)
        if not token:
            return None
        if len(token) > _MAX_INT_CHARS or not token.lstrip("+-").isdigit():
            raise self.error(f"found {token[:20]!r} where {what} should be.")
        return int(token)

    def count(self, what: str) -> int:
        n = self.integer(what)
        if n < 0:
            raise self.error(f"{what} is negative ({n}).")
        return n

    def string(self, what: str = "a text") -> str:
        token = self._next(what)
        if token[0] != '"':
            raise self.error(f"found {token[:20]!r} where {what} should be.")
        return token[1:-1].replace('""', '"')

    def flag(self) -> str:
        token = self._next("a flag such as <exists>")
        if token[0] != "<":
            raise self.error(f"found {token[:20]!r} where a flag such as <exists> should be.")
        return token[1:-1]


def parse_textgrid(text: str, name: str) -> PraatTextGrid:
    """The tiers of a TextGrid in Praat's long, short or chronological text format."""
    tok = _Tokens(text, name)
    first = tok.string("the file type")
    if first == CHRONOLOGICAL:
        return _chronological(tok)
    if first != "ooTextFile":
        raise tok.error(f"the file type is '{first[:40]}', not a Praat text file.")
    cls = tok.string("the object class")
    if cls != "TextGrid":
        raise tok.error(f"this Praat file holds a {cls[:40]!r}, not a TextGrid.")
    xmin, xmax = tok.number_ms(), tok.number_ms()
    grid = PraatTextGrid(xmin, xmax, [])
    if tok.flag() != "exists":
        return grid
    counted = 0
    for _ in range(tok.count("the number of tiers")):
        kind = _tier_class(tok)
        tier = PraatTier(kind, tok.string("the tier name"))
        tok.number_ms(), tok.number_ms()  # the tier's own time domain
        for _ in range(tok.count("the number of intervals or points")):
            if kind == INTERVAL_TIER:
                start, end = tok.number_ms(), tok.number_ms()
            else:
                start = end = tok.number_ms()
            label = tok.string("the text of an interval or point")
            counted = _add(tok, tier, start, end, label, counted)
        grid.tiers.append(tier)
    return grid


def _chronological(tok: _Tokens) -> PraatTextGrid:
    xmin, xmax = tok.number_ms(), tok.number_ms()
    grid = PraatTextGrid(xmin, xmax, [], chronological=True)
    for _ in range(tok.count("the number of tiers")):
        kind = _tier_class(tok)
        grid.tiers.append(PraatTier(kind, tok.string("the tier name")))
        tok.number_ms(), tok.number_ms()
    counted = 0
    while (number := tok.integer_or_end("a tier number")) is not None:
        if not 1 <= number <= len(grid.tiers):
            raise tok.error(f"tier number {number} does not exist (there are {len(grid.tiers)}).")
        tier = grid.tiers[number - 1]
        start = tok.number_ms()
        end = tok.number_ms() if tier.kind == INTERVAL_TIER else start
        label = tok.string("the text of an interval or point")
        counted = _add(tok, tier, start, end, label, counted)
    return grid


def _tier_class(tok: _Tokens) -> str:
    kind = tok.string("the tier class")
    if kind not in (INTERVAL_TIER, POINT_TIER):
        raise tok.error(
            f"unknown tier class '{kind[:40]}' (Praat writes IntervalTier or TextTier)."
        )
    return kind


def _add(tok: _Tokens, tier: PraatTier, start: int, end: int, label: str, counted: int) -> int:
    """Keep a labelled interval or point (empty intervals are gaps)."""
    if not label.strip():
        return counted
    if counted >= MAX_ITEMS:
        raise InteropError(f"'{tok.name}' has more than {MAX_ITEMS:,} labelled intervals.")
    tier.entries.append((start, end, label))
    return counted + 1
