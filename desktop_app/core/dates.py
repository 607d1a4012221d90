"""Dates of free precision, as recordings keep them: ``YYYY``, ``YYYY-MM`` or
``YYYY-MM-DD`` (a linguist often knows only the year or the month of an old
tape). :func:`date_problem` says, in words, what is wrong with one."""

from __future__ import annotations

import calendar
import re
from datetime import date

DATE_FORMS = "YYYY, YYYY-MM or YYYY-MM-DD"
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)  # fmt: skip  (not the locale's)
_PARTIAL = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def date_problem(text: str | None) -> str | None:
    """``None`` when ``text`` is empty or a valid partial ISO date, else what is wrong."""
    if not text:
        return None
    m = _PARTIAL.fullmatch(text)
    if m is None:
        return f"'{text}' is not a date: write it as {DATE_FORMS} (e.g. 2026-07-14 or 2026-07)."
    year = int(m.group(1))
    if year < 1:
        return f"'{text}': there is no year 0; write the year with four digits."
    if m.group(2) is None:
        return None
    month = int(m.group(2))
    if not 1 <= month <= 12:
        return f"'{text}': there is no month {month:02d} (months go from 01 to 12)."
    if m.group(3) is None:
        return None
    day = int(m.group(3))
    try:
        date(year, month, day)
    except ValueError:
        last = calendar.monthrange(year, month)[1]
        name = MONTHS[month - 1]
        return f"'{text}': {name} {year} has days 01 to {last}, not {day:02d}."
    return None
