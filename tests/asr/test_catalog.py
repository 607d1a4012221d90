"""The model catalog shipped with Jazba: every entry complete and honest about its figures."""

from __future__ import annotations

import pytest

from desktop_app.asr.catalog import (
    ARCHITECTURES,
    ASR_ARCHITECTURES,
    choose_for,
    get_entry,
    load_catalog,
    parse_catalog,
)
from desktop_app.core.errors import ModelError

ISSUE_MODELS = {
    "akuzdeuov/whisper-base.kk",
    "abilmansplus/whisper-turbo-kaz-rus-v1",
    "KRASR/kazakh-russian-asr-whisper-small-full-ft",
    "openai/whisper-large-v3-turbo",
    "aismlv/wav2vec2-large-xlsr-kazakh",
    "facebook/mms-1b-all",
}


def test_the_catalog_lists_the_known_kazakh_models() -> None:
    entries = load_catalog()
    assert {e.repo_id for e in entries} >= ISSUE_MODELS
    assert len(entries) >= 7
    assert {e.architecture for e in entries} == set(ARCHITECTURES)


@pytest.mark.parametrize("entry", load_catalog(), ids=lambda e: e.id)
def test_every_entry_is_complete(entry) -> None:
    assert entry.license and entry.recommended_for
    assert entry.params_m > 0 and entry.download_mb > 0
    assert entry.verification, "say what was and was not confirmed"
    if entry.architecture in (*ASR_ARCHITECTURES, "tts"):  # a voice speaks its language
        assert "kk" in entry.languages
    elif entry.architecture == "speaker":  # any language: it tells voices apart
        assert entry.frontend and entry.allow_patterns
    else:  # a segmentation model hears any language
        assert entry.languages == ("*",) and entry.allow_patterns
    for figure in entry.reported:
        assert figure.metric in ("wer", "cer") and 0 < figure.value < 200
        assert figure.test_set and figure.source
    if entry.revision is not None:
        assert len(entry.revision) == 40
    if entry.adapter:
        assert entry.architecture == "ctc"
        assert any(entry.adapter in p for p in entry.allow_patterns)


def test_unconfirmed_figures_say_so() -> None:
    krasr = get_entry("KRASR/kazakh-russian-asr-whisper-small-full-ft")
    assert "unverified" in krasr.reported_text()
    assert "unverified" not in get_entry("whisper-base-kk").reported_text()


def test_suggestions_for_kazakh() -> None:
    assert choose_for("kk").id == "whisper-base-kk"  # small enough for a field laptop
    assert choose_for("kk", "ctc").id == "wav2vec2-xlsr-kk"
    assert choose_for("xx") is None
    assert choose_for("*") is None  # the segmentation model is never suggested for transcribing


def test_unknown_ids_name_the_choices() -> None:
    with pytest.raises(ModelError, match="Known: whisper-base-kk"):
        get_entry("nope")


@pytest.mark.parametrize(
    "doc",
    [
        {"catalog_version": 99, "models": []},
        {"catalog_version": 1},
        {"catalog_version": 1, "models": [{"id": "x"}]},
    ],
)
def test_bad_catalogs_are_refused(doc) -> None:
    with pytest.raises(ModelError):
        parse_catalog(doc)
