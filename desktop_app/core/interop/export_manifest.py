"""What an export wrote, so that ``overwrite`` replaces only Jazba's own files.

Every export leaves ``.jazba-export.json`` in its folder: the files Jazba wrote
there (relative paths), each with its size, modification time and export
format. Moving a finished export into place (:func:`commit`):

* a file of the new export that would land on a file Jazba did not write, or
  one changed since Jazba wrote it, is refused (overwrite or not) and nothing
  is moved: the user's files are never replaced or removed;
* without ``overwrite``, any existing file in the way is refused;
* with ``overwrite``, the files the previous export of the same format wrote
  (still as written) are removed first, then the new ones moved in; files of
  other formats' exports that are not in the way stay.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from desktop_app.core.audio._storage import storage_message
from desktop_app.core.errors import InteropError, StorageError

log = logging.getLogger(__name__)

MANIFEST_NAME = ".jazba-export.json"
VERSION = 1


@dataclass(frozen=True)
class Entry:
    format: str
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path, fmt: str) -> Entry:
        st = path.stat()
        return cls(fmt, st.st_size, st.st_mtime_ns)

    def matches(self, path: Path) -> bool:
        """``path`` is still the file Jazba wrote (not replaced or edited since)."""
        try:
            st = path.lstat()
        except OSError:
            return False
        return path.is_file() and (st.st_size, st.st_mtime_ns) == (self.size, self.mtime_ns)


def read_manifest(folder: Path) -> dict[str, Entry]:
    """Jazba's files in ``folder`` by relative path (none when there is no readable list)."""
    path = folder / MANIFEST_NAME
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(rel): Entry(**entry) for rel, entry in data["files"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        log.warning("ignoring an unreadable export list %s", path, exc_info=True)
        return {}


def write_manifest(
    folder: Path, entries: dict[str, Entry], last_export: dict[str, Any] | None = None
) -> None:
    """``last_export``: what the latest export selected (what it included, what it
    left out and why)."""
    path = folder / MANIFEST_NAME
    tmp = path.with_name(path.name + ".tmp")
    body: dict[str, Any] = {
        "version": VERSION,
        "about": "Files Jazba wrote here; 'overwrite' replaces only these.",
        "files": {rel: asdict(e) for rel, e in sorted(entries.items())},
    }
    if last_export:
        body["last_export"] = last_export
    tmp.write_text(json.dumps(body, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def _shown(names: Iterable[str]) -> str:
    names = list(names)
    return ", ".join(names[:5]) + (" …" if len(names) > 5 else "")


def _in_the_way(folder: Path, rel: str) -> list[str]:
    """Existing paths that stop ``rel`` from being written: the file itself, or a
    file where one of its folders should be."""
    parts = Path(rel).parts
    found = []
    for n in range(1, len(parts)):
        parent = folder.joinpath(*parts[:n])
        if (parent.exists() and not parent.is_dir()) or parent.is_symlink():
            found.append(Path(*parts[:n]).as_posix())
    target = folder / rel
    if target.exists() or target.is_symlink():
        found.append(rel)
    return found


def commit(
    stage: Path,
    folder: Path,
    fmt: str,
    overwrite: bool,
    last_export: dict[str, Any] | None = None,
) -> dict[Path, Path]:
    """Move the staged export into ``folder`` (see the module doc); returns staged
    path → final path for every file and folder moved."""
    staged = sorted(p.relative_to(stage).as_posix() for p in stage.rglob("*") if p.is_file())
    old = read_manifest(folder)
    ours = {rel: e for rel, e in old.items() if e.matches(folder / rel)}
    clash = sorted({hit for rel in staged for hit in _in_the_way(folder, rel)})
    if clash and not overwrite:
        raise InteropError(
            f"'{folder}' already has {_shown(clash)}. Choose an empty folder or allow "
            "overwriting (only files an earlier Jazba export wrote are replaced)."
        )
    foreign = [rel for rel in clash if rel not in ours]
    if foreign:
        raise InteropError(
            f"'{folder}' has files Jazba did not write, or that were changed since Jazba "
            f"wrote them, where this export would go: {_shown(foreign)}. Nothing was "
            "written and nothing removed: move those files away or choose another folder."
        )
    remove = sorted(rel for rel, e in ours.items() if rel in clash or e.format == fmt)
    kept = {rel: e for rel, e in old.items() if rel not in remove and (folder / rel).exists()}
    new = {rel: Entry.of(stage / rel, fmt) for rel in staged}  # os.replace keeps size, mtime
    moved: dict[Path, Path] = {}
    try:
        write_manifest(
            folder, kept | new, last_export
        )  # first: whatever happens next, Jazba's files are listed
        for rel in remove:
            (folder / rel).unlink(missing_ok=True)
        _prune(folder, remove)
        for rel in staged:
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(stage / rel, target)
            moved[stage / rel] = target
        for sub in sorted((p for p in stage.rglob("*") if p.is_dir()), reverse=True):
            moved[sub] = folder / sub.relative_to(stage)
            sub.rmdir()
    except OSError as exc:
        raise StorageError(storage_message(folder, "the export", exc)) from exc
    stage.rmdir()
    return moved


def _prune(folder: Path, removed: Iterable[str]) -> None:
    """Remove the folders that removing ``removed`` left empty (never ``folder``)."""
    parents = {p for rel in removed for p in (folder / rel).parents if folder in p.parents}
    for parent in sorted(parents, key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):  # not empty: it holds something else
            parent.rmdir()
