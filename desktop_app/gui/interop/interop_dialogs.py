"""Export and annotation-import dialogs (Project menu: "Export…", "Import annotations…").

Both run their work as jobs on the window's
:class:`~desktop_app.gui.workers.JobRunner`: the dialog shows the job's
progress and its Cancel button cancels it; the Jobs panel shows it too. The
dialogs only build option dataclasses and call the same core functions as the
CLI (:func:`~desktop_app.core.interop.exporter.export_project`,
:func:`~desktop_app.core.interop.importer.import_parts`).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.errors import JazbaError
from desktop_app.core.interop.exporter import ExportOptions, ExportResult, export_project
from desktop_app.core.interop.formats import EXPORT_FORMATS
from desktop_app.core.interop.select import ExportFilter
from desktop_app.core.interop.splits import SplitSpec
from desktop_app.core.store.schema import SEGMENT_STATUSES
from desktop_app.gui.interop.interop_import_dialog import ImportAnnotationsDialog
from desktop_app.gui.interop.interop_job_dialog import JobDialog
from desktop_app.gui.session import ProjectSession
from desktop_app.gui.workers import JobRunner
from desktop_app.services.unit_scoring import unit_provider

if TYPE_CHECKING:
    from desktop_app.gui.main_window import MainWindow

AUDIO_CHOICES = (
    ("none", "Link the project's audio (nothing copied)"),
    ("recordings", "Copy each recording"),
    ("clips", "A 16 kHz WAV clip per segment"),
)


def _checklist(names: list[str]) -> QListWidget:
    box = QListWidget()
    for name in names:
        item = QListWidgetItem(name)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Unchecked)
        box.addItem(item)
    box.setMaximumHeight(90)
    return box


def _checked(box: QListWidget) -> frozenset[str] | None:
    names = {
        box.item(i).text()
        for i in range(box.count())
        if box.item(i).checkState() == Qt.CheckState.Checked
    }
    return frozenset(names) or None


class ExportDialog(JobDialog):
    """Choose a format, a folder, filters and options; export as a job."""

    def __init__(
        self, session: ProjectSession, runner: JobRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(runner, parent)
        self.session = session
        self.result: ExportResult | None = None
        self.setWindowTitle("Export annotations or a dataset")
        self.run_button.setText("Export")

        self.format_box = QComboBox()
        for fmt in EXPORT_FORMATS.values():
            self.format_box.addItem(fmt.label, fmt.id)
            self.format_box.setItemData(
                self.format_box.count() - 1, fmt.help, Qt.ItemDataRole.ToolTipRole
            )
        self.format_help = QLabel("")
        self.format_help.setWordWrap(True)
        self.dest = QLineEdit(str(Path.home() / f"{session.path.stem}-export"))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        dest_row = QHBoxLayout()
        dest_row.addWidget(self.dest, 1)
        dest_row.addWidget(browse)

        self.statuses = {s: QCheckBox(s) for s in SEGMENT_STATUSES}
        status_row = QHBoxLayout()
        for box in self.statuses.values():
            box.setChecked(True)
            status_row.addWidget(box)
        status_row.addStretch(1)
        self.speakers = _checklist([sp.name for sp in session.speaker_list()])
        self.tiers = _checklist([t.name for t in session.tier_list()])
        self.languages = QLineEdit()
        self.languages.setPlaceholderText("all (or e.g. kk, ru)")
        filters = QGroupBox("Which segments (nothing ticked = all, or for datasets the default)")
        ff = QFormLayout(filters)
        ff.addRow("Status", status_row)
        ff.addRow("Speakers", self.speakers)
        ff.addRow("Tiers", self.tiers)
        ff.addRow("Languages", self.languages)

        self.audio = QComboBox()
        for key, label in AUDIO_CHOICES:
            self.audio.addItem(label, key)
        self.split = QCheckBox("Speaker-disjoint train / dev / test")
        self.shares = [QDoubleSpinBox() for _ in range(3)]
        split_row = QHBoxLayout()
        split_row.addWidget(self.split)
        for spin, value in zip(self.shares, (0.8, 0.1, 0.1), strict=True):
            spin.setRange(0.0, 1.0)
            spin.setSingleStep(0.05)
            spin.setValue(value)
            split_row.addWidget(spin)
        self.normalize = QCheckBox("Train on normalised text (lower case, no punctuation)")
        self.overwrite = QCheckBox("Replace files already in the folder")
        self.units = QCheckBox("Add speech-unit sequences (when a unit model is installed)")
        self.units.setChecked(True)
        options = QGroupBox("Options")
        of = QFormLayout(options)
        of.addRow("Audio", self.audio)
        of.addRow("Splits", split_row)
        of.addRow("", self.normalize)
        of.addRow("", self.units)
        of.addRow("", self.overwrite)

        self.counts = QLabel("")
        self.counts.setWordWrap(True)
        self.counts.setObjectName("exportCounts")

        form = QFormLayout()
        form.addRow("Format", self.format_box)
        form.addRow("", self.format_help)
        form.addRow("Folder", dest_row)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(filters)
        layout.addWidget(options)
        layout.addWidget(self.counts)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.format_box.currentIndexChanged.connect(self._format_changed)
        for box in self.statuses.values():
            box.toggled.connect(self._update_counts)
        for lst in (self.speakers, self.tiers):
            lst.itemChanged.connect(self._update_counts)
        self.languages.textChanged.connect(self._update_counts)
        self.audio.currentIndexChanged.connect(self._update_counts)
        self.split.toggled.connect(self._update_counts)
        self._format_changed()
        self.resize(560, 0)

    def _format_changed(self) -> None:
        fmt = EXPORT_FORMATS[self.format_box.currentData()]
        self.format_help.setText(fmt.help)
        for status, box in self.statuses.items():  # datasets: what a person checked
            box.blockSignals(True)
            box.setChecked(not fmt.dataset or status == "approved")
            box.blockSignals(False)
        for w in (self.split, *self.shares, self.normalize, self.units):
            w.setEnabled(not fmt.per_recording)
        clips = self.audio.findData("clips")
        self.audio.model().item(clips).setEnabled(not fmt.per_recording)
        if fmt.per_recording and self.audio.currentData() == "clips":
            self.audio.setCurrentIndex(0)
        self._update_counts()

    def _update_counts(self) -> None:
        """What the export would include and leave out, before anything is written."""
        options = self.options()
        try:
            selection = options.selection(self.session.project)
        except JazbaError as exc:
            self.counts.setText(f"⚠ {exc}")
            return
        text = selection.summary(hints=False)
        hints = []
        if "drafts" in selection.left_out:
            hints.append("tick 'auto' to add model drafts")
        if "edited" in selection.left_out:
            hints.append("tick 'edited' to add corrected but unapproved segments")
        if any(k.endswith("-tier") for k in selection.left_out):
            hints.append("tick a tier to add it")
        if hints:
            text += " (" + "; ".join(hints) + ")"
        if options.is_dataset():
            text = "Dataset: only checked transcriptions unless you widen it. " + text
        self.counts.setText(text)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export into folder", self.dest.text())
        if folder:
            self.dest.setText(folder)

    def options(self) -> ExportOptions:
        fmt = EXPORT_FORMATS[self.format_box.currentData()]
        statuses = frozenset(s for s, box in self.statuses.items() if box.isChecked())
        langs = frozenset(x.strip() for x in self.languages.text().split(",") if x.strip())
        split = None
        if self.split.isChecked() and not fmt.per_recording:
            split = SplitSpec(*(s.value() for s in self.shares))
        audio = self.audio.currentData()
        dataset = fmt.dataset or (not fmt.per_recording and (audio != "none" or split is not None))
        if not dataset and statuses == set(SEGMENT_STATUSES):
            statuses = (
                frozenset()
            )  # all: no restriction (a dataset names them: its default differs)
        return ExportOptions(
            format=fmt.id,
            filter=ExportFilter(
                statuses=statuses or None,
                speakers=_checked(self.speakers),
                tiers=_checked(self.tiers),
                languages=langs or None,
            ),
            audio=audio,
            splits=split,
            normalize=self.normalize.isChecked() and not fmt.per_recording,
            overwrite=self.overwrite.isChecked(),
        )

    def _run(self) -> None:
        if not self.dest.text().strip():
            self.status.setText("Choose a folder to export into.")
            return
        options, dest = self.options(), Path(self.dest.text().strip())
        fmt = EXPORT_FORMATS[options.format]
        project = self.session.project
        units = None
        if self.units.isChecked() and not fmt.per_recording:
            units = unit_provider(project)
        self._start(
            f"Export {fmt.label}", partial(export_project, project, dest, options, units=units)
        )

    def _finished(self, result: object) -> None:
        assert isinstance(result, ExportResult)
        self.result = result
        lines = [result.summary(), *(f"⚠ {w}" for w in result.warnings)]
        self.status.setText("\n".join(lines))
        self._ended()
        self.cancel_button.setText("Close")


# -- the File (Project) menu ---------------------------------------------------------------
def install(window: MainWindow) -> tuple[QAction, QAction]:
    """Add "Import annotations…" and "Export…" to the Project menu after "Import audio…"."""
    imp = QAction("Import &annotations…", window)
    imp.setStatusTip("Import ELAN, Praat, subtitle, text or table annotations for a recording")
    exp = QAction("&Export…", window)
    exp.setStatusTip("Export annotations or a training dataset")
    imp.triggered.connect(lambda: open_import_dialog(window))
    exp.triggered.connect(lambda: open_export_dialog(window))
    anchor = window.actions.get("import_audio")
    for menu in window.menuBar().findChildren(QMenu):
        if anchor is not None and anchor in menu.actions():
            after = menu.actions()[menu.actions().index(anchor) + 1 :]
            before = after[0] if after else None
            menu.insertActions(before, [imp, exp]) if before else menu.addActions([imp, exp])
            menu.aboutToShow.connect(lambda: _enable(window, imp, exp))
            break
    _enable(window, imp, exp)
    return imp, exp


def _enable(window: MainWindow, *actions: QAction) -> None:
    for action in actions:
        action.setEnabled(window.session is not None)


def open_export_dialog(window: MainWindow) -> ExportDialog | None:
    if window.session is None:
        return None
    dlg = ExportDialog(window.session, window.runner, window)
    dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dlg.show()
    return dlg


def open_import_dialog(window: MainWindow) -> ImportAnnotationsDialog | None:
    if window.session is None:
        return None
    current = window.review.recording.id if window.review.recording is not None else None
    dlg = ImportAnnotationsDialog(window.session, window.runner, window, recording_id=current)
    dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dlg.show()
    return dlg
