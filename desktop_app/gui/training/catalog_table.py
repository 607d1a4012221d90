"""The model catalog as a table: what each entry is, what its authors report, and
whether it is installed, downloading or paused.

:class:`CatalogModel` shows :class:`~desktop_app.asr.catalog.CatalogEntry`
rows (no Qt in the catalog itself); the *Get models* page
(:mod:`~desktop_app.gui.training.catalog_page`) owns the jobs and tells the
model each entry's state. Error rates nobody checked are marked "unverified"
in the text, greyed and italic, and their tooltip says where the figure comes
from and what was (not) confirmed.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from desktop_app.asr.catalog import CatalogEntry
from desktop_app.gui import theme

Index = QModelIndex | QPersistentModelIndex

INSTALLED = "Installed ✓"
PAUSED = "Paused: can be resumed"
ARCHITECTURE_NAMES = {
    "whisper": "Whisper",
    "ctc": "CTC",
    "speaker": "Speakers",
    "segmentation": "Overlaps",
    "tts": "Voice (TTS)",
}
LANGUAGE_NAMES = {"kk": "Kazakh", "ru": "Russian", "en": "English"}


class CatalogCol(enum.IntEnum):
    MODEL = 0
    TYPE = 1
    SIZE = 2
    LICENCE = 3
    LANGUAGES = 4
    REPORTED = 5
    RECOMMENDED = 6
    STATUS = 7


def reported_tooltip(entry: CatalogEntry) -> str:
    """Every figure the authors report, with its test set and source, and what we checked."""
    if not entry.reported:
        return "The authors report no error rate for this model."
    lines = [
        f"{r.metric.upper()} {r.value:g} % on {r.test_set} — source: {r.source or 'not given'}"
        f" ({'verified' if r.verified else 'unverified: not checked by Jazba'})"
        for r in entry.reported
    ]
    if entry.verification:
        lines.append(entry.verification)
    return "\n".join(lines)


def unverified(entry: CatalogEntry) -> bool:
    best = entry.best
    return best is not None and not best.verified


def details_text(entry: CatalogEntry, installed_id: str | None) -> str:
    """A few lines about the selected entry, under the table."""
    parts = [
        f"{entry.name}: {entry.ref()} · {entry.params_m:g} M parameters · "
        f"{entry.size_text()} to download · licence {entry.license_text()}"
        + (" · gated: needs a Hugging Face token" if entry.gated else "")
    ]
    if installed_id:
        parts.append(
            f"Installed as the voice '{installed_id}'."
            if entry.architecture == "tts"
            else f"Installed as version '{installed_id}'."
        )
    if entry.notes:
        parts.append(entry.notes)
    if entry.reported and not all(r.verified for r in entry.reported):
        parts.append(
            "Error rates marked unverified are the authors' own figures; Jazba has not "
            "checked them."
        )
    return "\n".join(parts)


class CatalogModel(QAbstractTableModel):
    HEADERS = (
        "Model",
        "Type",
        "Download",
        "Licence",
        "Languages",
        "Reported error",
        "Recommended for",
        "Status",
    )

    def __init__(self, entries: Sequence[CatalogEntry], parent: Any = None) -> None:
        super().__init__(parent)
        self.entries = list(entries)
        self.installed: dict[str, str] = {}  # entry id -> installed version id
        self.status: dict[str, str] = {}  # entry id -> progress or outcome of a job

    def entry(self, row: int) -> CatalogEntry | None:
        return self.entries[row] if 0 <= row < len(self.entries) else None

    def row_of(self, entry_id: str) -> int | None:
        return next((i for i, e in enumerate(self.entries) if e.id == entry_id), None)

    def set_installed(self, installed: dict[str, str]) -> None:
        self.installed = dict(installed)
        self._status_changed()

    def set_status(self, entry_id: str, text: str | None) -> None:
        if text:
            self.status[entry_id] = text
        else:
            self.status.pop(entry_id, None)
        self._status_changed(entry_id)

    def status_text(self, entry: CatalogEntry) -> str:
        """A job's state first (downloading, paused, failed), else whether it is installed."""
        return self.status.get(entry.id) or (INSTALLED if entry.id in self.installed else "")

    def _status_changed(self, entry_id: str | None = None) -> None:
        rows = [self.row_of(entry_id)] if entry_id else range(len(self.entries))
        for row in rows:
            if row is not None:
                i = self.index(row, CatalogCol.STATUS)
                self.dataChanged.emit(i, i)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(CatalogCol)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        entry = self.entry(index.row()) if index.isValid() else None
        if entry is None:
            return None
        col = CatalogCol(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(entry, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(entry, col)
        if col == CatalogCol.REPORTED and unverified(entry):
            if role == Qt.ItemDataRole.ForegroundRole:
                return QColor(theme.current().muted)
            if role == Qt.ItemDataRole.FontRole:
                font = QFont()
                font.setItalic(True)
                return font
        done = entry.id in self.installed and entry.id not in self.status
        if col == CatalogCol.STATUS and role == Qt.ItemDataRole.ForegroundRole and done:
            return QColor(theme.current().status_color("approved"))
        return None

    def _text(self, entry: CatalogEntry, col: CatalogCol) -> str:
        if col == CatalogCol.MODEL:
            return entry.name
        if col == CatalogCol.TYPE:
            return ARCHITECTURE_NAMES.get(entry.architecture, entry.architecture)
        if col == CatalogCol.SIZE:
            return entry.size_text()
        if col == CatalogCol.LICENCE:
            return entry.license_text()
        if col == CatalogCol.LANGUAGES:
            return ", ".join(entry.languages) or "any"
        if col == CatalogCol.REPORTED:
            return entry.reported_text()
        if col == CatalogCol.RECOMMENDED:
            return entry.recommended_for
        return self.status_text(entry)

    def _tooltip(self, entry: CatalogEntry, col: CatalogCol) -> str:
        if col == CatalogCol.REPORTED:
            return reported_tooltip(entry)
        if col == CatalogCol.LANGUAGES:
            return ", ".join(LANGUAGE_NAMES.get(x, x) for x in entry.languages)
        if col == CatalogCol.SIZE:
            return f"{entry.params_m:g} M parameters; about {entry.size_text()} to download"
        if col == CatalogCol.STATUS and entry.id in self.installed:
            return f"Installed as version '{self.installed[entry.id]}'"
        if col == CatalogCol.MODEL:
            return entry.ref()
        return self._text(entry, col)
