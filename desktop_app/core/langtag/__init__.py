"""Word-level language tags (kk / ru / other) for Kazakh–Russian code-switching.

Qt-free. :func:`tags_for` is what services, exports and the GUI call: the
stored tags when they still fit the text, else tags worked out afresh that keep
every tag a person set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from desktop_app.core.langtag.lexicon import Lexicon, load_lexicon
from desktop_app.core.langtag.stats import (
    code_switched,
    compact,
    is_mixed,
    kind,
    lang_list,
    languages,
    matches_text,
    word_counts,
)
from desktop_app.core.langtag.tagger import LANG_NAMES, LANGS, Tagger, default_tagger, user_tags_for
from desktop_app.core.langtag.tokens import spans, tokenize

__all__ = [
    "LANGS",
    "LANG_NAMES",
    "Lexicon",
    "Tagger",
    "code_switched",
    "compact",
    "default_tagger",
    "is_mixed",
    "kind",
    "lang_list",
    "languages",
    "load_lexicon",
    "matches_text",
    "spans",
    "tags_for",
    "tokenize",
    "user_tags_for",
    "word_counts",
]


def tags_for(
    stored: Sequence[Mapping[str, Any]] | None,
    text: str,
    prior: str | None = None,
    model_words: Sequence[Mapping[str, Any]] | None = None,
    tagger: Tagger | None = None,
) -> list[dict[str, str]]:
    """The word tags of a segment: ``stored`` when they fit ``text``, else fresh
    automatic tags that keep the person's tags of ``stored``."""
    if stored is not None and matches_text(stored, text):
        return [
            {"w": str(t["w"]), "l": str(t["l"]), "by": str(t.get("by", "auto"))} for t in stored
        ]
    return (tagger or default_tagger()).retag(stored, text, prior, model_words)
