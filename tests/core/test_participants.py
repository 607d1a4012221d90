"""Participant metadata of speakers and the project's language list."""

from __future__ import annotations

from datetime import date

import pytest

from desktop_app.core.errors import EditError
from desktop_app.core.project import Project
from desktop_app.core.services.languages import (
    DEFAULT_CODES,
    LanguageService,
    check_code,
    parse_languages,
)
from desktop_app.core.services.participants import check_birth_year, describe
from desktop_app.core.services.speakers import SpeakerService


def test_default_language_list_for_an_old_project(project: Project) -> None:
    langs = LanguageService(project)
    assert langs.is_default()
    assert langs.codes() == list(DEFAULT_CODES)
    assert langs.list()[0].name == "Kazakh"


def test_set_language_list_keeps_order_names_and_warns_of_unknown_codes(project: Project) -> None:
    langs = LanguageService(project)
    warnings = langs.set("KK, ru=Орыс тілі, kaz, sah, kk")
    assert langs.codes() == ["kk", "ru", "kaz", "sah"]
    assert [x.name for x in langs.list()] == ["Kazakh", "Орыс тілі", "Kazakh", "sah"]
    assert warnings == ["'sah' is not in Jazba's table of ISO 639 codes; kept as given."]
    assert not langs.is_default()
    # the list survives reopening the project
    path = project.path
    project.close()
    with Project.open(path) as again:
        assert LanguageService(again).codes() == ["kk", "ru", "kaz", "sah"]


@pytest.mark.parametrize("bad", ["k", "kazakh", "k1", "қз", ""])
def test_bad_language_codes_are_refused(bad: str) -> None:
    with pytest.raises(EditError):
        parse_languages(bad)


def test_check_code() -> None:
    assert check_code(" MIXED ") == ("mixed", None)
    assert check_code("und") == ("und", None)
    code, warning = check_code("xyz")
    assert code == "xyz" and warning and "xyz" in warning


def test_speaker_participant_fields_round_trip(project: Project) -> None:
    sp = SpeakerService(project)
    a = sp.create("Айгүл")
    info = sp.update(
        a.id,
        gender="F",
        age_band="30-39",
        birth_year="1988",
        dialect="оңтүстік",
        region="Түркістан облысы",
        l1="kk, RU",
        notes="  мұғалім  ",
    )
    assert (info.gender, info.birth_year, info.region, info.l1, info.notes) == (
        "female",
        1988,
        "Түркістан облысы",
        "kk,ru",
        "мұғалім",
    )
    listed = next(s for s in sp.list() if s.id == a.id)
    assert listed == info
    assert describe(listed) == "female, 30-39, b. 1988, оңтүстік, Түркістан облысы, l1 kk,ru"
    cleared = sp.update(a.id, birth_year="", region="  ", gender=None)
    assert (cleared.birth_year, cleared.region, cleared.gender) == (None, None, None)
    assert cleared.dialect == "оңтүстік"  # untouched fields stay
    assert sp.find("Айгүл").id == a.id


def test_free_gender_is_kept_as_typed(project: Project) -> None:
    sp = SpeakerService(project)
    assert sp.create("A", gender="Non-binary").gender == "Non-binary"
    assert sp.create("B", gender="Male").gender == "male"


@pytest.mark.parametrize("year", ["1066", "3000", "nineteen", 1850])
def test_birth_year_out_of_range_is_refused(project: Project, year: object) -> None:
    sp = SpeakerService(project)
    a = sp.create("Ерлан")
    with pytest.raises(EditError, match="year"):
        sp.update(a.id, birth_year=year)
    assert sp.get(a.id).birth_year is None


def test_birth_year_bounds() -> None:
    today = date(2026, 5, 1)
    assert check_birth_year(2026, today) == 2026
    assert check_birth_year(" 1900 ", today) == 1900
    with pytest.raises(EditError):
        check_birth_year(2027, today)


def test_first_languages_are_checked_against_the_project_list(project: Project) -> None:
    sp = SpeakerService(project)
    values, warnings = sp.check({"l1": "kk,uz,kk"})
    assert values["l1"] == "kk,uz"
    assert warnings == ["First language 'uz' is not on the project's language list."]
    LanguageService(project).set("kk,ru,uz")
    assert sp.check({"l1": "uz"})[1] == []
    with pytest.raises(EditError, match="not a language code"):
        sp.check({"l1": "kk,1"})


def test_long_fields_are_refused(project: Project) -> None:
    sp = SpeakerService(project)
    with pytest.raises(EditError, match="too long"):
        sp.create("A", dialect="x" * 101)
