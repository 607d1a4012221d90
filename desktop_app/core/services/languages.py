"""The project's language list: the ISO 639 codes its segments, tiers and
speakers' first languages are tagged with.

Stored as JSON in ``project_meta`` (key :data:`META_KEY`): a list of
``{"code": "kk", "name": "Kazakh"}``. A project that never set one (every
project made before the setting existed) has :data:`DEFAULT_CODES`. Codes are
ISO 639-1 (two letters) or 639-3 (three letters), plus ``mixed`` for
code-switched speech; a well-formed code not in :data:`ISO_639` is accepted
with a warning (the table holds only the languages likely in this work).

When the built-in ``language`` controlled vocabulary exists, setting the list
rewrites its entries in the same transaction, so the two never disagree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.core.errors import EditError
from desktop_app.core.project import Project
from desktop_app.core.store.schema import ControlledVocabulary, CvEntry, ProjectMeta

META_KEY = "languages"
MIXED = "mixed"
DEFAULT_CODES = ("kk", "ru", MIXED, "en")
LANGUAGE_CV = "language"
"""Name of the built-in controlled vocabulary that mirrors the language list."""

ISO_639: dict[str, str] = {
    "kk": "Kazakh",
    "kaz": "Kazakh",
    "ru": "Russian",
    "rus": "Russian",
    "en": "English",
    "eng": "English",
    "tr": "Turkish",
    "tur": "Turkish",
    "uz": "Uzbek",
    "uzb": "Uzbek",
    "ky": "Kyrgyz",
    "kir": "Kyrgyz",
    "tt": "Tatar",
    "tat": "Tatar",
    "ba": "Bashkir",
    "bak": "Bashkir",
    "ug": "Uyghur",
    "uig": "Uyghur",
    "mn": "Mongolian",
    "mon": "Mongolian",
    "de": "German",
    "deu": "German",
    "fr": "French",
    "fra": "French",
    "zh": "Chinese",
    "zho": "Chinese",
    "ar": "Arabic",
    "ara": "Arabic",
    "und": "Undetermined",
    MIXED: "Mixed (code-switching)",
}
"""ISO 639-1 and 639-3 codes of the languages likely in Kazakh fieldwork, with
English names; ``mixed`` is ours (code-switched speech), ``und`` is ISO's
"undetermined"."""

_CODE = re.compile(r"^[a-z]{2,3}$")


@dataclass(frozen=True)
class Language:
    code: str
    name: str


def check_code(code: str) -> tuple[str, str | None]:
    """``(code, warning)`` for a language code: lower-cased and trimmed; the
    warning says when a well-formed code is not in :data:`ISO_639`.

    Raises :class:`EditError` for anything that is not 2–3 letters or ``mixed``.
    """
    c = code.strip().lower()
    if c in ISO_639:
        return c, None
    if not _CODE.match(c):
        raise EditError(
            f"'{code.strip()}' is not a language code: use an ISO 639 code of two or "
            "three letters (kk, ru, kaz…) or 'mixed'."
        )
    return c, f"'{c}' is not in Jazba's table of ISO 639 codes; kept as given."


def parse_languages(items: Iterable[str] | str) -> tuple[list[Language], list[str]]:
    """Languages from ``"kk, ru, en"`` or ``["kk", "ru=Орысша"]`` (``code=name``
    names a language; a known code takes its English name by default).

    Returns ``(languages, warnings)``; duplicates are dropped, order kept.
    """
    parts = items.split(",") if isinstance(items, str) else list(items)
    out: list[Language] = []
    warnings: list[str] = []
    seen: set[str] = set()
    for part in parts:
        raw, _eq, name = part.partition("=")
        if not raw.strip():
            continue
        code, warning = check_code(raw)
        if warning:
            warnings.append(warning)
        if code in seen:
            continue
        seen.add(code)
        out.append(Language(code, name.strip() or ISO_639.get(code, code)))
    if not out:
        raise EditError("The language list needs at least one language.")
    return out, warnings


def split_codes(text: str | None) -> list[str]:
    """Codes of a comma separated field (``"kk, ru"`` → ``["kk", "ru"]``)."""
    return [c.strip().lower() for c in (text or "").split(",") if c.strip()]


def _decode(value: str | None) -> list[Language]:
    if not value:
        return [Language(c, ISO_639[c]) for c in DEFAULT_CODES]
    try:
        data = json.loads(value)
        langs = [Language(str(d["code"]), str(d.get("name") or d["code"])) for d in data]
    except (ValueError, TypeError, KeyError):
        langs = []
    return langs or [Language(c, ISO_639[c]) for c in DEFAULT_CODES]


def sync_language_cv(s: Session, languages: Sequence[Language]) -> None:
    """Make the built-in ``language`` vocabulary (if it exists) list ``languages``."""
    cv = s.scalar(select(ControlledVocabulary).where(ControlledVocabulary.name == LANGUAGE_CV))
    if cv is None:
        return
    if [(e.value, e.description) for e in cv.entries] == [(x.code, x.name) for x in languages]:
        return
    for entry in list(cv.entries):
        s.delete(entry)
    s.flush()
    for n, lang in enumerate(languages):
        s.add(CvEntry(cv_id=cv.id, value=lang.code, description=lang.name, position=n))


def read_languages(s: Session) -> list[Language]:
    """The language list, read in an open session."""
    row = s.get(ProjectMeta, META_KEY)
    return _decode(row.value if row is not None else None)


class LanguageService:
    """Read and set the project's language list."""

    def __init__(self, project: Project) -> None:
        self.project = project

    def list(self) -> list[Language]:
        with self.project.unit() as s:
            return read_languages(s)

    def codes(self) -> list[str]:
        return [x.code for x in self.list()]

    def is_default(self) -> bool:
        """True while the project has never set its own list."""
        return META_KEY not in self.project.meta()

    def set(self, items: Iterable[str] | str) -> list[str]:
        """Replace the list (codes, or ``code=name``); returns warnings (codes
        not in the ISO table)."""
        langs, warnings = parse_languages(items)
        value = json.dumps([{"code": x.code, "name": x.name} for x in langs], ensure_ascii=False)
        with self.project.unit() as s:
            s.merge(ProjectMeta(key=META_KEY, value=value))
            sync_language_cv(s, langs)
        return warnings

    def set_languages(self, languages: Sequence[Language]) -> list[str]:
        """Replace the list with these codes and names."""
        return self.set([f"{x.code}={x.name}" for x in languages])

    def check_codes(self, text: str | None, what: str = "language") -> tuple[str | None, list[str]]:
        """Validate a comma separated field of codes (a speaker's first languages).

        Returns ``(normalised text or None, warnings)``: codes must be well
        formed; one not on the project's list is kept with a warning.
        """
        codes = split_codes(text)
        if not codes:
            return None, []
        known = set(self.codes())
        warnings: list[str] = []
        out: list[str] = []
        for raw in codes:
            code, _warning = check_code(raw)
            if code not in known:
                warnings.append(f"{what}: '{code}' is not on the project's language list.")
            if code not in out:
                out.append(code)
        return ",".join(out), warnings
