"""Controlled vocabularies: lists, entries, built-ins, tiers."""

from __future__ import annotations

import pytest

from desktop_app.core.errors import EditError, NotFoundError
from desktop_app.core.project import Project
from desktop_app.core.services.languages import LanguageService
from desktop_app.core.services.speakers import TierService
from desktop_app.core.services.vocabularies import VocabularyService


def test_create_entries_reorder_rename_delete(project: Project) -> None:
    cvs = VocabularyService(project)
    style = cvs.create("speech style", "how it was said")
    read = cvs.add_entry(style.id, "read", "read aloud")
    spont = cvs.add_entry(style.id, "spontaneous")
    sung = cvs.add_entry(style.id, " sung ")
    assert cvs.get(style.id).values() == ["read", "spontaneous", "sung"]
    with pytest.raises(EditError, match="already in"):
        cvs.add_entry(style.id, "read")
    with pytest.raises(EditError, match="needs a value"):
        cvs.add_entry(style.id, "  ")
    cvs.move_entry(sung.id, -1)
    assert cvs.get(style.id).values() == ["read", "sung", "spontaneous"]
    cvs.reorder(style.id, [spont.id, read.id, sung.id])
    assert cvs.get(style.id).values() == ["spontaneous", "read", "sung"]
    with pytest.raises(EditError, match="every entry"):
        cvs.reorder(style.id, [read.id])
    cvs.edit_entry(read.id, value="read speech", description="from a prompt")
    got = cvs.get(style.id)
    assert got.entries[1].value == "read speech" and got.entries[1].description == "from a prompt"
    cvs.remove_entry(spont.id)
    assert cvs.get(style.id).values() == ["read speech", "sung"]
    assert cvs.rename(style.id, "style").name == "style"
    with pytest.raises(EditError, match="already exists"):
        cvs.create("style")
    assert cvs.find("style").id == style.id and cvs.find(f"#{style.id}").id == style.id
    cvs.delete(style.id)
    with pytest.raises(NotFoundError):
        cvs.get(style.id)


def test_attach_to_a_tier_and_validate_values(project: Project) -> None:
    cvs, tiers = VocabularyService(project), TierService(project)
    tier = tiers.create("style", kind="other")
    cv = cvs.create("speech style")
    cvs.add_entry(cv.id, "read")
    cvs.add_entry(cv.id, "spontaneous")
    assert cvs.choices(tier.id) is None and cvs.is_valid(tier.id, "anything")
    cvs.attach(tier.id, cv.id)
    assert cvs.choices(tier.id) == ["read", "spontaneous"]
    assert next(t for t in tiers.list() if t.id == tier.id).cv_id == cv.id
    assert cvs.get(cv.id).tiers == ("style",)
    assert cvs.is_valid(tier.id, "read") and cvs.is_valid(tier.id, "")
    assert not cvs.is_valid(tier.id, "sung")
    with pytest.raises(EditError, match="not in the controlled vocabulary 'speech style'"):
        cvs.check_value(tier.id, "sung")
    cvs.check_value(tier.id, " read ")
    # deleting the vocabulary leaves the tier free text
    cvs.delete(cv.id)
    assert cvs.choices(tier.id) is None
    with pytest.raises(NotFoundError):
        cvs.attach(tier.id, 999)


def test_builtins_are_created_on_demand_and_read_only(project: Project) -> None:
    cvs = VocabularyService(project)
    assert cvs.list() == []
    status, language = cvs.ensure_builtins()
    assert status.values() == ["auto", "edited", "approved"] and status.read_only
    assert language.values() == ["kk", "ru", "mixed", "en"]
    assert [x.name for x in cvs.ensure_builtins()] == ["status", "language"]  # idempotent
    assert len(cvs.list()) == 2
    for fn in (
        lambda: cvs.add_entry(status.id, "rejected"),
        lambda: cvs.remove_entry(language.entries[0].id),
        lambda: cvs.edit_entry(status.entries[0].id, value="x"),
        lambda: cvs.rename(status.id, "state"),
    ):
        with pytest.raises(EditError):
            fn()


def test_language_vocabulary_follows_the_project_list(project: Project) -> None:
    cvs, langs = VocabularyService(project), LanguageService(project)
    langs.set("kk,ru,tr")  # before the vocabulary exists
    language = next(cv for cv in cvs.ensure_builtins() if cv.name == "language")
    assert language.values() == ["kk", "ru", "tr"]
    assert language.entries[2].description == "Turkish"
    langs.set("kk,en")
    assert cvs.get(language.id).values() == ["kk", "en"]
