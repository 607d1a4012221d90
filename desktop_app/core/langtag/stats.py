"""Questions asked of a segment's word tags: is it code-switched, how many words of each."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from desktop_app.core.langtag.tokens import tokenize

MIXED = "mixed"
MONO = "monolingual"


def languages(tags: Iterable[Mapping[str, Any]] | None) -> set[str]:
    """The languages a segment's words carry."""
    return {str(t.get("l")) for t in tags or () if t.get("l")}


def is_mixed(tags: Iterable[Mapping[str, Any]] | None) -> bool:
    """Code-switched: its words carry two languages or more."""
    return len(languages(tags)) >= 2


def kind(tags: Iterable[Mapping[str, Any]] | None) -> str:
    """``mixed`` or ``monolingual``."""
    return MIXED if is_mixed(tags) else MONO


def word_counts(tags: Iterable[Mapping[str, Any]] | None) -> Counter[str]:
    return Counter(str(t.get("l")) for t in tags or () if t.get("l"))


def matches_text(tags: Sequence[Mapping[str, Any]] | None, text: str) -> bool:
    """Whether ``tags`` are the tags of exactly the words of ``text``."""
    words = tokenize(text)
    return tags is not None and [str(t.get("w")) for t in tags] == words


def lang_list(tags: Sequence[Mapping[str, Any]] | None) -> list[str]:
    """The language of each word, in word order (a manifest field)."""
    return [str(t.get("l")) for t in tags or ()]


def code_switched(tags: Iterable[Mapping[str, Any]] | None, language: str | None) -> bool:
    """A segment marked ``mixed`` or whose words carry two languages or more."""
    return language == "mixed" or is_mixed(tags)


def compact(tags: Sequence[Mapping[str, Any]] | None) -> str:
    """One string for a manifest or a table: ``kk ru ru kk`` (one tag per word)."""
    return " ".join(str(t.get("l")) for t in tags or ())
