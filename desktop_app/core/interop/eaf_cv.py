"""Controlled vocabularies of an ELAN file, read while the file streams by.

EAF 2.7 writes ``<CV_ENTRY DESCRIPTION="…">value</CV_ENTRY>`` under a
``CONTROLLED_VOCABULARY`` with a ``DESCRIPTION`` attribute; EAF 2.8 and later
write ``<DESCRIPTION LANG_REF="…">`` and ``<CV_ENTRY_ML>`` with one
``<CVE_VALUE LANG_REF="…" DESCRIPTION="…">`` per language. A project's
vocabulary holds one language: the first value of each entry is kept and a
multilingual vocabulary is named in a warning, as is an external vocabulary
(``EXT_REF``) whose entries are not in the file. Jazba's own ``jazba-status``
and ``jazba-language`` vocabularies describe the ``#status``/``#lang`` tiers
and are not imported as vocabularies.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from desktop_app.core.interop.model import Vocabulary

CV = "CONTROLLED_VOCABULARY"


class VocabularyReader:
    """Fed the end of each element (with its depth and its parent's tag)."""

    def __init__(self, skip: tuple[str, ...] = ()) -> None:
        self.skip = skip
        self.found: list[Vocabulary] = []
        self.warnings: list[str] = []
        self._name: str | None = None
        self._description = ""
        self._entries: list[tuple[str, str]] = []
        self._values: list[tuple[str, str | None, str]] = []
        self._languages: set[str] = set()
        self._external = False

    def start(self, elem: Element, depth: int) -> None:
        if depth == 2 and elem.tag == CV:
            self._name = elem.get("CV_ID", "").strip() or None
            self._description = elem.get("DESCRIPTION", "")
            self._entries, self._languages = [], set()
            self._external = bool(elem.get("EXT_REF"))

    def end(self, elem: Element, depth: int, parent: str) -> None:
        if self._name is None:
            return
        tag = elem.tag
        if depth == 3 and parent == CV and tag == "DESCRIPTION":
            self._description = self._description or (elem.text or "").strip()
        elif depth == 3 and parent == CV and tag == "CV_ENTRY":  # EAF 2.7
            self._add(elem.text or "", elem.get("DESCRIPTION", ""))
        elif depth == 4 and parent == "CV_ENTRY_ML" and tag == "CVE_VALUE":
            value = (elem.text or "", elem.get("LANG_REF"), elem.get("DESCRIPTION", ""))
            self._values.append(value)
        elif depth == 3 and parent == CV and tag == "CV_ENTRY_ML":
            if self._values:
                value, _lang, description = self._values[0]
                self._languages.update(lang for _v, lang, _d in self._values if lang)
                self._add(value, description)
            self._values = []
        elif depth == 2 and tag == CV:
            self._finish()

    def _add(self, value: str, description: str) -> None:
        value = value.strip()
        if value and value not in {v for v, _ in self._entries}:
            self._entries.append((value, description.strip()))

    def _finish(self) -> None:
        name, self._name = self._name, None
        if name is None or name in self.skip:
            return
        if self._external and not self._entries:
            self.warnings.append(
                f"Controlled vocabulary '{name}' is external (kept outside the file); its "
                "values are not in the file, so it was imported empty."
            )
        if len(self._languages) > 1:
            self.warnings.append(
                f"Controlled vocabulary '{name}' has values in several languages "
                f"({', '.join(sorted(self._languages))}); only the first of each entry was kept."
            )
        self.found.append(Vocabulary(name, self._description, tuple(self._entries)))
