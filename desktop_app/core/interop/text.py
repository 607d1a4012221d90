"""Text helpers: reading files in whatever Unicode encoding, normalising for training."""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from desktop_app.core.errors import InteropError

MAX_TEXT_FILE_BYTES = 64 << 20
"""Annotation files bigger than this are refused (a transcript of days is ~10 MB)."""

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_TAGS = re.compile(r"\[[^\]]*\]|\{[^}]*\}|<[^>]*>")
_PUNCT_OR_SYMBOL = ("P", "S")
_INNER_APOSTROPHES = "'’ʼ"


def read_text_file(path: Path) -> str:
    """The text of ``path``: UTF-8 (with or without BOM) or UTF-16 with a BOM
    (what Praat writes). Anything else is a clear :class:`InteropError`."""
    try:
        size = path.stat().st_size
        if size > MAX_TEXT_FILE_BYTES:
            raise InteropError(
                f"'{path.name}' is {size >> 20} MB; annotation files over "
                f"{MAX_TEXT_FILE_BYTES >> 20} MB are not supported."
            )
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise InteropError(f"Cannot read '{path}': the file does not exist.") from exc
    except OSError as exc:
        raise InteropError(f"Cannot read '{path}': {exc.strerror}.") from exc
    return decode_text(data, path.name)


def decode_text(data: bytes, name: str) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding).replace("\r\n", "\n").replace("\r", "\n")
            except UnicodeDecodeError as exc:
                raise InteropError(f"'{name}' is damaged: invalid {encoding} text.") from exc
    if len(data) >= 4 and data[1:4:2] == b"\0\0" and data[0:4:2] != b"\0\0":
        encoding = "utf-16-le"  # UTF-16 without a BOM: every other byte is zero
    elif len(data) >= 4 and data[0:4:2] == b"\0\0" and data[1:4:2] != b"\0\0":
        encoding = "utf-16-be"
    else:
        encoding = "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InteropError(
            f"Cannot read '{name}': it is not UTF-8 or UTF-16 text. Save it as UTF-8 "
            "(in Praat: Preferences → Text writing preferences → UTF-8) and try again."
        ) from exc
    if "\0" in text:
        raise InteropError(f"Cannot read '{name}': it is a binary file, not text.")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def blocks(text: str, size: int = 1 << 18) -> Iterator[str]:
    """``text`` in pieces of about ``size`` characters, cut at line ends (the line
    ends themselves left out)."""
    start = 0
    while True:
        end = text.find("\n", start + size) if start + size < len(text) else -1
        if end < 0:
            yield text[start:]
            return
        yield text[start:end]
        start = end + 1


def iter_lines(text: str) -> Iterator[str]:
    """``text.split("\\n")`` one line at a time, split a block at a time: a list of
    all the lines would be 500 MB of pointers for a 64 MB file of empty lines."""
    for block in blocks(text):
        yield from block.split("\n")


def squeeze_spaces(text: str) -> str:
    """``" ".join(text.split())`` without a list of every word of the text."""
    return " ".join(part for part in (" ".join(b.split()) for b in blocks(text)) if part)


def normalize_text(text: str) -> str:
    """Text as ASR training wants it: NFC, lower case, no punctuation or tags.

    ``[laughs]``, ``{noise}`` and ``<unk>``-style tags are dropped, punctuation
    and symbols become spaces (an apostrophe inside a word stays), whitespace
    collapses. Digits are kept as written. Works for Cyrillic and Latin Kazakh.

    This is the *training-target* form of exported datasets. Scoring uses
    :func:`desktop_app.core.learning.normalize.normalize_kk` instead, which
    goes further on purpose (NFKC, numbers spelled out in Kazakh, ``(…)``
    dropped too, combining marks removed, apostrophes split words), so the two are
    not interchangeable.
    """
    text = unicodedata.normalize("NFC", _TAGS.sub(" ", text)).lower()
    out: list[str] = []
    for i, ch in enumerate(text):
        if ch in _INNER_APOSTROPHES:
            before = text[i - 1] if i else " "
            after = text[i + 1] if i + 1 < len(text) else " "
            out.append("'" if before.isalnum() and after.isalnum() else " ")
        elif unicodedata.category(ch)[0] in _PUNCT_OR_SYMBOL:
            out.append(" ")
        else:
            out.append(ch)
    return " ".join("".join(out).split())
