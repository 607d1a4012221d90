"""Safe, unique file names for imported audio.

Users import files named in Kazakh, Russian or English from every kind of
device; we keep the name recognisable (Cyrillic stays Cyrillic) but make it
valid on Windows, macOS and Linux alike.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

MAX_NAME_BYTES = 150
"""Leaves room for cache suffixes and de-duplication under the usual 255-byte limit."""

_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"}
    | {f"COM{i}" for i in range(1, 10)}
    | {f"LPT{i}" for i in range(1, 10)}
)


def safe_file_name(name: str, default: str = "audio") -> str:
    """``name`` made safe to create in any folder on any desktop OS.

    Path separators, control and Windows-forbidden characters become ``_``;
    leading dots and spaces, trailing dots and spaces are dropped; reserved
    device names get a leading ``_``; overlong names are shortened, keeping the
    extension.
    """
    text = unicodedata.normalize("NFC", name)
    text = _FORBIDDEN.sub("_", text).strip(" .")
    if not text:
        return default
    stem, dot, ext = text.rpartition(".")
    if not dot or not stem:
        stem, ext = text, ""
    ext = ext[:16]
    if stem.split(".")[0].upper() in _RESERVED:
        stem = "_" + stem
    suffix = f".{ext}" if ext else ""
    budget = MAX_NAME_BYTES - len(suffix.encode("utf-8"))
    encoded = stem.encode("utf-8")
    if len(encoded) > budget:
        stem = encoded[:budget].decode("utf-8", errors="ignore").rstrip(" .") or default
    return stem + suffix


def name_candidates(name: str) -> Iterator[str]:
    """``name``, then ``stem-2.ext``, ``stem-3.ext``, … without end."""
    yield name
    path = Path(name)
    stem, suffix = path.stem, path.suffix
    i = 2
    while True:
        yield f"{stem}-{i}{suffix}"
        i += 1
