"""A project's word list: names and terms the speech model should lean towards.

Stored in ``project_meta`` under :data:`BIAS_WORDS_KEY` as JSON
``{"version": 1, "prompt": false, "words": [{"w": "Алматы", "weight": 1.0}, ...]}``,
in the order the user gave them; ``prompt`` says whether Whisper also gets the
words as its previous-text prompt (off unless the user turns it on). Words
are trimmed, inner whitespace collapsed and duplicates (same spelling)
dropped; a weight is a positive number (1.0 is normal strength; a heavier
word is kept first when the prompt budget runs out and earns a larger,
still capped, bonus).

Word files (:func:`parse_word_file`) hold one word or phrase per line, an
optional weight after a tab, comma or semicolon (``Жамбыл;2``); blank lines
and lines starting with ``#`` are skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from desktop_app.core.errors import JazbaError
from desktop_app.core.project import Project

BIAS_WORDS_KEY = "bias_words"
MAX_WORDS = 2000
MAX_WEIGHT = 10.0
_WEIGHTED = re.compile(r"^(?P<word>.+?)\s*[\t,;]\s*(?P<weight>[0-9]+(?:\.[0-9]+)?)\s*$")


@dataclass(frozen=True)
class BiasWord:
    word: str
    weight: float = 1.0


def clean_word(text: str) -> str:
    return " ".join(str(text).split())


def _check_weight(weight: float) -> float:
    weight = float(weight)
    if not 0 < weight <= MAX_WEIGHT:
        raise JazbaError(f"A word's weight must be above 0 and at most {MAX_WEIGHT:g}.")
    return weight


def normalise(words: Iterable[BiasWord]) -> list[BiasWord]:
    """Trimmed, non-empty, without repeats (the later weight wins, the first place stays)."""
    order: dict[str, float] = {}
    for item in words:
        text = clean_word(item.word)
        if text:
            order[text] = _check_weight(item.weight)
    if len(order) > MAX_WORDS:
        raise JazbaError(f"A word list holds at most {MAX_WORDS} words ({len(order)} given).")
    return [BiasWord(w, weight) for w, weight in order.items()]


def _load(project: Project) -> tuple[list[BiasWord], bool]:
    raw = project.meta().get(BIAS_WORDS_KEY)
    if not raw:
        return [], False
    try:
        data = json.loads(raw)
        items = data["words"] if isinstance(data, dict) else data
        prompt = bool(data.get("prompt", False)) if isinstance(data, dict) else False
        words = normalise(BiasWord(str(i["w"]), float(i.get("weight", 1.0))) for i in items)
        return words, prompt
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise JazbaError(f"The project's word list cannot be read: {exc}") from exc


def load_words(project: Project) -> list[BiasWord]:
    """The project's word list (empty when none was set)."""
    return _load(project)[0]


def uses_prompt(project: Project) -> bool:
    """Whether Whisper also gets the project's words as its prompt."""
    return _load(project)[1]


def save_words(
    project: Project, words: Iterable[BiasWord], prompt: bool | None = None
) -> list[BiasWord]:
    """Replace the project's word list (``prompt=None`` keeps that setting); returns it."""
    clean = normalise(words)
    if prompt is None:
        prompt = uses_prompt(project) if project.meta().get(BIAS_WORDS_KEY) else False
    data = {
        "version": 1,
        "prompt": bool(prompt),
        "words": [{"w": b.word, "weight": b.weight} for b in clean],
    }
    project.set_meta(BIAS_WORDS_KEY, json.dumps(data, ensure_ascii=False))
    return clean


def set_prompt(project: Project, on: bool) -> None:
    save_words(project, load_words(project), prompt=on)


def add_words(project: Project, words: Iterable[BiasWord]) -> list[BiasWord]:
    return save_words(project, [*load_words(project), *words])


def remove_words(project: Project, words: Iterable[str]) -> tuple[list[BiasWord], list[str]]:
    """Remove ``words`` (case-insensitive); returns the new list and the words not found."""
    drop = {clean_word(w).casefold() for w in words if clean_word(w)}
    current = load_words(project)
    kept = [b for b in current if b.word.casefold() not in drop]
    found = {b.word.casefold() for b in current} & drop
    missing = sorted(drop - found)
    return save_words(project, kept), missing


def parse_word_line(line: str) -> BiasWord | None:
    """One line of a word file (``word`` or ``word<TAB|,|;>weight``); ``None``: blank/comment."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    match = _WEIGHTED.match(text)
    if match:
        return BiasWord(clean_word(match["word"]), _check_weight(float(match["weight"])))
    return BiasWord(clean_word(text))


def parse_word_text(text: str) -> list[BiasWord]:
    return [w for w in (parse_word_line(line) for line in text.splitlines()) if w is not None]


def parse_word_file(path: Path) -> list[BiasWord]:
    """The words of a UTF-8 text file (see the module docstring)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise JazbaError(f"Cannot read the word file '{path}': {exc}") from exc
    return parse_word_text(text)


def split_word_option(text: str) -> list[BiasWord]:
    """Words given inline, separated by commas (``"Алматы, Жамбыл"``)."""
    return [BiasWord(clean_word(w)) for w in text.split(",") if clean_word(w)]
