"""Settings ▸ Get models: the catalog table, downloads with progress, Cancel and
resume, a gated model's token, bundles in and out (a fake registry stands in
for the downloading methods)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont

from desktop_app.asr.catalog import load_catalog
from desktop_app.core.settings import Settings
from desktop_app.gui.dialogs.settings_dialog import SettingsDialog
from desktop_app.gui.panels.jobs_panel import JobCol, JobsPanel
from desktop_app.gui.training import bundle_ops, catalog_page
from desktop_app.gui.training.catalog_page import (
    DOWNLOAD,
    RESUME,
    RETRY_TOKEN,
    TITLE,
    CatalogPage,
    installed_entries,
)
from desktop_app.gui.training.catalog_table import INSTALLED, PAUSED, CatalogCol
from desktop_app.gui.workers import JobRunner, JobStatus
from tests.fake_catalog import GATED_ID, CatalogRegistry, add_version, entries_with_gated


@pytest.fixture
def runner(qtbot):
    r = JobRunner()
    yield r
    r.shutdown()


@pytest.fixture
def registry() -> CatalogRegistry:
    reg = CatalogRegistry(delay=0.02)
    add_version(reg, "base-1", "Whisper base", "pypi-default")
    reg.set_active("base-1")
    return reg


@pytest.fixture
def dialog(qtbot, registry, runner, monkeypatch) -> SettingsDialog:
    monkeypatch.setattr(catalog_page, "load_catalog", entries_with_gated)
    d = SettingsDialog(Settings(), runner=runner, registry=registry)
    qtbot.addWidget(d)
    d.show()
    d.show_get_models()
    qtbot.waitExposed(d)
    return d


def cell(page: CatalogPage, entry_id: str, col: CatalogCol, role=Qt.ItemDataRole.DisplayRole):
    return page.model.index(page.model.row_of(entry_id), col).data(role)


def test_the_table_lists_the_catalog_and_marks_what_is_installed(
    qtbot, dialog: SettingsDialog, registry: CatalogRegistry
) -> None:
    add_version(registry, "kk-1", "Whisper base, Kazakh (KSC2)")
    registry.catalog_ids["kk-1"] = "whisper-base-kk"
    page = dialog.catalog
    page.refresh()
    assert dialog.tabs.tabText(dialog.tabs.currentIndex()) == TITLE
    # every entry: speech recognition, speaker, overlap and voice models
    assert page.model.rowCount() == len(load_catalog()) + 1
    row = [cell(page, "whisper-base-kk", c) for c in CatalogCol]
    assert row == [
        "Whisper base, Kazakh (KSC2)",
        "Whisper",
        "290 MB",
        "apache-2.0",
        "kk",
        "WER 15.36 % (KSC2 test)",
        "Field laptop: small and fast on a CPU, Kazakh only",
        INSTALLED,
    ]
    assert cell(page, "whisper-base-kk", CatalogCol.STATUS, Qt.ItemDataRole.ToolTipRole) == (
        "Installed as version 'kk-1'"
    )
    # unverified figures look different and say where they come from
    krasr = "whisper-small-kk-ru-krasr"
    font = cell(page, krasr, CatalogCol.REPORTED, Qt.ItemDataRole.FontRole)
    assert isinstance(font, QFont) and font.italic()
    tip = cell(page, krasr, CatalogCol.REPORTED, Qt.ItemDataRole.ToolTipRole)
    assert "WER 76.09 % on FLEURS kk test — source: quoted in third-party" in tip
    assert "unverified" in tip
    font = cell(page, "whisper-base-kk", CatalogCol.REPORTED, Qt.ItemDataRole.FontRole)
    assert not (isinstance(font, QFont) and font.italic())  # checked on the model card
    turbo_tip = cell(page, "whisper-turbo-kk-ru", CatalogCol.REPORTED, Qt.ItemDataRole.ToolTipRole)
    assert "FLEURS kk" in turbo_tip  # every figure, not only the one in the cell
    assert cell(page, "mms-1b-all-kaz", CatalogCol.REPORTED) == "not reported"
    assert cell(page, "wav2vec2-xlsr-kk", CatalogCol.TYPE) == "CTC"
    assert cell(page, "mms-1b-all-kaz", CatalogCol.SIZE) == "3.8 GB"
    assert cell(page, "whisper-turbo-kk-ru", CatalogCol.STATUS) == ""
    # an installed entry cannot be downloaded again; another one can
    assert page.select("whisper-base-kk")
    assert not page.download_button.isEnabled()
    assert "kk-1" in page.download_button.toolTip() and "kk-1" in page.details.text()
    page.select("whisper-turbo-kk-ru")
    assert page.download_button.isEnabled() and page.download_button.text() == DOWNLOAD
    assert page.progress_box.isHidden() and page.token_box.isHidden()


def test_the_transcription_tab_leads_to_get_models(dialog: SettingsDialog) -> None:
    dialog.tabs.setCurrentIndex(1)
    more = next(
        b for b in dialog.versions.findChildren(type(dialog.catalog.download_button))
        if b.text() == f"{TITLE}…"
    )  # fmt: skip
    more.click()
    assert dialog.tabs.currentWidget() is dialog.catalog
    assert dialog.width() >= 1000  # wide enough for the table's columns


def test_a_download_kept_on_disk_from_an_earlier_session_is_offered_to_resume(
    qtbot, registry: CatalogRegistry, runner: JobRunner
) -> None:
    registry.partial["whisper-base-kk"] = 4  # e.g. Jazba was killed mid-download yesterday
    page = CatalogPage(runner, registry, entries_with_gated())
    qtbot.addWidget(page)
    page.select("whisper-base-kk")
    assert page.download_button.text() == RESUME
    assert cell(page, "whisper-base-kk", CatalogCol.STATUS) == PAUSED
    page.select("whisper-turbo-kk-ru")
    assert page.download_button.text() == DOWNLOAD


def test_download_shows_progress_and_cancel_leaves_it_resumable(
    qtbot, dialog: SettingsDialog, registry: CatalogRegistry, runner: JobRunner, answers
) -> None:
    registry.delay = 0.15
    panel = JobsPanel(runner)
    qtbot.addWidget(panel)
    page = dialog.catalog
    page.select("whisper-turbo-kk-ru")
    job = page.download_selected()
    assert job is not None and job.title == "Download Whisper large-v3-turbo, Kazakh–Russian"
    assert page.download_selected() is None  # one download per entry at a time
    assert panel.model.rowCount() == 1
    qtbot.waitUntil(lambda: "MB of 1700 MB" in page.progress_text.text(), timeout=5000)
    assert page.progress_text.text().startswith("Downloading model.safetensors: ")
    assert not page.progress_box.isHidden() and not page.download_button.isEnabled()
    qtbot.waitUntil(lambda: page.progress_bar.value() > 0, timeout=5000)
    status = cell(page, "whisper-turbo-kk-ru", CatalogCol.STATUS)
    assert status.startswith("Downloading… ") and status.endswith(" %")
    with qtbot.waitSignal(job.cancelled, timeout=5000):
        page.cancel_button.click()
    assert cell(page, "whisper-turbo-kk-ru", CatalogCol.STATUS) == PAUSED
    assert page.download_button.text() == RESUME and page.download_button.isEnabled()
    assert page.progress_box.isHidden()
    assert installed_entries(registry) == {}
    stopped_at = registry.partial["whisper-turbo-kk-ru"]
    assert stopped_at > 0

    # a page opened later (the dialog was closed) still offers to resume it
    again = CatalogPage(runner, registry, entries_with_gated())
    qtbot.addWidget(again)
    again.select("whisper-turbo-kk-ru")
    assert again.download_button.text() == RESUME

    registry.delay = 0.0
    job = page.download_selected()
    with qtbot.waitSignal(job.finished, timeout=10_000):
        pass
    assert registry.calls.started_at == [0, stopped_at]  # continued, not restarted
    assert job.status is JobStatus.DONE
    new_id = job.result.id
    assert cell(page, "whisper-turbo-kk-ru", CatalogCol.STATUS) == INSTALLED
    assert page.progress_box.isHidden() and not page.download_button.isEnabled()
    assert answers.infos and f"installed as version '{new_id}'" in answers.infos[0]
    assert panel.model.index(1, JobCol.STATUS).data() == f"Installed as version '{new_id}'"
    # the new version is listed and chosen on the Transcription tab
    assert new_id in [v.id for v in dialog.versions.model.versions]
    assert dialog.model_version.currentData() == new_id
    assert dialog.result_settings().model_version == new_id


def test_a_gated_model_asks_for_a_token_and_retries_with_it(
    qtbot, dialog: SettingsDialog, registry: CatalogRegistry, answers, tmp_path: Path
) -> None:
    page = dialog.catalog
    page.select(GATED_ID)
    assert not page.token_box.isHidden()  # gated: the field is offered up front
    assert "gated on Hugging Face" in page.token_message.text()
    job = page.download_selected()
    with qtbot.waitSignal(job.failed, timeout=5000):
        pass
    assert registry.calls.install == [(GATED_ID, None)]
    assert page.token_message.text().startswith("'Gated Kazakh model' needs a Hugging Face token")
    assert answers.errors == []  # said beside the field, not in a message box
    assert page.download_button.text() == RETRY_TOKEN
    assert cell(page, GATED_ID, CatalogCol.STATUS) == "Needs a token"
    assert page.token_edit.echoMode() == page.token_edit.EchoMode.Password
    page.token_edit.setText("  hf_secret  ")
    qtbot.keyClick(page.token_edit, Qt.Key.Key_Return)  # Enter retries
    assert dialog.isVisible()  # and does not press the dialog's OK
    job = page.jobs[GATED_ID]
    with qtbot.waitSignal(job.finished, timeout=10_000):
        pass
    assert registry.calls.install[-1] == (GATED_ID, "hf_secret")
    assert page.token_edit.text() == ""  # not kept around
    assert cell(page, GATED_ID, CatalogCol.STATUS) == INSTALLED
    assert "hf_secret" not in repr(asdict(dialog.result_settings()))  # never stored


def test_a_failed_download_says_why(qtbot, dialog: SettingsDialog, registry, answers) -> None:
    registry.fail = "Cannot reach huggingface.co: this computer seems to be offline."
    page = dialog.catalog
    page.select("whisper-base-kk")
    job = page.download_selected()
    with qtbot.waitSignal(job.failed, timeout=5000):
        pass
    assert answers.errors == [
        "Installing 'Whisper base, Kazakh (KSC2)' failed: Cannot reach huggingface.co: "
        "this computer seems to be offline."
    ]
    assert cell(page, "whisper-base-kk", CatalogCol.STATUS) == "Failed"
    assert page.token_box.isHidden()  # not a token problem
    assert page.download_button.text() == DOWNLOAD and page.download_button.isEnabled()


def test_install_from_file_and_save_as_bundle(
    qtbot, dialog: SettingsDialog, registry: CatalogRegistry, answers, monkeypatch, tmp_path
) -> None:
    bundle = tmp_path / "kazakh.jazba-model"
    bundle.write_bytes(b"bundle")
    monkeypatch.setattr(bundle_ops, "ask_bundle_to_install", lambda _parent: bundle)
    page = dialog.catalog
    page.file_button.click()
    job = page.file_job
    assert job is not None and job.title == "Install kazakh.jazba-model"
    with qtbot.waitSignal(job.ended, timeout=5000):
        pass
    assert registry.calls.bundles == [bundle]
    assert answers.infos == [
        "'Whisper base, Kazakh (from a bundle)' is installed as version 'from-bundle-1'."
    ]
    assert dialog.model_version.currentData() == "from-bundle-1"

    # and out again, from the installed versions
    out = tmp_path / "out" / "base.jazba-model"
    out.parent.mkdir()
    asked: list[Path] = []

    def destination(_parent, suggested: Path) -> Path:
        asked.append(suggested)
        return out

    monkeypatch.setattr(bundle_ops, "ask_bundle_destination", destination)
    versions = dialog.versions
    versions.select("base-1")
    assert versions.bundle_button.isEnabled()
    versions.bundle_button.click()
    job = versions.bundle_job
    assert job is not None and job.title == "Save Whisper base as a bundle"
    with qtbot.waitSignal(job.ended, timeout=5000):
        pass
    assert asked[0].name == "base-1.jazba-model"
    assert registry.calls.pack == [("base-1", out)] and out.read_bytes() == b"bundle of base-1"
    assert job.message == "Saved base.jazba-model"
    assert answers.infos[-1].startswith(f"'Whisper base' is saved as {out}.")


def test_a_damaged_bundle_is_refused(qtbot, dialog, registry, answers, monkeypatch, tmp_path):
    registry.bundle_fail = "'broken.jazba-model' is damaged (cut short); nothing was installed."
    monkeypatch.setattr(bundle_ops, "ask_bundle_to_install", lambda _p: tmp_path / "broken")
    job = dialog.catalog.install_from_file()
    with qtbot.waitSignal(job.ended, timeout=5000):
        pass
    assert answers.errors == [
        "Installing the bundle failed: 'broken.jazba-model' is damaged (cut short); "
        "nothing was installed."
    ]
    assert [v.id for v in dialog.versions.model.versions] == ["base-1"]
    assert dialog.catalog.file_button.isEnabled()


def test_choosing_no_file_starts_nothing(dialog, runner, monkeypatch) -> None:
    monkeypatch.setattr(bundle_ops, "ask_bundle_to_install", lambda _p: None)
    monkeypatch.setattr(bundle_ops, "ask_bundle_destination", lambda _p, _s: None)
    assert dialog.catalog.install_from_file() is None
    assert dialog.versions.save_bundle() is None
    assert runner.jobs == []


def test_a_registry_without_the_catalog_methods_shows_nothing_installed(tmp_path) -> None:
    from desktop_app.asr.registry import ModelRegistry

    assert installed_entries(ModelRegistry(tmp_path)) == {}
