"""The *Get models* page: the model catalog, Download and install, Install from file.

Each catalog entry is one row (:mod:`~desktop_app.gui.training.catalog_table`).
*Download and install* runs :meth:`ModelRegistry.install_catalog` as a job:
the row and a progress bar under the table follow it, Cancel stops it, and the
row then says the download can be resumed (the registry keeps the partial
files, so the next run continues where this one stopped). A gated model's
"needs a Hugging Face token" failure opens a token field; the token is passed
to that download only and never stored. *Install from file…* installs a
``.jazba-model`` bundle with no network (:mod:`~desktop_app.gui.training.bundle_ops`).

Jobs run in the window's runner, so they show in its Jobs panel and outlive
the Settings dialog; a page opened again picks up the downloads still running
and those cancelled (from the runner's list).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.asr.catalog import CatalogEntry, load_catalog
from desktop_app.core.errors import JazbaError
from desktop_app.gui import theme
from desktop_app.gui.dialogs import common as dialogs
from desktop_app.gui.training import bundle_ops
from desktop_app.gui.training.catalog_table import (
    PAUSED,
    CatalogCol,
    CatalogModel,
    details_text,
)
from desktop_app.gui.workers import Job, JobRunner, JobStatus

if TYPE_CHECKING:
    from desktop_app.asr.manifest import Manifest
    from desktop_app.asr.registry import ModelRegistry
    from desktop_app.speakers.models import SpeakerModel

log = logging.getLogger(__name__)

TITLE = "Get models"
DOWNLOAD = "&Download and install"
RESUME = "&Resume download"
RETRY_TOKEN = "&Retry with token"
INSTALL_FILE = "Install from &file…"
INTRO = (
    "Speech models Jazba can download from Hugging Face, convert and install. Error rates "
    "are what the models' authors report; figures marked unverified were not checked by "
    "Jazba. A model installed here becomes a version you can choose on the Transcription tab; "
    "Speakers and Overlaps models are used by Identify speakers…; a voice (TTS) reads "
    "text aloud for Teach words from text."
)
TOKEN_NOTE = "Used for this download only; Jazba does not save it."
#: Catalog architectures that serve the transcript rather than transcribe it.
SERVING_ARCHITECTURES = ("speaker", "segmentation")


def speaker_installed_text(name: str, architecture: str | None = "speaker") -> str:
    if architecture == "segmentation":
        return (
            f"'{name}' is installed. Identify speakers… now uses it to find speech and the "
            "places where two people speak at once (listed on the Overlap tier)."
        )
    return (
        f"'{name}' is installed. Identify speakers… now uses it instead of the built-in "
        "GE2E encoder. Voice profiles learnt with another speaker model are kept; speakers "
        "you labelled teach this model again when you identify speakers."
    )


def installed_entries(registry: ModelRegistry) -> dict[str, str]:
    """Catalog entry id -> installed version id ({} when the folder is unreadable)."""
    try:
        return registry.installed_catalog()
    except (JazbaError, OSError) as exc:
        log.warning("cannot list installed catalog models: %s", exc)
        return {}


def needs_token(entry: CatalogEntry, message: str) -> bool:
    """Whether a failed download asks for a Hugging Face token."""
    text = message.lower()
    return "hugging face token" in text or (entry.gated and "token" in text)


def voice_installed_text(entry: CatalogEntry) -> str:
    """What the page says once a voice is installed (it is not a transcription model)."""
    text = (
        f"'{entry.name}' is installed. Choose it under Speech synthesis in Teach words "
        "from text…; it does not transcribe."
    )
    if entry.non_commercial:
        text += (
            f" Its licence is {entry.license}: non-commercial use only, and so is any model "
            "trained on its audio."
        )
    return text


def short_status(job: Job) -> str:
    """The Status column of a row whose job runs: its first word and the percentage."""
    word = (job.message.split() or ["Working"])[0].rstrip(":…,.")
    return f"{word}… {round(job.progress * 100)} %"


class CatalogPage(QWidget):
    """The catalog table with Download and install / Cancel, a token field for
    gated models, and Install from file…; ``entries`` default to the shipped catalog."""

    installed = Signal(str)  # the new version's id, after an install ended
    speaker_model_installed = Signal(str)  # a speaker model's id, after its install ended
    voice_installed = Signal(str)  # a TTS voice's id (not a transcription model)
    job_started = Signal(object)  # Job

    def __init__(
        self,
        runner: JobRunner,
        registry: ModelRegistry,
        entries: Sequence[CatalogEntry] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.registry = registry
        self.jobs: dict[str, Job] = {}  # running downloads by entry id
        self.paused: set[str] = set()  # cancelled downloads (the next run resumes)
        self.token_asked: dict[str, str] = {}  # entry id -> the failure that asked for one
        self.file_job: Job | None = None
        if entries is None:
            try:
                entries = load_catalog()
            except JazbaError as exc:
                log.warning("cannot read the model catalog: %s", exc)
                entries = ()
        self.model = CatalogModel(entries, self)
        self._build()
        self._adopt_jobs()
        self.refresh()

    def _build(self) -> None:
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.verticalHeader().setVisible(False)
        self.view.setShowGrid(False)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(True)
        self.view.setAccessibleName("Model catalog")
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        for col in (CatalogCol.MODEL, CatalogCol.RECOMMENDED):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(CatalogCol.REPORTED, QHeaderView.ResizeMode.Interactive)
        self.view.setColumnWidth(CatalogCol.REPORTED, 150)
        header.setSectionResizeMode(CatalogCol.STATUS, QHeaderView.ResizeMode.Interactive)
        self.view.setColumnWidth(CatalogCol.STATUS, 140)
        # rows as tall as their wrapped text, at the width the view has once shown
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self.view.resizeRowsToContents)
        header.sectionResized.connect(lambda *_: self._fit_timer.start())
        self.view.viewport().installEventFilter(self)
        self.details = QLabel("")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setStyleSheet(f"color: {theme.current().muted};")

        # a running download of the selected entry
        self.progress_text = QLabel("")
        self.progress_text.setWordWrap(True)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setFormat("%p%")
        self.cancel_button = QPushButton("&Cancel download")
        self.cancel_button.setToolTip("Stop the download; the next one continues from here")
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.progress_box = QWidget()
        row = QHBoxLayout(self.progress_box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.progress_text, 2)
        row.addWidget(self.progress_bar, 1)
        row.addWidget(self.cancel_button)

        # a gated model's token
        self.token_message = QLabel("")
        self.token_message.setWordWrap(True)
        self.token_edit = QLineEdit()
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit.setPlaceholderText("hf_…")
        self.token_edit.setToolTip(TOKEN_NOTE)
        self.token_edit.setAccessibleName("Hugging Face token")
        self.token_edit.installEventFilter(self)  # Enter retries (and does not close the dialog)
        token_label = QLabel("Hugging Face &token:")
        token_label.setBuddy(self.token_edit)
        token_note = QLabel(TOKEN_NOTE)
        token_note.setStyleSheet(f"color: {theme.current().muted};")
        self.token_box = QWidget()
        box = QVBoxLayout(self.token_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.token_message)
        line = QHBoxLayout()
        line.addWidget(token_label)
        line.addWidget(self.token_edit, 1)
        line.addWidget(token_note)
        box.addLayout(line)

        self.file_button = QPushButton(INSTALL_FILE)
        self.file_button.setToolTip(
            "Install a model saved on another computer with Save as bundle… (no network)"
        )
        self.file_button.clicked.connect(self.install_from_file)
        self.download_button = QPushButton(DOWNLOAD)
        self.download_button.clicked.connect(self.download_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(self.file_button)
        buttons.addStretch(1)
        buttons.addWidget(self.download_button)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.details)
        layout.addWidget(self.progress_box)
        layout.addWidget(self.token_box)
        layout.addLayout(buttons)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._sync())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.view.viewport() and event.type() in (
            QEvent.Type.Resize,
            QEvent.Type.Show,
        ):
            self._fit_timer.start()
            return False
        enter = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if (
            watched is self.token_edit
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() in enter
        ):
            self.download_selected()
            return True
        return super().eventFilter(watched, event)

    # -- state -------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read which entries are installed, and which have a stopped download on
        disk (from this session or an earlier one, even one that was killed)."""
        installed = installed_entries(self.registry)
        self.model.set_installed(installed)
        for entry in self.model.entries:
            if entry.id in self.jobs or entry.id in installed:
                continue
            try:
                kept = self.registry.partial_download(entry.id)
            except OSError:
                kept = 0
            if kept and entry.id not in self.paused:
                self.paused.add(entry.id)
                self.model.set_status(entry.id, PAUSED)
        if self.selected() is None and self.model.entries:
            self.select(self.model.entries[0].id)
        self._fit_timer.start()
        self._sync()

    def selected(self) -> CatalogEntry | None:
        return self.model.entry(self.view.currentIndex().row())

    def select(self, entry_id: str) -> bool:
        """Select the entry ``entry_id`` (e.g. the one a hint suggested)."""
        row = self.model.row_of(entry_id)
        if row is None:
            return False
        self.view.selectionModel().setCurrentIndex(
            self.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.view.scrollTo(self.model.index(row, 0))
        return True

    def _sync(self) -> None:
        entry = self.selected()
        job = self.jobs.get(entry.id) if entry is not None else None
        installed = self.model.installed.get(entry.id) if entry is not None else None
        self.details.setText(details_text(entry, installed) if entry is not None else "")
        self.progress_box.setVisible(job is not None)
        if job is not None:
            self.progress_text.setText(job.message)
            self.progress_bar.setValue(round(job.progress * 1000))
            self.cancel_button.setEnabled(not job.state.cancelled)
        asked = entry is not None and entry.id in self.token_asked
        self.token_box.setVisible(entry is not None and job is None and (asked or entry.gated))
        if entry is not None:
            self._style_token_message(entry)
        button = self.download_button
        button.setText(
            RETRY_TOKEN
            if asked
            else RESUME
            if entry is not None and entry.id in self.paused
            else DOWNLOAD
        )
        button.setEnabled(entry is not None and job is None and not installed)
        button.setToolTip(
            ""
            if entry is None
            else f"Already installed as version '{installed}'"
            if installed
            else f"Download {entry.size_text()} from Hugging Face ({entry.repo_id}), "
            "convert it and install it"
        )
        running_file = self.file_job is not None and not self.file_job.status.finished
        self.file_button.setEnabled(not running_file)

    def _style_token_message(self, entry: CatalogEntry) -> None:
        asked = self.token_asked.get(entry.id)
        if asked:
            self.token_message.setText(asked)
            self.token_message.setStyleSheet(f"color: {theme.current().error};")
        else:
            self.token_message.setText(
                f"'{entry.name}' is gated on Hugging Face: accept its terms there, then "
                "paste a token of your account."
            )
            self.token_message.setStyleSheet("")

    def _adopt_jobs(self) -> None:
        """Downloads started from an earlier page (the dialog was closed and opened again)."""
        for job in self.runner.jobs:
            entry_id = getattr(job, "catalog_entry", None)
            if entry_id is None or self.model.row_of(entry_id) is None:
                continue
            self.paused.discard(entry_id)
            if not job.status.finished:
                self._watch(entry_id, job)
            elif job.status is JobStatus.CANCELLED:
                self.paused.add(entry_id)
                self.model.set_status(entry_id, PAUSED)

    # -- actions -----------------------------------------------------------------
    def download_selected(self) -> Job | None:
        """Download, convert and install the selected entry (with the token, if one was typed)."""
        entry = self.selected()
        if entry is None or entry.id in self.jobs or entry.id in self.model.installed:
            return None
        typed = self.token_edit.text().strip() if self.token_box.isVisibleTo(self) else ""
        token = typed or None
        registry, entry_id = self.registry, entry.id
        voice = entry.architecture == "tts"
        job = self.runner.start(
            f"Download {entry.name}",
            lambda state: registry.install_catalog(entry_id, state, token=token),
            summary=lambda m: f"Installed as {'the voice' if voice else 'version'} '{m.id}'",
        )
        job.catalog_entry = entry_id  # type: ignore[attr-defined]  # for a page opened later
        self.token_asked.pop(entry_id, None)
        self._watch(entry_id, job)
        self.job_started.emit(job)
        return job

    def _watch(self, entry_id: str, job: Job) -> None:
        self.jobs[entry_id] = job
        self.model.set_status(entry_id, "Waiting…")
        job.changed.connect(lambda: self._progress(entry_id, job))
        job.finished.connect(lambda manifest: self._installed(entry_id, manifest))
        job.failed.connect(lambda message: self._failed(entry_id, message))
        job.cancelled.connect(lambda: self._cancelled(entry_id))
        self._sync()

    def cancel_selected(self) -> None:
        entry = self.selected()
        job = self.jobs.get(entry.id) if entry is not None else None
        if job is not None:
            job.cancel()

    def install_from_file(self) -> Job | None:
        """Ask for a ``.jazba-model`` bundle and install it."""
        if self.file_job is not None and not self.file_job.status.finished:
            return None
        job = bundle_ops.install_from_file(self, self.runner, self.registry)
        if job is None:
            return None
        self.file_job = job
        job.finished.connect(self._bundle_installed)
        job.failed.connect(lambda message: self._error(f"Installing the bundle failed: {message}"))
        job.ended.connect(self._sync)
        self._sync()
        self.job_started.emit(job)
        return job

    # -- job events (GUI thread) -----------------------------------------------
    def _progress(self, entry_id: str, job: Job) -> None:
        if job.status.finished:
            return
        self.model.set_status(entry_id, short_status(job))
        entry = self.selected()
        if entry is not None and entry.id == entry_id:
            self._sync()

    def _installed(self, entry_id: str, manifest: Manifest | SpeakerModel) -> None:
        self._ended(entry_id, None)
        self.token_edit.clear()
        name = self._name(entry_id)
        row = self.model.row_of(entry_id)
        entry = self.model.entry(row) if row is not None else None
        architecture = entry.architecture if entry is not None else None
        if entry is not None and architecture == "tts":
            self.voice_installed.emit(manifest.id)  # a voice, not a transcription model
            if self.window().isVisible():
                dialogs.show_info(self, voice_installed_text(entry), TITLE)
            return
        if architecture in SERVING_ARCHITECTURES:
            # not a transcription model: nothing to choose on the Transcription tab
            self.speaker_model_installed.emit(manifest.id)
            if self.window().isVisible():
                dialogs.show_info(self, speaker_installed_text(name, architecture), TITLE)
            return
        self.installed.emit(manifest.id)
        if self.window().isVisible():
            dialogs.show_info(
                self,
                f"'{name}' is installed as version '{manifest.id}'. It is chosen as the model "
                "version on the Transcription tab; press OK to keep that choice.",
                TITLE,
            )

    def _failed(self, entry_id: str, message: str) -> None:
        row = self.model.row_of(entry_id)
        entry = self.model.entry(row) if row is not None else None
        if entry is not None and needs_token(entry, message):
            self.token_asked[entry_id] = message
            self._ended(entry_id, "Needs a token")
            if self.selected() is entry:
                self.token_edit.setFocus()
            return
        self._ended(entry_id, "Failed")
        self._error(f"Installing '{self._name(entry_id)}' failed: {message}")

    def _cancelled(self, entry_id: str) -> None:
        self.paused.add(entry_id)
        self._ended(entry_id, PAUSED)

    def _ended(self, entry_id: str, status: str | None) -> None:
        self.jobs.pop(entry_id, None)
        if status != PAUSED:
            self.paused.discard(entry_id)
        self.model.set_status(entry_id, status)
        self.refresh()

    def _bundle_installed(self, manifest: Manifest) -> None:
        self.refresh()
        self.installed.emit(manifest.id)
        if self.window().isVisible():
            dialogs.show_info(
                self, f"'{manifest.name}' is installed as version '{manifest.id}'.", TITLE
            )

    def _error(self, message: str) -> None:
        if self.window().isVisible():  # else the Jobs panel says it
            dialogs.show_error(self, message, TITLE)

    def _name(self, entry_id: str) -> str:
        row = self.model.row_of(entry_id)
        entry = self.model.entry(row) if row is not None else None
        return entry.name if entry is not None else entry_id
