"""File names for exports that can never escape the chosen folder.

Speaker, tier and recording names come from users and from imported files;
``../../etc``, ``C:\\x``, ``CON`` or a name of 300 bytes must still give a
plain file name inside the export folder. Every path goes through
:meth:`SafeNames.path`, which refuses anything that would resolve outside.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from desktop_app.core.audio.filenames import safe_file_name
from desktop_app.core.errors import InteropError

_ASCII_ID = re.compile(r"[^A-Za-z0-9]+")


def safe_stem(name: str, default: str = "recording") -> str:
    """``name`` as one path component: no separators, no leading dots, no ``..``."""
    text = safe_file_name(name.replace("..", "_"), default=default)
    return text.replace(".", "_") or default


def ascii_id(name: str, default: str = "x") -> str:
    """A short ASCII identifier for ``name`` (Kaldi ids, utterance names).

    Letters lose their accents; other scripts are dropped (the caller adds a
    numeric id, so this only helps a human reading the file).
    """
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return _ASCII_ID.sub("", folded)[:24] or default


def inside(root: Path, path: Path) -> Path:
    """``path`` resolved, or :class:`InteropError` if it is not under ``root``."""
    base = root.resolve()
    full = (root / path).resolve()
    if full != base and base not in full.parents:
        raise InteropError(f"Refusing to write '{path}': it lies outside '{root}'.")
    return full


class SafeNames:
    """Hands out unique, safe file names under one folder (case-insensitively unique,
    so the export also works on Windows and macOS)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._taken: set[str] = set()

    def stem(self, name: str, default: str = "recording") -> str:
        """A safe stem unique among the stems handed out (for a family of files)."""
        base = safe_stem(name, default=default)
        stem, n = base, 2
        while f"stem:{stem}".casefold() in self._taken:
            stem = f"{base}-{n}"
            n += 1
        self._taken.add(f"stem:{stem}".casefold())
        return stem

    def path(self, *parts: str, suffix: str = "", default: str = "file") -> Path:
        """``root/part/.../stem+suffix`` made safe and unique; folders are not created."""
        *folders, last = parts
        safe_folders = [safe_stem(f, default="folder") for f in folders]
        stem = safe_stem(last, default=default)
        rel = "/".join([*safe_folders, stem + suffix])
        n = 2
        while rel.casefold() in self._taken:
            rel = "/".join([*safe_folders, f"{stem}-{n}{suffix}"])
            n += 1
        self._taken.add(rel.casefold())
        return inside(self.root, Path(rel))
