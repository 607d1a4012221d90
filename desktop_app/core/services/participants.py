"""Participant metadata of a speaker: checking and normalising what a user typed.

Fields (all optional): ``gender`` (one of :data:`GENDERS`, ``f``/``m`` for
short, or any short free word), ``age_band`` (e.g. ``30-39``; free),
``birth_year`` (a whole year between :data:`MIN_BIRTH_YEAR` and this year),
``dialect`` and ``region`` (free text), ``l1`` (first language(s): comma
separated ISO 639 codes, checked against the project's language list) and
``notes``. An empty value clears a field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from desktop_app.core.errors import EditError
from desktop_app.core.services.dto import SpeakerInfo
from desktop_app.core.services.languages import check_code, split_codes

GENDERS = ("female", "male", "other")
"""Offered genders; anything else short is kept as typed."""
_GENDER_SHORT = {"f": "female", "m": "male", "w": "female", "o": "other"}
AGE_BANDS = ("under 20", "20-29", "30-39", "40-49", "50-59", "60-69", "70-79", "80+")
"""Offered age bands (decades); any other short band is kept as typed."""
MIN_BIRTH_YEAR = 1900
METADATA_FIELDS = ("gender", "age_band", "birth_year", "dialect", "region", "l1", "notes")
"""A speaker's participant metadata, in the order forms and listings show it."""
EXPORT_FIELDS = ("gender", "age_band", "birth_year", "dialect", "region", "l1")
"""The fields dataset manifests carry (notes stay in the project)."""
_MAX_LEN = {"gender": 32, "age_band": 32, "dialect": 100, "region": 200, "l1": 100}
LABELS = {
    "gender": "gender",
    "age_band": "age band",
    "birth_year": "birth year",
    "dialect": "dialect",
    "region": "region",
    "l1": "first language(s)",
    "notes": "notes",
}


@dataclass(frozen=True)
class CheckedFields:
    values: dict[str, Any]
    warnings: list[str]


def _text(key: str, value: Any) -> str | None:
    text = " ".join(str(value).split()) if key != "notes" else str(value).strip()
    if not text:
        return None
    limit = _MAX_LEN.get(key)
    if limit is not None and len(text) > limit:
        raise EditError(f"The {LABELS[key]} is too long ({len(text)} characters, at most {limit}).")
    return text


def check_birth_year(value: Any, today: date | None = None) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    this_year = (today or date.today()).year
    try:
        year = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise EditError(f"'{value}' is not a year of birth: write it as four digits.") from None
    if isinstance(year, bool) or not MIN_BIRTH_YEAR <= year <= this_year:
        raise EditError(
            f"{year} is not a likely year of birth (between {MIN_BIRTH_YEAR} and {this_year})."
        )
    return year


def check_gender(value: Any) -> str | None:
    text = None if value is None else _text("gender", value)
    if text is None:
        return None
    low = text.lower()
    return _GENDER_SHORT.get(low, low if low in GENDERS else text)


def check_l1(value: Any, known: set[str] | None) -> tuple[str | None, list[str]]:
    """Comma separated codes, checked; a code not in ``known`` gives a warning."""
    codes = split_codes(None if value is None else str(value))
    out: list[str] = []
    warnings: list[str] = []
    for raw in codes:
        code, _ = check_code(raw)
        if known is not None and code not in known:
            warnings.append(f"First language '{code}' is not on the project's language list.")
        if code not in out:
            out.append(code)
    text = ",".join(out) or None
    if text is not None and len(text) > _MAX_LEN["l1"]:
        raise EditError("Too many first languages.")
    return text, warnings


def check_fields(fields: dict[str, Any], known_languages: set[str] | None = None) -> CheckedFields:
    """Normalised values and warnings for the metadata fields in ``fields``
    (``name`` and unknown keys pass through untouched for the caller)."""
    values: dict[str, Any] = {}
    warnings: list[str] = []
    for key, value in fields.items():
        if key == "birth_year":
            values[key] = check_birth_year(value)
        elif key == "gender":
            values[key] = check_gender(value)
        elif key == "l1":
            values[key], more = check_l1(value, known_languages)
            warnings += more
        elif key in METADATA_FIELDS:
            values[key] = None if value is None else _text(key, value)
        else:
            values[key] = value
    return CheckedFields(values, warnings)


def export_fields(sp: SpeakerInfo | Any) -> dict[str, Any]:
    """The exported participant fields of a speaker (row or info), Nones included."""
    return {key: getattr(sp, key, None) for key in EXPORT_FIELDS}


def describe(sp: SpeakerInfo) -> str:
    """One line of a speaker's metadata (``female, 30-39, b. 1988, l1 kk,ru``)."""
    parts = [
        sp.gender or "",
        sp.age_band or "",
        f"b. {sp.birth_year}" if sp.birth_year else "",
        sp.dialect or "",
        sp.region or "",
        f"l1 {sp.l1}" if sp.l1 else "",
    ]
    return ", ".join(p for p in parts if p)
