"""Word-level language tags (kk / ru / other) for Kazakh–Russian code-switching.

Each word gets its language from, strongest first:

1. a tag a person set (``by: "user"``), which survives edits of other words;
2. its letters: any of ә ғ қ ң ө ұ ү һ і makes it Kazakh; a Latin-script word
   is ``other``;
3. the word lists (:mod:`.lexicon`): a word only one of them knows, or one of
   the frequent words only one language uses;
4. the model's language for the word, when the model gives one;
5. for a word neither list knows: weak hints (ё ъ щ, Russian or Kazakh endings);
6. its neighbours: a word both lists know (``машина``, ``да``, ``телефон``) or a
   number takes the language of the nearest decided words around it;
7. the segment's language (the model's per-window language), then Kazakh.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from desktop_app.core.langtag.lexicon import KK_COMMON, RU_COMMON, Lexicon, fold, load_lexicon
from desktop_app.core.langtag.tokens import has_kk_letter, has_ru_weak_letter, script, tokenize

LANGS = ("kk", "ru", "other")
"""The tags a word can carry."""

LANG_NAMES = {"kk": "Kazakh", "ru": "Russian", "other": "Other"}

DEFAULT_LANG = "kk"
"""What a segment with no evidence at all is taken to be (the project's language)."""

RU_ENDINGS = (
    "ого", "его", "ому", "ему", "ыми", "ими", "ться", "тся", "ешь", "ете", "ует", "уют",
    "ают", "яют", "ость", "ости", "ция", "ции", "ние", "ния", "нию", "ский", "ская",
    "ское", "ские", "ство", "ства", "ющий", "вший", "енный", "ать", "ять", "ить", "ешь",
)  # fmt: skip
KK_ENDINGS = (
    "лар", "лер", "дар", "дер", "тар", "тер", "мын", "мыз", "сыз", "ған", "ген", "қан",
    "кен", "дан", "ден", "тан", "тен", "нан", "нен", "ның", "нің", "дың", "тың", "ды",
    "ты", "ып", "іп", "уге", "ға", "қа",
)  # fmt: skip


def _lang_code(value: object) -> str | None:
    """``kk`` / ``ru`` from a model's or a segment's language (``kk``, ``kaz``, ``ru-RU``…)."""
    if not isinstance(value, str):
        return None
    v = value.strip().lower()[:3]
    if v.startswith("kk") or v == "kaz":
        return "kk"
    if v.startswith("ru") or v == "rus":
        return "ru"
    return None


class Tagger:
    """Tags the words of a text; one per process is enough (see :func:`default_tagger`)."""

    def __init__(self, lexicon: Lexicon | None = None) -> None:
        self.lexicon = lexicon if lexicon is not None else load_lexicon()
        self._memo: dict[str, tuple[str | None, str | None]] = {}

    @property
    def warning(self) -> str | None:
        return self.lexicon.warning

    # -- one word ---------------------------------------------------------
    def evidence(self, word: str) -> tuple[str | None, str | None]:
        """``(strong, weak)``: the word's language when the word alone decides
        it, and a guess from weak hints (None when there is none)."""
        got = self._memo.get(word)
        if got is None:
            got = self._evidence(word)
            if len(self._memo) > 200_000:
                self._memo.clear()
            self._memo[word] = got
        return got

    def _evidence(self, word: str) -> tuple[str | None, str | None]:
        kind = script(word)
        if kind in ("latin", "other"):
            return "other", None
        if kind == "digits":
            return None, None
        if has_kk_letter(word):
            return "kk", None
        f = fold(word)
        common_kk, common_ru = f in KK_COMMON, f in RU_COMMON
        if common_kk != common_ru:
            return ("kk" if common_kk else "ru"), None
        in_kk, in_ru = self.lexicon.in_kk(word), self.lexicon.in_ru(word)
        if in_kk != in_ru:
            return ("kk" if in_kk else "ru"), None
        if in_kk:  # both lists know it: the neighbours decide
            return None, None
        if "-" in f:  # a hyphenated word neither list knows: its parts vote
            votes = Counter(self.evidence(p)[0] or self.evidence(p)[1] for p in f.split("-") if p)
            votes.pop(None, None)
            if votes:
                return None, votes.most_common(1)[0][0]
        if has_ru_weak_letter(word) or f.endswith(RU_ENDINGS):
            return None, "ru"
        if f.endswith(KK_ENDINGS):
            return None, "kk"
        return None, None

    # -- a text -----------------------------------------------------------
    def tag_words(
        self,
        words: Sequence[str],
        prior: str | None = None,
        word_priors: Sequence[str | None] | None = None,
        fixed: Mapping[int, str] | None = None,
    ) -> list[str]:
        """The language of each word. ``prior``: the segment's language;
        ``word_priors``: the model's language per word; ``fixed``: tags a person
        set (by word index), kept and used as context."""
        fixed = fixed or {}
        n = len(words)
        tags: list[str | None] = [None] * n
        anchors: list[str | None] = [None] * n
        weak: list[str | None] = [None] * n
        for i, w in enumerate(words):
            if i in fixed:
                tags[i] = anchors[i] = fixed[i]
                continue
            strong, weak[i] = self.evidence(w)
            if strong is None and word_priors is not None and i < len(word_priors):
                strong = _lang_code(word_priors[i])
            if strong is not None:
                tags[i] = strong
                if strong != "other":
                    anchors[i] = strong
            elif weak[i] is not None:
                tags[i] = weak[i]
        seg_prior = _lang_code(prior)
        left = _nearest(anchors, forward=True)
        right = _nearest(anchors, forward=False)
        fallback = seg_prior or _majority(tags) or DEFAULT_LANG
        for i in range(n):
            if tags[i] is not None:
                continue
            (ld, ll), (rd, rl) = left[i], right[i]
            if ll and rl and ll != rl:
                tags[i] = seg_prior if seg_prior in (ll, rl) else (ll if ld <= rd else rl)
            else:
                tags[i] = ll or rl or fallback
        return [t or fallback for t in tags]

    def tag(
        self,
        text: str,
        prior: str | None = None,
        model_words: Sequence[Mapping[str, Any]] | None = None,
    ) -> list[dict[str, str]]:
        """Automatic tags for every word of ``text``."""
        return self.retag(None, text, prior, model_words)

    def retag(
        self,
        old: Sequence[Mapping[str, Any]] | None,
        text: str,
        prior: str | None = None,
        model_words: Sequence[Mapping[str, Any]] | None = None,
    ) -> list[dict[str, str]]:
        """Tags for ``text`` that keep every person's tag (``by: "user"``) of
        ``old`` whose word is still there, matched by word and order; the other
        words are tagged afresh."""
        words = tokenize(text)
        fixed = user_tags_for(old, words)
        tags = self.tag_words(words, prior, _model_langs(model_words, words), fixed)
        return [
            {"w": w, "l": t, "by": "user" if i in fixed else "auto"}
            for i, (w, t) in enumerate(zip(words, tags, strict=True))
        ]


def user_tags_for(old: Sequence[Mapping[str, Any]] | None, words: Sequence[str]) -> dict[int, str]:
    """The person's tags of ``old`` that apply to ``words`` (index → language),
    aligned by word string and order (difflib), so that editing one word keeps
    the tags on the others."""
    users = [t for t in old or () if t.get("by") == "user"]
    if not users or not words:
        return {}
    before = [fold(str(t.get("w", ""))) for t in old or ()]
    after = [fold(w) for w in words]
    langs = [str(t.get("l")) if t.get("by") == "user" else None for t in old or ()]
    fixed: dict[int, str] = {}
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            lang = langs[block.a + k]
            if lang in LANGS:
                fixed[block.b + k] = lang
    return fixed


def _model_langs(
    model_words: Sequence[Mapping[str, Any]] | None, words: Sequence[str]
) -> list[str | None] | None:
    """The model's language per word, when its words carry one and line up with ``words``."""
    if not model_words or not any("lang" in w or "language" in w for w in model_words):
        return None
    said = [fold(str(w.get("w", "")).strip()) for w in model_words]
    out: list[str | None] = [None] * len(words)
    matcher = difflib.SequenceMatcher(None, said, [fold(w) for w in words], autojunk=False)
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            mw = model_words[block.a + k]
            out[block.b + k] = mw.get("lang") or mw.get("language")
    return out


def _nearest(anchors: Sequence[str | None], *, forward: bool) -> list[tuple[int, str | None]]:
    """For each position: (distance, language) of the nearest anchor on one side."""
    n = len(anchors)
    out: list[tuple[int, str | None]] = [(n + 1, None)] * n
    last: tuple[int, str] | None = None
    order = range(n) if forward else range(n - 1, -1, -1)
    for i in order:
        if last is not None:
            out[i] = (abs(i - last[0]), last[1])
        if anchors[i] is not None:
            last = (i, anchors[i])  # type: ignore[assignment]
    return out


def _majority(tags: Sequence[str | None]) -> str | None:
    votes = Counter(t for t in tags if t in ("kk", "ru"))
    return votes.most_common(1)[0][0] if votes else None


_DEFAULT: Tagger | None = None


def default_tagger() -> Tagger:
    """The process's tagger over the system's word lists (loaded on first use)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Tagger()
    return _DEFAULT
