"""Installed model versions in the Settings dialog: what each one can do, and Upgrade.

Versions installed before word alignment and the int8 variant existed lack
``decoder_align.onnx`` (word timings are then estimated) and/or the int8
graphs (no fast CPU transcription). :class:`ModelVersionsWidget` lists every
version with what it is missing and runs :meth:`ModelRegistry.upgrade` as a
job (progress and cancel in the Jobs panel and here); the notes the upgrade
returns (e.g. why the word aligner could not be added) are shown afterwards.
*Save as bundle…* writes the selected version to one ``.jazba-model`` file
(:mod:`~desktop_app.gui.training.bundle_ops`), for a computer with no network.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.asr.engines import has_int8, has_word_timings
from desktop_app.asr.manifest import ALIGN_FILE, DECODER_INT8_FILE, ENCODER_INT8_FILE
from desktop_app.core.errors import JazbaError
from desktop_app.core.jobs import JobState
from desktop_app.gui.dialogs import common as dialogs
from desktop_app.gui.training import bundle_ops
from desktop_app.gui.workers import Job, JobRunner

if TYPE_CHECKING:
    from desktop_app.asr.registry import ModelRegistry
    from desktop_app.asr.upgrade import UpgradeResult

log = logging.getLogger(__name__)
Index = QModelIndex | QPersistentModelIndex

INSTALL_DEFAULT = "Install the default model"
NO_TIMINGS = "no word timings"
NO_INT8 = "no fast int8"


@dataclass(frozen=True)
class VersionInfo:
    """What the GUI needs to know about one installed version."""

    id: str
    name: str
    active: bool
    word_timings: bool  # has decoder_align.onnx
    fast_int8: bool  # has both int8 graphs
    aligner_known: bool  # an upgrade can add the aligner without asking for a folder
    created: str = ""  # ISO date and time it was installed

    @property
    def missing(self) -> list[str]:
        return [
            t for t, ok in ((NO_TIMINGS, self.word_timings), (NO_INT8, self.fast_int8)) if not ok
        ]

    @property
    def upgradable(self) -> bool:
        """Whether Upgrade would add something (int8 always can; the aligner
        only when the version's Hugging Face checkpoint can be found)."""
        return not self.fast_int8 or (not self.word_timings and self.aligner_known)

    def label(self) -> str:
        """``name (id)``, plus what it lacks: the model choice's text."""
        text = f"{self.name} ({self.id})"
        return f"{text} — {', '.join(self.missing)}" if self.missing else text

    def upgrade_hint(self) -> str:
        if self.upgradable:
            adds = (["fast int8"] if not self.fast_int8 else []) + (
                ["word timings"] if not self.word_timings and self.aligner_known else []
            )
            return f"Adds {' and '.join(adds)} to '{self.name}'; existing files are not changed."
        if not self.word_timings:
            return (
                f"Word timings are built from the Hugging Face checkpoint '{self.name}' was "
                "made from, and that checkpoint is not kept with it, so they stay estimated."
            )
        return f"'{self.name}' has everything: nothing to upgrade."


def default_registry() -> ModelRegistry:
    from desktop_app.asr.registry import ModelRegistry

    return ModelRegistry()


def list_versions(registry: ModelRegistry | None = None) -> list[VersionInfo]:
    """Every installed version, oldest first ([] when the models folder is unreadable)."""
    from desktop_app.asr.upgrade import _checkpoint_for

    registry = registry or default_registry()
    try:
        manifests = registry.versions()
        active = registry.active_id()
    except (JazbaError, OSError) as exc:
        log.warning("cannot list model versions: %s", exc)
        return []
    out = []
    for m in manifests:
        folder = registry.root / m.id
        out.append(
            VersionInfo(
                id=m.id,
                name=m.name,
                active=m.id == active,
                word_timings=has_word_timings(folder),
                fast_int8=has_int8(folder),
                aligner_known=bool(_checkpoint_for(m.source, m.source_ref, None)),
                created=m.created_at,
            )
        )
    return out


def upgrade_job(registry: ModelRegistry, model_id: str) -> Callable[[JobState], UpgradeResult]:
    """The job function: ``fn(state)`` upgrades one version."""
    return partial(registry.upgrade, model_id)


def describe_upgrade(result: UpgradeResult) -> str:
    """What an upgrade did, in words (the Jobs panel's status and the message after it)."""
    names = {
        ENCODER_INT8_FILE: "fast int8",
        DECODER_INT8_FILE: "fast int8",
        ALIGN_FILE: "word timings",
    }
    added = list(dict.fromkeys(names.get(f, f) for f in result.added))
    text = f"Added {' and '.join(added)}" if added else "Nothing was added"
    return " ".join([f"{text}.", *result.notes])


class VersionCol(enum.IntEnum):
    VERSION = 0
    TIMINGS = 1
    INT8 = 2
    STATUS = 3


class ModelVersionsModel(QAbstractTableModel):
    HEADERS = ("Model version", "Word timings", "Fast int8", "Status")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.versions: list[VersionInfo] = []
        self.status: dict[str, str] = {}  # id -> upgrade progress or outcome

    def set_versions(self, versions: list[VersionInfo]) -> None:
        self.beginResetModel()
        self.versions = list(versions)
        self.endResetModel()

    def set_status(self, model_id: str, text: str) -> None:
        self.status[model_id] = text
        for row, v in enumerate(self.versions):
            if v.id == model_id:
                self.dataChanged.emit(
                    self.index(row, VersionCol.STATUS), self.index(row, VersionCol.STATUS)
                )

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.versions)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(VersionCol)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.versions):
            return None
        v = self.versions[index.row()]
        col = VersionCol(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            if col == VersionCol.VERSION:  # the date tells apart versions of one name
                text = f"{v.name} · {v.created[:10]}" if v.created else v.name
                return f"{text} (active)" if v.active else text
            if col == VersionCol.TIMINGS:
                return "yes" if v.word_timings else "no — estimated"
            if col == VersionCol.INT8:
                return "yes" if v.fast_int8 else "no"
            return self.status.get(v.id, "")
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == VersionCol.VERSION:
                return v.id
            if col == VersionCol.STATUS:
                return self.status.get(v.id) or v.upgrade_hint()
            return v.upgrade_hint()
        return None


class ModelVersionsWidget(QWidget):
    """The version table with Upgrade / Cancel for the selected version."""

    versions_changed = Signal(str)  # model id, after its upgrade ended (versions re-read)
    job_started = Signal(object)  # Job

    def __init__(
        self,
        runner: JobRunner,
        registry: ModelRegistry | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.registry = registry or default_registry()
        self.jobs: dict[str, Job] = {}  # running upgrades by model id
        self.model = ModelVersionsModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.verticalHeader().setVisible(False)
        self.view.setShowGrid(False)
        self.view.setAlternatingRowColors(True)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(VersionCol.VERSION, QHeaderView.ResizeMode.Stretch)
        for col in (VersionCol.TIMINGS, VersionCol.INT8, VersionCol.STATUS):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.hint = QLabel("")
        self.hint.setWordWrap(True)
        self.upgrade_button = QPushButton("Upgrade")
        self.upgrade_button.clicked.connect(self.upgrade_selected)
        self.cancel_button = QPushButton("Cancel upgrade")
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.install_button = QPushButton(INSTALL_DEFAULT)
        self.install_button.setToolTip(
            "Build Whisper base from the packages installed with Jazba (offline, about a minute)"
        )
        self.install_button.clicked.connect(self.install_default)
        self.install_job: Job | None = None
        self.bundle_button = QPushButton("Save as &bundle…")
        self.bundle_button.setToolTip(
            "Write the selected version to one .jazba-model file, to install it on a computer "
            "with no network (there: Install from file… under Project ▸ Settings… ▸ Get models)"
        )
        self.bundle_button.clicked.connect(self.save_bundle)
        self.bundle_job: Job | None = None
        self.buttons = buttons = QHBoxLayout()
        buttons.addWidget(self.hint, 1)
        buttons.addWidget(self.install_button)
        buttons.addWidget(self.bundle_button)
        buttons.addWidget(self.upgrade_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._sync_buttons())
        self.refresh()

    def add_button(self, button: QPushButton) -> None:
        """Another action beside Upgrade (e.g. the dialog's "Get models…")."""
        self.buttons.addWidget(button)

    # -- state -------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read the installed versions, keeping the selection."""
        keep = self.selected()
        versions = list_versions(self.registry)
        self.model.set_versions(versions)
        ids = [v.id for v in versions]
        if keep is not None and keep.id in ids:
            row = ids.index(keep.id)
        else:  # the first one an upgrade would help, else the active one
            row = next((i for i, v in enumerate(versions) if v.upgradable), None)
            row = (
                row if row is not None else next((i for i, v in enumerate(versions) if v.active), 0)
            )
        if versions:
            self.view.selectionModel().setCurrentIndex(
                self.model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
        self._sync_buttons()

    def selected(self) -> VersionInfo | None:
        row = self.view.currentIndex().row()
        return self.model.versions[row] if 0 <= row < len(self.model.versions) else None

    def select(self, model_id: str) -> None:
        for row, v in enumerate(self.model.versions):
            if v.id == model_id:
                self.view.selectRow(row)
                self.view.setCurrentIndex(self.model.index(row, 0))

    def _sync_buttons(self) -> None:
        v = self.selected()
        running = v is not None and v.id in self.jobs
        self.upgrade_button.setEnabled(v is not None and v.upgradable and not running)
        self.cancel_button.setVisible(running)
        installing = self.install_job is not None and not self.install_job.status.finished
        self.install_button.setVisible(not self.model.versions)
        self.install_button.setEnabled(not installing)
        packing = self.bundle_job is not None and not self.bundle_job.status.finished
        self.bundle_button.setEnabled(v is not None and not packing)
        if v is None:
            self.hint.setText(
                "Installing the default model…"
                if installing
                else f"No model is installed: press {INSTALL_DEFAULT}."
            )
            self.upgrade_button.setToolTip("")
        else:
            self.hint.setText(", ".join(v.missing).capitalize() if v.missing else "Complete")
            self.upgrade_button.setToolTip(v.upgrade_hint())

    # -- actions -----------------------------------------------------------------
    def upgrade_selected(self) -> Job | None:
        v = self.selected()
        if v is None or not v.upgradable or v.id in self.jobs:
            return None
        job = self.runner.start(
            f"Upgrade {v.name}", upgrade_job(self.registry, v.id), summary=describe_upgrade
        )
        self.jobs[v.id] = job
        self.model.set_status(v.id, "Waiting…")
        job.changed.connect(lambda: self._progress(v.id, job))
        job.finished.connect(lambda result: self._finished(v, result))
        job.failed.connect(lambda message: self._failed(v, message))
        job.cancelled.connect(lambda: self._cancelled(v))
        self._sync_buttons()
        self.job_started.emit(job)
        return job

    def install_default(self) -> Job | None:
        """Install Whisper base (the default model) as a job."""
        if self.install_job is not None and not self.install_job.status.finished:
            return None
        registry = self.registry
        job = self.runner.start(INSTALL_DEFAULT, lambda state: registry.install_default(state))
        self.install_job = job
        job.finished.connect(lambda manifest: self._installed(manifest.id))
        job.failed.connect(self._install_failed)
        job.ended.connect(self._sync_buttons)
        self._sync_buttons()
        self.job_started.emit(job)
        return job

    def save_bundle(self) -> Job | None:
        """Write the selected version to a bundle file the person chooses, as a job."""
        v = self.selected()
        if v is None or (self.bundle_job is not None and not self.bundle_job.status.finished):
            return None
        job = bundle_ops.save_as_bundle(self, self.runner, self.registry, v.id, v.name)
        if job is None:
            return None
        self.bundle_job = job
        job.finished.connect(lambda path: self._bundle_saved(v, path))
        job.failed.connect(
            lambda message: self._report_error(f"Saving '{v.name}' as a bundle failed: {message}")
        )
        job.ended.connect(self._sync_buttons)
        self._sync_buttons()
        self.job_started.emit(job)
        return job

    def _bundle_saved(self, v: VersionInfo, path: object) -> None:
        if self.window().isVisible():
            dialogs.show_info(
                self,
                f"'{v.name}' is saved as {path}. On the other computer, install it with "
                "Install from file… under Project ▸ Settings… ▸ Get models.",
                "Model bundle",
            )

    def _report_error(self, message: str) -> None:
        if self.window().isVisible():
            dialogs.show_error(self, message, "Model bundle")

    def _installed(self, model_id: str) -> None:
        self.refresh()
        self.versions_changed.emit(model_id)

    def _install_failed(self, message: str) -> None:
        if self.window().isVisible():
            dialogs.show_error(self, f"Installing the default model failed: {message}")

    def cancel_selected(self) -> None:
        v = self.selected()
        job = self.jobs.get(v.id) if v is not None else None
        if job is not None:
            job.cancel()

    # -- job events (GUI thread) -----------------------------------------------
    def _progress(self, model_id: str, job: Job) -> None:
        if not job.status.finished:
            self.model.set_status(model_id, f"Upgrading… {round(job.progress * 100)}%")

    def _finished(self, v: VersionInfo, result: UpgradeResult) -> None:
        self._ended(v.id, "Upgraded" if result.added else "Nothing added")
        if self.window().isVisible():  # else the Jobs panel's status says the same
            dialogs.show_info(self, f"'{v.name}': {describe_upgrade(result)}", "Model upgrade")

    def _failed(self, v: VersionInfo, message: str) -> None:
        self._ended(v.id, "Failed")
        if self.window().isVisible():
            dialogs.show_error(self, f"Upgrading '{v.name}' failed: {message}", "Model upgrade")

    def _cancelled(self, v: VersionInfo) -> None:
        self._ended(v.id, "Cancelled")

    def _ended(self, model_id: str, status: str) -> None:
        self.jobs.pop(model_id, None)
        self.model.status[model_id] = status
        self.refresh()
        self.versions_changed.emit(model_id)
