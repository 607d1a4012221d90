"""The "Import annotations…" dialog: a file, its recording, and where each of its tiers goes.

The mapping step shows one row per tier of the file: whether to import it,
the project tier (new names create a tier), its kind, the speaker (new names
create a speaker) and a default language. The import runs as a job through
:func:`~desktop_app.core.interop.importer.import_parts`: one transaction,
one undo step.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.errors import JazbaError
from desktop_app.core.interop.formats import IMPORT_FILTER
from desktop_app.core.interop.importer import (
    ImportOptions,
    ImportResult,
    default_mapping,
    find_recording,
    format_of,
    import_parts,
    read_annotations,
)
from desktop_app.core.interop.model import TIER_KINDS, SourceDocument, TierMapping
from desktop_app.gui.error_text import gui_text
from desktop_app.gui.interop.interop_job_dialog import JobDialog
from desktop_app.gui.session import ProjectSession
from desktop_app.gui.workers import JobRunner

NO_SPEAKER = "(no speaker)"


class ImportAnnotationsDialog(JobDialog):
    """Pick a file and a recording, map the file's tiers to tiers and speakers, import."""

    COLUMNS = ("Import", "File tier", "Segments", "Project tier", "Kind", "Speaker", "Language")

    def __init__(
        self,
        session: ProjectSession,
        runner: JobRunner,
        parent: QWidget | None = None,
        path: Path | None = None,
        recording_id: int | None = None,
    ) -> None:
        super().__init__(runner, parent)
        self.session = session
        self.doc: SourceDocument | None = None
        self.result: ImportResult | None = None
        self.setWindowTitle("Import annotations")
        self.run_button.setText("Import")
        self.path = QLineEdit()
        self.path.setReadOnly(True)
        browse = QPushButton("Choose file…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.recording = QComboBox()
        labels = session.recording_labels()
        for rec in session.recording_list():
            label = labels.get(rec.id, rec.title)
            self.recording.addItem(f"{label} — {rec.original_filename}", rec.id)
        if recording_id is not None:
            self.recording.setCurrentIndex(max(0, self.recording.findData(recording_id)))
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        for col in (0, 2, 4):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setVisible(False)
        self.replace = QCheckBox("Replace this recording's segments on these tiers")
        self.per_line = QCheckBox("Plain text: one segment per line (times guessed)")
        self.warnings = QLabel("")
        self.warnings.setWordWrap(True)
        form = QFormLayout()
        form.addRow("File", row)
        form.addRow("Recording", self.recording)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Where each tier of the file goes:"))
        layout.addWidget(self.table, 1)
        layout.addWidget(self.replace)
        layout.addWidget(self.per_line)
        layout.addWidget(self.warnings)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.recording.currentIndexChanged.connect(self._reload_text)
        self.per_line.toggled.connect(self._reload_text)
        self.run_button.setEnabled(False)
        self.resize(760, 460)
        if path is not None:
            self.load(path)

    # -- reading ---------------------------------------------------------------------
    def _browse(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Import annotations", str(Path.home()), f"{IMPORT_FILTER};;All files (*)"
        )
        if name:
            self.load(Path(name))

    def load(self, path: Path) -> bool:
        """Read ``path``, pick its recording, fill the mapping table."""
        project = self.session.project
        self.path.setText(str(path))
        self.doc = None
        is_text = path.suffix.lower() == ".txt"
        try:
            format_of(path)
            if not is_text:  # plain text is read once its recording (duration) is known
                self.doc = read_annotations(path)
        except JazbaError as exc:
            self.status.setText(gui_text(exc))
            self._fill([])
            return False
        try:
            rid = find_recording(project, path, self.doc.media if self.doc else ())
        except JazbaError as exc:
            self.status.setText(gui_text(exc))
        else:
            self.status.setText("")
            self.recording.setCurrentIndex(max(0, self.recording.findData(rid)))
        if is_text:
            return self._reload_text()
        assert self.doc is not None
        self._fill(default_mapping(project, self.doc))
        return True

    def _reload_text(self) -> bool:
        path = Path(self.path.text()) if self.path.text() else None
        if path is None or path.suffix.lower() != ".txt" or self.recording.currentData() is None:
            return self.doc is not None
        info = self.session.recordings.get(self.recording.currentData())
        try:
            self.doc = read_annotations(
                path,
                duration_ms=info.duration_ms,
                options=ImportOptions(per_line=self.per_line.isChecked()),
            )
        except JazbaError as exc:
            self.status.setText(gui_text(exc))
            self._fill([])
            return False
        self._fill(default_mapping(self.session.project, self.doc))
        return True

    def _fill(self, mapping: list[TierMapping]) -> None:
        tiers = [t.name for t in self.session.tier_list()]
        speakers = [NO_SPEAKER, *(sp.name for sp in self.session.speaker_list())]
        self.table.setRowCount(len(mapping))
        for row, m in enumerate(mapping):
            include = QTableWidgetItem()
            include.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            include.setCheckState(Qt.CheckState.Checked if m.include else Qt.CheckState.Unchecked)
            self.table.setItem(row, 0, include)
            source = QTableWidgetItem(m.source)
            source.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.table.setItem(row, 1, source)
            assert self.doc is not None
            count = QTableWidgetItem(str(len(self.doc.tier(m.source).items)))
            count.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.table.setItem(row, 2, count)
            self.table.setCellWidget(row, 3, self._editable([*tiers, m.tier], m.tier))
            kind = QComboBox()
            kind.addItems(list(dict.fromkeys([*TIER_KINDS, m.kind])))
            kind.setCurrentText(m.kind)
            self.table.setCellWidget(row, 4, kind)
            self.table.setCellWidget(
                row,
                5,
                self._editable([*speakers, m.speaker or NO_SPEAKER], m.speaker or NO_SPEAKER),
            )
            self.table.setCellWidget(row, 6, QLineEdit(m.language or ""))
        warnings = self.doc.warnings if self.doc is not None else []
        self.warnings.setText("\n".join(f"⚠ {w}" for w in warnings))
        self.run_button.setEnabled(bool(mapping) and self.recording.currentData() is not None)

    @staticmethod
    def _editable(values: list[str], current: str) -> QComboBox:
        box = QComboBox()
        box.setEditable(True)
        box.addItems(list(dict.fromkeys(values)))
        box.setCurrentText(current)
        return box

    def mapping(self) -> list[TierMapping]:
        out = []
        for row in range(self.table.rowCount()):
            speaker = self.table.cellWidget(row, 5).currentText().strip()
            language = self.table.cellWidget(row, 6).text().strip()
            out.append(
                TierMapping(
                    source=self.table.item(row, 1).text(),
                    tier=self.table.cellWidget(row, 3).currentText().strip(),
                    kind=self.table.cellWidget(row, 4).currentText(),
                    speaker=None if speaker in ("", NO_SPEAKER) else speaker,
                    language=language or None,
                    include=self.table.item(row, 0).checkState() == Qt.CheckState.Checked,
                )
            )
        return out

    # -- running ---------------------------------------------------------------------
    def _run(self) -> None:
        rid = self.recording.currentData()
        if self.doc is None or rid is None:
            return
        options = ImportOptions(
            replace=self.replace.isChecked(), per_line=self.per_line.isChecked()
        )
        fn = partial(import_parts, self.session.project, self.doc, [rid], self.mapping(), options)
        self._start(f"Import {self.doc.path.name}", fn)

    def _finished(self, result: object) -> None:
        assert isinstance(result, ImportResult)
        self.result = result
        self.session.speakers_changed.emit()
        self.session.tiers_changed.emit()
        self.session.notify_segments(result.recording_id)
        self.status.setText("\n".join([result.summary(), *(f"⚠ {w}" for w in result.warnings)]))
        self._ended()
        self.run_button.setEnabled(False)
        self.cancel_button.setText("Close")
