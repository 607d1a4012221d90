"""Controlled vocabularies (ELAN's CVs): closed lists of values a tier's
annotations take, each entry a value and a description, in the user's order.

A tier names its vocabulary in ``tiers.cv_id``; :meth:`VocabularyService.choices`
gives the values an editor offers as a drop-down and :meth:`check_value` says
whether a value is allowed. Two vocabularies are built in, created on demand
(:meth:`VocabularyService.ensure_builtins`):

* ``status``: the review statuses (auto / edited / approved), read-only;
* ``language``: the project's language list (:mod:`.languages`); its entries
  follow that list and are changed there, not here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from desktop_app.core.errors import EditError, NotFoundError
from desktop_app.core.project import Project
from desktop_app.core.services.languages import LANGUAGE_CV, read_languages, sync_language_cv
from desktop_app.core.store.schema import SEGMENT_STATUSES, ControlledVocabulary, CvEntry, Tier

STATUS_CV = "status"
BUILTINS = (STATUS_CV, LANGUAGE_CV)
_STATUS_HELP = {
    "auto": "written by the speech model, not yet checked",
    "edited": "corrected by a person",
    "approved": "checked and approved",
}
_BUILTIN_HELP = {
    STATUS_CV: "Review status of an annotation (built in, read-only).",
    LANGUAGE_CV: "The project's language list (built in, follows it).",
}


@dataclass(frozen=True)
class CvEntryInfo:
    id: int
    value: str
    description: str
    position: int


@dataclass(frozen=True)
class VocabularyInfo:
    id: int
    name: str
    description: str
    entries: tuple[CvEntryInfo, ...]
    tiers: tuple[str, ...] = ()  # names of the tiers that use it

    @property
    def builtin(self) -> bool:
        return self.name in BUILTINS

    @property
    def read_only(self) -> bool:
        """Entries cannot be edited here (the built-ins)."""
        return self.builtin

    def values(self) -> list[str]:
        return [e.value for e in self.entries]


def _entry_info(e: CvEntry) -> CvEntryInfo:
    return CvEntryInfo(e.id, e.value, e.description or "", e.position)


class VocabularyService:
    def __init__(self, project: Project) -> None:
        self.project = project

    # -- reading -----------------------------------------------------------
    def list(self) -> list[VocabularyInfo]:
        with self.project.unit() as s:
            rows = s.scalars(select(ControlledVocabulary).order_by(ControlledVocabulary.name))
            return [self._info(s, cv) for cv in rows]

    def get(self, cv_id: int) -> VocabularyInfo:
        with self.project.unit() as s:
            return self._info(s, self._cv(s, cv_id))

    def find(self, name_or_id: str) -> VocabularyInfo:
        """A vocabulary by name, or by ``#id`` / id digits."""
        key = name_or_id.strip()
        with self.project.unit() as s:
            cv = s.scalar(select(ControlledVocabulary).where(ControlledVocabulary.name == key))
            if cv is None and key.lstrip("#").isdigit():
                cv = s.get(ControlledVocabulary, int(key.lstrip("#")))
            if cv is None:
                raise NotFoundError(f"There is no controlled vocabulary named '{key}'.")
            return self._info(s, cv)

    def tier_vocabulary(self, tier_id: int) -> VocabularyInfo | None:
        """The vocabulary a tier's values come from, or None (free text)."""
        with self.project.unit() as s:
            tier = s.get(Tier, tier_id)
            if tier is None:
                raise NotFoundError(f"There is no tier #{tier_id}.")
            if tier.cv_id is None:
                return None
            return self._info(s, self._cv(s, tier.cv_id))

    def choices(self, tier_id: int) -> list[str] | None:
        """Values for a drop-down editor of this tier; None when the tier is free text."""
        cv = self.tier_vocabulary(tier_id)
        return None if cv is None else cv.values()

    def is_valid(self, tier_id: int, value: str) -> bool:
        """An empty value, any value on a free tier, or one of its vocabulary's values."""
        allowed = self.choices(tier_id)
        return allowed is None or not value.strip() or value.strip() in allowed

    def check_value(self, tier_id: int, value: str) -> None:
        """Raise :class:`EditError` when ``value`` is not in the tier's vocabulary."""
        cv = self.tier_vocabulary(tier_id)
        if cv is None or not value.strip() or value.strip() in cv.values():
            return
        shown = ", ".join(cv.values()[:12]) + (" …" if len(cv.entries) > 12 else "")
        raise EditError(
            f"'{value.strip()}' is not in the controlled vocabulary '{cv.name}' "
            f"of this tier ({shown or 'no entries yet'})."
        )

    # -- vocabularies ------------------------------------------------------
    def ensure_builtins(self) -> list[VocabularyInfo]:
        """Create the built-in vocabularies that are missing; bring the language
        one up to date with the project's language list."""
        with self.project.unit() as s:
            out = []
            for name in BUILTINS:
                cv = s.scalar(select(ControlledVocabulary).where(ControlledVocabulary.name == name))
                if cv is None:
                    cv = ControlledVocabulary(name=name, description=_BUILTIN_HELP[name])
                    s.add(cv)
                    s.flush()
                    if name == STATUS_CV:
                        for n, value in enumerate(SEGMENT_STATUSES):
                            s.add(
                                CvEntry(
                                    cv_id=cv.id,
                                    value=value,
                                    description=_STATUS_HELP.get(value, ""),
                                    position=n,
                                )
                            )
                if name == LANGUAGE_CV:
                    sync_language_cv(s, read_languages(s))
                s.flush()
                s.refresh(cv)
                out.append(self._info(s, cv))
            return out

    def create(self, name: str, description: str = "") -> VocabularyInfo:
        name = self._name(name)
        try:
            with self.project.unit() as s:
                cv = ControlledVocabulary(name=name, description=description.strip())
                s.add(cv)
                s.flush()
                return self._info(s, cv)
        except IntegrityError as exc:
            raise EditError(f"A controlled vocabulary named '{name}' already exists.") from exc

    def rename(self, cv_id: int, name: str) -> VocabularyInfo:
        name = self._name(name)
        try:
            with self.project.unit() as s:
                cv = self._cv(s, cv_id)
                if cv.name in BUILTINS and name != cv.name:
                    raise EditError(f"The built-in vocabulary '{cv.name}' keeps its name.")
                cv.name = name
                s.flush()
                return self._info(s, cv)
        except IntegrityError as exc:
            raise EditError(f"A controlled vocabulary named '{name}' already exists.") from exc

    def set_description(self, cv_id: int, description: str) -> VocabularyInfo:
        with self.project.unit() as s:
            cv = self._cv(s, cv_id)
            cv.description = description.strip()
            return self._info(s, cv)

    def delete(self, cv_id: int) -> None:
        """Delete a vocabulary; tiers that used it become free text (their values stay)."""
        with self.project.unit() as s:
            cv = self._cv(s, cv_id)
            for tier in s.scalars(select(Tier).where(Tier.cv_id == cv.id)):
                tier.cv_id = None
            s.delete(cv)

    def attach(self, tier_id: int, cv_id: int | None) -> None:
        """Make a tier take its values from a vocabulary (None: free text again)."""
        with self.project.unit() as s:
            tier = s.get(Tier, tier_id)
            if tier is None:
                raise NotFoundError(f"There is no tier #{tier_id}.")
            if cv_id is not None:
                self._cv(s, cv_id)
            tier.cv_id = cv_id

    # -- entries -----------------------------------------------------------
    def add_entry(self, cv_id: int, value: str, description: str = "") -> CvEntryInfo:
        value = self._value(value)
        try:
            with self.project.unit() as s:
                cv = self._editable(s, cv_id)
                pos = s.scalar(select(func.max(CvEntry.position)).where(CvEntry.cv_id == cv.id))
                entry = CvEntry(
                    cv_id=cv.id,
                    value=value,
                    description=description.strip(),
                    position=0 if pos is None else pos + 1,
                )
                s.add(entry)
                s.flush()
                return _entry_info(entry)
        except IntegrityError as exc:
            raise EditError(f"'{value}' is already in this vocabulary.") from exc

    def edit_entry(
        self, entry_id: int, value: str | None = None, description: str | None = None
    ) -> CvEntryInfo:
        try:
            with self.project.unit() as s:
                entry = self._entry(s, entry_id)
                self._editable(s, entry.cv_id)
                if value is not None:
                    entry.value = self._value(value)
                if description is not None:
                    entry.description = description.strip()
                s.flush()
                return _entry_info(entry)
        except IntegrityError as exc:
            raise EditError(f"'{value}' is already in this vocabulary.") from exc

    def remove_entry(self, entry_id: int) -> None:
        """Remove an entry; annotations that hold its value keep their text."""
        with self.project.unit() as s:
            entry = self._entry(s, entry_id)
            self._editable(s, entry.cv_id)
            s.delete(entry)

    def reorder(self, cv_id: int, entry_ids: Sequence[int]) -> VocabularyInfo:
        """Put the entries in this order (every entry of the vocabulary, once)."""
        with self.project.unit() as s:
            cv = self._editable(s, cv_id)
            current = {e.id: e for e in cv.entries}
            if sorted(entry_ids) != sorted(current):
                raise EditError("The new order must list every entry of the vocabulary once.")
            for n, eid in enumerate(entry_ids):
                current[eid].position = n
            s.flush()
            s.refresh(cv)
            return self._info(s, cv)

    def move_entry(self, entry_id: int, step: int) -> VocabularyInfo:
        """Move an entry up (``step`` < 0) or down the list."""
        with self.project.unit() as s:
            cv_id = self._entry(s, entry_id).cv_id
        ids = [e.id for e in self.get(cv_id).entries]
        i = ids.index(entry_id)
        j = max(0, min(len(ids) - 1, i + step))
        ids.insert(j, ids.pop(i))
        return self.reorder(cv_id, ids)

    # -- helpers -----------------------------------------------------------
    @staticmethod
    def _info(s: Session, cv: ControlledVocabulary) -> VocabularyInfo:
        entries = s.scalars(
            select(CvEntry).where(CvEntry.cv_id == cv.id).order_by(CvEntry.position, CvEntry.id)
        )
        tiers = s.scalars(select(Tier.name).where(Tier.cv_id == cv.id).order_by(Tier.position))
        return VocabularyInfo(
            cv.id,
            cv.name,
            cv.description or "",
            tuple(_entry_info(e) for e in entries),
            tuple(tiers),
        )

    @staticmethod
    def _cv(s: Session, cv_id: int) -> ControlledVocabulary:
        cv = s.get(ControlledVocabulary, cv_id)
        if cv is None:
            raise NotFoundError(f"There is no controlled vocabulary #{cv_id}.")
        return cv

    def _editable(self, s: Session, cv_id: int) -> ControlledVocabulary:
        cv = self._cv(s, cv_id)
        if cv.name == STATUS_CV:
            raise EditError("The 'status' vocabulary is built in: its entries cannot be changed.")
        if cv.name == LANGUAGE_CV:
            raise EditError(
                "The 'language' vocabulary follows the project's language list: "
                "change that list instead."
            )
        return cv

    @staticmethod
    def _entry(s: Session, entry_id: int) -> CvEntry:
        entry = s.get(CvEntry, entry_id)
        if entry is None:
            raise NotFoundError(f"There is no vocabulary entry #{entry_id}.")
        return entry

    @staticmethod
    def _name(name: str) -> str:
        name = " ".join(name.split())
        if not name:
            raise EditError("A controlled vocabulary needs a name.")
        if len(name) > 200:
            raise EditError("That name is too long (at most 200 characters).")
        return name

    @staticmethod
    def _value(value: str) -> str:
        value = value.strip()
        if not value:
            raise EditError("An entry needs a value.")
        if len(value) > 200:
            raise EditError("That value is too long (at most 200 characters).")
        return value
