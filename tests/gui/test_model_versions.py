"""Model versions in the Settings dialog: what each lacks, and Upgrade as a job.

Most tests use manifest-only version folders (the widget only looks at which
files exist) and a fake ``ModelRegistry.upgrade`` that behaves like the real
one (progress, cancel, files added, notes). One slow test upgrades a real tiny
Whisper through the model-build subprocess from the dialog.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from desktop_app.asr.manifest import (
    ALIGN_FILE,
    DECODER_INT8_FILE,
    ENCODER_INT8_FILE,
    REQUIRED_FILES,
    Manifest,
    ModelSource,
    write_manifest,
)
from desktop_app.asr.registry import ModelRegistry
from desktop_app.asr.upgrade import UpgradeResult
from desktop_app.core.jobs import JobState
from desktop_app.core.settings import Settings
from desktop_app.gui.dialogs.settings_dialog import SettingsDialog
from desktop_app.gui.panels.jobs_panel import JobCol, JobsPanel
from desktop_app.gui.training.model_versions import (
    NO_INT8,
    NO_TIMINGS,
    VersionCol,
    describe_upgrade,
    list_versions,
)
from desktop_app.gui.workers import JobRunner, JobStatus

INT8 = (ENCODER_INT8_FILE, DECODER_INT8_FILE)


def add_version(
    registry: ModelRegistry,
    model_id: str,
    name: str,
    extra: tuple[str, ...] = (),
    source: str = ModelSource.PYPI_DEFAULT,
    created: str = "2026-01-01T00:00:00Z",
) -> Path:
    """A version folder with the files the GUI looks for (empty: never loaded here)."""
    folder = registry.root / model_id
    folder.mkdir(parents=True)
    for file in (*REQUIRED_FILES, *extra):
        (folder / file).write_bytes(b"")
    write_manifest(folder, Manifest(id=model_id, name=name, source=source, created_at=created))
    return folder


@pytest.fixture
def registry() -> ModelRegistry:
    """Three versions in the (test) user's models folder: an old default one
    (nothing optional), a complete one, and an imported ONNX folder with int8
    but no word aligner and no checkpoint to build it from."""
    reg = ModelRegistry()
    add_version(reg, "old-base", "Whisper base (old)", created="2026-01-01T00:00:00Z")
    add_version(reg, "new-base", "Whisper base", (ALIGN_FILE, *INT8), created="2026-02-01T00:00Z")
    add_version(
        reg, "onnx-x", "imported onnx", INT8, ModelSource.ONNX_DIR, created="2026-03-01T00:00Z"
    )
    reg.set_active("old-base")
    return reg


@pytest.fixture
def runner(qtbot):
    r = JobRunner()
    yield r
    r.shutdown()


@pytest.fixture
def dialog(qtbot, registry: ModelRegistry, runner: JobRunner) -> SettingsDialog:
    d = SettingsDialog(Settings(), runner=runner, registry=registry)
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    return d


def status_of(dialog: SettingsDialog, model_id: str) -> str:
    m = dialog.versions.model
    row = [v.id for v in m.versions].index(model_id)
    return m.index(row, VersionCol.STATUS).data()


def fake_upgrade(delay: float = 0.0, fail: str | None = None):
    """Stands in for ``ModelRegistry.upgrade``: reports progress, honours cancel,
    adds the int8 files and returns the real result type with a note."""

    def upgrade(self: ModelRegistry, model_id: str, state: JobState, hf_dir=None):
        for i in range(10):
            state.check()
            state.set_progress(i / 10, "Building the int8 variant")
            time.sleep(delay)
        if fail:
            from desktop_app.core.errors import ModelError

            raise ModelError(fail)
        for name in INT8:
            (self.path(model_id) / name).write_bytes(b"")
        return UpgradeResult(model_id, added=list(INT8), notes=["Word timings stay estimated."])

    return upgrade


def test_versions_say_what_they_lack(dialog: SettingsDialog, registry: ModelRegistry) -> None:
    versions = {v.id: v for v in list_versions(registry)}
    old, new, onnx = versions["old-base"], versions["new-base"], versions["onnx-x"]
    assert old.active and old.missing == [NO_TIMINGS, NO_INT8] and old.upgradable
    assert new.missing == [] and not new.upgradable
    # int8 present, aligner missing and its checkpoint unknown: nothing Upgrade can add
    assert onnx.missing == [NO_TIMINGS] and not onnx.upgradable
    assert "not kept with it, so they stay estimated" in onnx.upgrade_hint()

    labels = [dialog.model_version.itemText(i) for i in range(dialog.model_version.count())]
    assert labels[0] == "The active model (Whisper base (old))"
    assert labels[1] == "Whisper base (old) (old-base) — no word timings, no fast int8"
    assert labels[2] == "Whisper base (new-base)"
    assert labels[3] == "imported onnx (onnx-x) — no word timings"

    table = dialog.versions
    m = table.model
    assert [m.index(r, VersionCol.VERSION).data() for r in range(3)] == [
        "Whisper base (old) · 2026-01-01 (active)",
        "Whisper base · 2026-02-01",
        "imported onnx · 2026-03-01",
    ]
    assert [m.index(r, VersionCol.INT8).data() for r in range(3)] == ["no", "yes", "yes"]
    assert table.selected().id == "old-base"  # the one an upgrade helps is preselected
    assert table.upgrade_button.isEnabled() and not table.upgrade_button.isHidden()
    assert table.cancel_button.isHidden()
    table.select("new-base")
    assert not table.upgrade_button.isEnabled() and table.hint.text() == "Complete"
    table.select("onnx-x")
    assert not table.upgrade_button.isEnabled()
    assert "stay estimated" in table.upgrade_button.toolTip()
    assert table.install_button.isHidden()  # models are installed


def test_precision_hint_follows_the_chosen_version(dialog: SettingsDialog) -> None:
    dialog.precision.setCurrentIndex(dialog.precision.findData("int8"))
    assert "would stop with an error" in dialog.precision_hint.text()  # the active one lacks it
    assert not dialog.precision_hint.isHidden()
    dialog.model_version.setCurrentIndex(dialog.model_version.findData("new-base"))
    assert dialog.precision_hint.text() == "" and dialog.precision_hint.isHidden()
    dialog.model_version.setCurrentIndex(0)
    dialog.precision.setCurrentIndex(dialog.precision.findData("auto"))
    assert "runs in full precision" in dialog.precision_hint.text()


def test_upgrade_runs_as_a_job_and_shows_its_notes(
    qtbot, dialog: SettingsDialog, runner: JobRunner, answers, monkeypatch
) -> None:
    monkeypatch.setattr(ModelRegistry, "upgrade", fake_upgrade(delay=0.02))
    panel = JobsPanel(runner)
    qtbot.addWidget(panel)
    table = dialog.versions
    job = table.upgrade_selected()
    assert job is not None and job.title == "Upgrade Whisper base (old)"
    assert panel.model.rowCount() == 1
    assert not table.upgrade_button.isEnabled() and not table.cancel_button.isHidden()
    qtbot.waitUntil(lambda: status_of(dialog, "old-base").startswith("Upgrading…"), timeout=5000)
    with qtbot.waitSignal(job.finished, timeout=10_000):
        pass
    assert job.status is JobStatus.DONE
    # the Jobs panel's status and the message both say what was added and what was not
    status = panel.model.index(0, JobCol.STATUS).data()
    assert status == "Added fast int8. Word timings stay estimated."
    assert answers.infos == [f"'Whisper base (old)': {status}"]
    # the list and the model choice are re-read from disk
    assert status_of(dialog, "old-base") == "Upgraded"
    old = next(v for v in table.model.versions if v.id == "old-base")
    assert old.fast_int8 and old.missing == [NO_TIMINGS]
    assert dialog.model_version.itemText(1) == "Whisper base (old) (old-base) — no word timings"
    assert table.selected().id == "old-base" and table.cancel_button.isHidden()
    # still upgradable: the default model's aligner can be rebuilt offline
    assert table.upgrade_button.isEnabled()
    assert "word timings" in table.upgrade_button.toolTip()


def test_cancel_stops_the_upgrade(qtbot, dialog: SettingsDialog, monkeypatch) -> None:
    monkeypatch.setattr(ModelRegistry, "upgrade", fake_upgrade(delay=0.3))
    table = dialog.versions
    job = table.upgrade_selected()
    assert job is not None
    assert table.upgrade_selected() is None  # one upgrade per version at a time
    qtbot.waitUntil(lambda: job.status is JobStatus.RUNNING, timeout=5000)
    with qtbot.waitSignal(job.cancelled, timeout=5000):
        table.cancel_button.click()
    assert status_of(dialog, "old-base") == "Cancelled"
    assert not (table.registry.path("old-base") / ENCODER_INT8_FILE).exists()
    assert table.upgrade_button.isEnabled()  # can be tried again


def test_failed_upgrade_is_reported(qtbot, dialog: SettingsDialog, answers, monkeypatch) -> None:
    monkeypatch.setattr(ModelRegistry, "upgrade", fake_upgrade(fail="The disk is full."))
    job = dialog.versions.upgrade_selected()
    with qtbot.waitSignal(job.failed, timeout=5000):
        pass
    assert answers.errors == ["Upgrading 'Whisper base (old)' failed: The disk is full."]
    assert status_of(dialog, "old-base") == "Failed"


def test_upgrade_from_the_window_uses_its_jobs_panel(window, qtbot, monkeypatch) -> None:
    """From the main window the upgrade is one of its jobs: it shows in the Jobs
    dock and keeps running when the dialog closes."""
    registry = ModelRegistry()
    add_version(registry, "old-base", "Whisper base (old)")
    monkeypatch.setattr(ModelRegistry, "upgrade", fake_upgrade(delay=0.02))
    window.docks["jobs"].hide()
    d = SettingsDialog(window.settings, window)
    assert d.runner is window.runner
    d.show()
    job = d.versions.upgrade_selected()
    assert window.docks["jobs"].isVisible()
    d.reject()  # closing the dialog does not stop it
    with qtbot.waitSignal(job.finished, timeout=10_000):
        pass
    assert window.jobs.model.index(0, JobCol.STATUS).data().startswith("Added fast int8")
    assert (registry.path("old-base") / ENCODER_INT8_FILE).is_file()


def test_describe_upgrade() -> None:
    both = UpgradeResult("m", added=[ALIGN_FILE, *INT8])
    assert describe_upgrade(both) == "Added word timings and fast int8."
    assert describe_upgrade(UpgradeResult("m", notes=["Why."])) == "Nothing was added. Why."


@pytest.mark.slow
def test_real_upgrade_of_a_tiny_model(
    qtbot, runner: JobRunner, answers, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The real ``ModelRegistry.upgrade`` (model-build subprocess) from the dialog."""
    from tests.asr.conftest import build_tiny_model

    model = build_tiny_model(tmp_path_factory.mktemp("tiny"), word_aligner=False)
    registry = ModelRegistry()
    manifest = registry.import_onnx_dir(model.onnx_dir, name="tiny whisper")
    d = SettingsDialog(Settings(precision="int8"), runner=runner, registry=registry)
    qtbot.addWidget(d)
    d.show()
    assert "would stop with an error" in d.precision_hint.text()
    job = d.versions.upgrade_selected()
    assert job is not None
    with qtbot.waitSignal(job.ended, timeout=120_000):
        pass
    assert job.status is JobStatus.DONE, job.error
    assert sorted(job.result.added) == sorted(INT8)
    assert len(answers.infos) == 1 and "Added fast int8." in answers.infos[0]
    assert "Word timings stay estimated" in answers.infos[0]  # no checkpoint was kept
    assert "--" not in answers.infos[0]  # no command-line flags in the app
    registry.verify(manifest.id)  # the new files are in the manifest with checksums
    assert d.versions.selected().fast_int8
    assert d.precision_hint.text() == ""
    ok = d.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert ok.isEnabled() and d.result_settings().precision == "int8"


def test_install_the_default_model_when_none_is_installed(
    qtbot, runner: JobRunner, monkeypatch
) -> None:
    """The fix the app names for "No speech model is installed" exists and works."""
    from desktop_app.gui.training.model_versions import INSTALL_DEFAULT

    empty = ModelRegistry()
    calls: list[bool] = []

    def install_default(self, state, force: bool = False):
        calls.append(force)
        state.set_progress(0.5, "Building")
        add_version(self, "base-1", "Whisper base", (ALIGN_FILE, *INT8))
        self.set_active("base-1")
        return self.get("base-1")

    monkeypatch.setattr(ModelRegistry, "install_default", install_default)
    d = SettingsDialog(Settings(), runner=runner, registry=empty)
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    table = d.versions
    assert not table.install_button.isHidden() and table.install_button.text() == INSTALL_DEFAULT
    assert table.hint.text() == f"No model is installed: press {INSTALL_DEFAULT}."
    table.install_button.click()
    qtbot.waitUntil(lambda: table.install_job.status.finished, timeout=10_000)
    assert calls == [False]
    qtbot.waitUntil(lambda: table.install_button.isHidden(), timeout=2000)
    assert [v.id for v in table.model.versions] == ["base-1"]
    assert d.model_version.itemText(0) == "The active model (Whisper base)"
