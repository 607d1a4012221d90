"""Times read from annotation files: checked numbers, or an error naming the place.

Every reader turns the times it finds into integer milliseconds through
:func:`ms_from_seconds` or :func:`ms_from_ms`. They accept numbers and numeric
text, and refuse (with an :class:`InteropError` that names the file and the
line or field, given as ``where``) what is not a finite number or lies beyond
any recording: ``inf``, ``nan``, ``1e999``, an integer of thousands of digits.
Negative times pass: the importer repairs them with a warning.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from desktop_app.core.errors import InteropError

MAX_TIME_MS = 100 * 24 * 3600 * 1000
"""100 days: a time beyond this belongs to no recording."""
_MAX_CHARS = 40  # Praat reads at most 40 characters for a number

Where = str | Callable[[], str]
"""The place named in an error: text, or a function giving it (called only on error)."""


def _place(where: Where) -> str:
    return where if isinstance(where, str) else where()


def _show(value: object) -> str:
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 24 else text[:20] + "…'"


def _number(value: object, where: Where) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InteropError(f"{_place(where)}: the time {_show(value)} is not a number.")
    if isinstance(value, str):
        text = value.strip()
        if len(text) > _MAX_CHARS:
            raise InteropError(
                f"{_place(where)}: the time '{text[:20]}…' ({len(text)} characters) "
                "is not a number."
            )
        try:
            number = float(text)
        except ValueError:
            raise InteropError(
                f"{_place(where)}: the time {_show(value)} is not a number."
            ) from None
    else:
        try:
            number = float(value)
        except OverflowError:  # an integer too big for a float
            raise InteropError(
                f"{_place(where)}: the time {_show(value)} is out of range."
            ) from None
    if not math.isfinite(number):
        raise InteropError(f"{_place(where)}: the time {_show(value)} is not a finite number.")
    return number


def _checked(ms: float, value: object, where: Where) -> int:
    if abs(ms) > MAX_TIME_MS:
        raise InteropError(
            f"{_place(where)}: the time {_show(value)} is out of range (more than "
            f"{MAX_TIME_MS // 86_400_000} days)."
        )
    return round(ms)


def ms_from_seconds(value: object, where: Where) -> int:
    """``value`` (seconds, a number or numeric text) as integer milliseconds."""
    return _checked(_number(value, where) * 1000, value, where)


def ms_from_ms(value: object, where: Where) -> int:
    """``value`` (milliseconds, a number or numeric text) as an integer."""
    return _checked(_number(value, where), value, where)
