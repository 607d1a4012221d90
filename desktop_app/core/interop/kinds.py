"""What kind of tier an imported tier is: a transcription, a translation, tags…

Only ``transcription`` tiers are read as training and evaluation data, so an
import must not call a part-of-speech or gesture tier a transcription. The
guess uses, in order:

1. an ELAN linguistic type that *is* one of our kinds (Jazba's own exports);
2. words in the tier name, then in the linguistic type name (``gloss``,
   ``POS``, ``words``, ``translation``, ``notes``, ``gesture``…, in English,
   Kazakh and Russian);
3. the tier's place: a closed vocabulary (a tag set) is ``other``; a
   subdivision of another tier is ``words``; any other dependent tier is
   ``other``; a top-level tier is the ``transcription`` (what ELAN users put
   there, often named after the speaker).
"""

from __future__ import annotations

import re

from desktop_app.core.interop.model import TIER_KINDS

# kind: (prefixes a word may start with, whole words), checked in this order
_WORDS_OF: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {
    "translation": (("transl", "перевод", "аударм"), frozenset(["ft", "fte", "free", "trad"])),
    "gloss": (
        ("gloss", "глосс", "morph", "lemma", "морфем"),
        frozenset(["gl", "ge", "gls", "mb", "mp", "pos", "ps", "tag", "tags", "postag"]),
    ),
    "words": (("token", "сөз", "слов"), frozenset(["word", "words", "wd", "wds", "tok", "toks"])),
    "comment": (
        ("comment", "note", "remark", "коммент", "примеч", "ескерт", "түсінік"),
        frozenset(["nt", "cmt", "com"]),
    ),
    "other": (
        ("gestur", "phone", "syllab", "prosod", "translit", "nonverbal", "жест"),
        frozenset(
            [
                *("gest", "event", "events", "noise", "noises", "action", "actions", "laugh"),
                *("sound", "sounds", "tone", "tones", "break", "breaks", "pause", "pauses"),
                *("silence", "gaze", "head", "hand", "hands", "face", "body", "ipa", "ref"),
                *("id", "topic", "phon", "phn", "vad"),
            ]
        ),
    ),
    "transcription": (
        ("transcri", "orth", "utteran", "транскри", "мәтін", "текст"),
        frozenset(["tx", "txt", "text", "utt", "speech", "sentence", "default", "lt"]),
    ),
}
_SPLIT = re.compile(r"[^0-9a-zA-Z\u00C0-\u04FF]+|(?<=[a-z])(?=[A-Z])")
SUBDIVISIONS = ("Symbolic_Subdivision", "Time_Subdivision")


def _tokens(name: str) -> list[str]:
    return [t.casefold() for t in _SPLIT.split(name) if t]


def kind_from_name(name: str) -> str | None:
    """The kind that words in ``name`` say, or None."""
    tokens = _tokens(name)
    for kind, (prefixes, words) in _WORDS_OF.items():
        if any(t in words or t.startswith(prefixes) for t in tokens):
            return kind
    return None


def guess_kind(
    name: str,
    *,
    linguistic_type: str | None = None,
    constraint: str | None = None,
    vocabulary: bool = False,
    dependent: bool = False,
) -> str:
    """The Jazba tier kind of a file's tier (see the module text for the rules)."""
    if linguistic_type in TIER_KINDS:
        return linguistic_type
    by_name = kind_from_name(name) or kind_from_name(linguistic_type or "")
    if by_name is not None:
        return by_name
    if vocabulary:
        return "other"
    if constraint in SUBDIVISIONS:
        return "words"
    if dependent or constraint:
        return "other"
    return "transcription"
