"""The hint that the default model drafts Kazakh poorly: once, never after
"Don't show again", never for another model, and never in the transcription's way."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app.core.settings import Settings, from_dict, load_settings
from desktop_app.gui.dialogs.settings_dialog import SettingsDialog
from desktop_app.gui.model_hint import hint_for, wants_kazakh
from desktop_app.gui.training.catalog_page import TITLE
from desktop_app.gui.workers import JobStatus
from tests.fake_engine import FakeEngine, fake_model

HINT = (
    "Whisper base drafts Kazakh poorly. A Kazakh model (Whisper base, Kazakh (KSC2), 290 MB) "
    "is in the catalog."
)


@pytest.fixture
def default_asr(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeEngine:
    """The fake engine, installed as if it were the untuned default model."""
    from desktop_app.services import transcription

    engine = FakeEngine()
    registry, engines = fake_model(engine, tmp_path / "m", "Whisper base", "pypi-default")
    monkeypatch.setattr(transcription, "ModelRegistry", registry)
    monkeypatch.setattr(transcription, "_DEFAULT_CACHE", engines)
    return engine


def transcribe(window, qtbot):
    job = window.ops.transcribe_current()
    assert job is not None
    with qtbot.waitSignal(job.ended, timeout=10_000):
        pass
    assert job.status is JobStatus.DONE  # the hint never stops or holds the job
    return job


def test_the_hint_shows_once_for_kazakh_with_the_default_model(window, qtbot, default_asr) -> None:
    assert window.settings.decoding_preset == "kk-ru"
    bar = window.ops.transcriber.hint.bar
    assert bar.isHidden()
    transcribe(window, qtbot)
    assert bar.isVisible() and bar.label.text() == HINT
    assert bar.entry_id == "whisper-base-kk"
    bar.later_button.click()  # Not now
    assert bar.isHidden()
    transcribe(window, qtbot)
    assert bar.isHidden()  # once per session
    assert not window.settings.kk_model_hint_dismissed


def test_dont_show_again_is_remembered(
    window, make_window, project_path: Path, qtbot, default_asr
) -> None:
    transcribe(window, qtbot)
    bar = window.ops.transcriber.hint.bar
    bar.never_button.click()
    assert bar.isHidden() and window.settings.kk_model_hint_dismissed
    assert load_settings().kk_model_hint_dismissed  # saved at once, not only on quit
    window.close()
    later = make_window(project_path, load_settings())
    assert later.settings.kk_model_hint_dismissed
    assert hint_for(later.settings) is None
    transcribe(later, qtbot)
    assert later.ops.transcriber.hint.bar.isHidden()
    later.close()


def test_no_hint_for_another_model(window, qtbot, fake_asr) -> None:
    transcribe(window, qtbot)  # fake_asr's model is not the default one
    assert window.ops.transcriber.hint.bar.isHidden()
    assert hint_for(window.settings) is None


def test_no_hint_without_kazakh(default_asr) -> None:
    assert hint_for(Settings()) is not None
    assert hint_for(Settings(decoding_preset="fast")) is not None  # the request asks for kk
    assert wants_kazakh("kk", "fast") and wants_kazakh(None, "kk-ru")
    assert not wants_kazakh("ru", "fast") and not wants_kazakh(None, "accurate")


def test_get_it_opens_get_models_with_the_entry_selected(
    window, qtbot, default_asr, monkeypatch
) -> None:
    seen: list[tuple[str, str | None]] = []

    def exec_(dialog: SettingsDialog) -> int:
        entry = dialog.catalog.selected()
        seen.append((dialog.tabs.tabText(dialog.tabs.currentIndex()), entry and entry.id))
        return 0

    monkeypatch.setattr(SettingsDialog, "exec", exec_)
    transcribe(window, qtbot)
    bar = window.ops.transcriber.hint.bar
    bar.get_button.click()
    assert seen == [(TITLE, "whisper-base-kk")]
    assert bar.isHidden()


def test_the_setting_is_typed_and_defaults_off() -> None:
    assert Settings().kk_model_hint_dismissed is False
    assert from_dict({"version": 2, "kk_model_hint_dismissed": True}).kk_model_hint_dismissed
    assert not from_dict({"kk_model_hint_dismissed": "yes"}).kk_model_hint_dismissed
