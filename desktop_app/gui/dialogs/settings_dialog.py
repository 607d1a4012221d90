"""The settings dialog: appearance, review, transcription (with the installed
model versions and their upgrade), getting models from the catalog, and shortcuts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QKeySequenceEdit,
    QLabel,
    QPushButton,
    QStyledItemDelegate,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.services.confidence import WORD_PERCENTILE
from desktop_app.core.settings import DEVICES, PRECISIONS, Settings
from desktop_app.gui import shortcuts, theme
from desktop_app.gui.training.catalog_page import TITLE as GET_MODELS
from desktop_app.gui.training.catalog_page import CatalogPage
from desktop_app.gui.training.model_versions import ModelVersionsWidget, VersionInfo, list_versions
from desktop_app.gui.workers import JobRunner

if TYPE_CHECKING:
    from desktop_app.asr.registry import ModelRegistry

Index = QModelIndex | QPersistentModelIndex

PRECISION_LABELS = {
    "auto": "Automatic (fast int8 on the CPU when the model has it)",
    "fp32": "Full precision (fp32)",
    "int8": "Fast (int8)",
}

#: The Get models tab's table needs this width to show its columns unclipped.
GET_MODELS_WIDTH = 1060

PRESET_HELP = {
    "fast": "greedy search — quickest",
    "accurate": "5 beams — slower, for hard audio",
    "kk-ru": "3 beams tuned for Kazakh/Russian — the default",
}


def decoding_presets() -> list[tuple[str, str]]:
    from desktop_app.asr.presets import preset_names

    return [(name, PRESET_HELP.get(name, "")) for name in preset_names()]


class ShortcutModel(QAbstractTableModel):
    HEADERS = ("Action", "Key", "Default")

    def __init__(self, keys: Mapping[str, str], parent: Any = None) -> None:
        super().__init__(parent)
        self.keys = dict(keys)
        self.specs = list(shortcuts.ACTIONS)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.specs)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 3

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        f = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return f | Qt.ItemFlag.ItemIsEditable if index.column() == 1 else f

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        spec = self.specs[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if index.column() == 0:
                return spec.text.replace("&", "")
            key = self.keys.get(spec.id, "") if index.column() == 1 else spec.key
            return QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText)
        if role == Qt.ItemDataRole.ToolTipRole:
            return spec.help or None
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if index.column() != 1 or role != Qt.ItemDataRole.EditRole:
            return False
        self.keys[self.specs[index.row()].id] = shortcuts.normalize(str(value or ""))
        self.dataChanged.emit(index, index)
        return True

    def reset_defaults(self) -> None:
        self.beginResetModel()
        self.keys = shortcuts.effective_keys({})
        self.endResetModel()


class KeyDelegate(QStyledItemDelegate):
    def createEditor(self, parent: QWidget, option, index: Index) -> QWidget:
        edit = QKeySequenceEdit(parent)
        edit.setClearButtonEnabled(True)
        edit.setMaximumSequenceLength(1)
        edit.editingFinished.connect(lambda: self.commitData.emit(edit))
        return edit

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        assert isinstance(editor, QKeySequenceEdit)
        editor.setKeySequence(QKeySequence(index.data(Qt.ItemDataRole.EditRole) or ""))

    def setModelData(self, editor: QWidget, model, index: Index) -> None:
        assert isinstance(editor, QKeySequenceEdit)
        model.setData(
            index, editor.keySequence().toString(QKeySequence.SequenceFormat.PortableText)
        )


class SettingsDialog(QDialog):
    """``runner`` runs model upgrades (default: the parent window's, so they show
    in its Jobs panel and outlive the dialog); ``registry`` is for tests."""

    def __init__(
        self,
        settings: Settings,
        parent: QWidget | None = None,
        runner: JobRunner | None = None,
        registry: ModelRegistry | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.resize(760, 600)
        self._settings = settings
        self._registry = registry
        runner = runner or getattr(parent, "runner", None)
        self.runner = runner if isinstance(runner, JobRunner) else JobRunner(parent=self)
        self.tabs = tabs = QTabWidget()
        tabs.addTab(self._general_tab(settings), "General")
        tabs.addTab(self._model_tab(settings), "Transcription")
        tabs.addTab(self._catalog_tab(), GET_MODELS)
        tabs.addTab(self._shortcuts_tab(settings), "Shortcuts")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs, 1)
        layout.addWidget(self.buttons)
        self._check_conflicts()

    # -- tabs -----------------------------------------------------------------
    def _general_tab(self, s: Settings) -> QWidget:
        w = QWidget()
        form = QFormLayout(w)
        self.theme = QComboBox()
        self.theme.addItem("Light", "light")
        self.theme.addItem("Dark", "dark")
        self.theme.setCurrentIndex(max(0, self.theme.findData(s.theme)))
        form.addRow("Theme:", self.theme)
        self.low_mode = QComboBox()
        self.low_mode.addItem(
            f"Calibrated to the model (its {WORD_PERCENTILE}th percentile in the project)", False
        )
        self.low_mode.addItem("Below a fixed threshold:", True)
        self.low_mode.setCurrentIndex(self.low_mode.findData(s.low_confidence_fixed))
        self.low_conf = QDoubleSpinBox()
        self.low_conf.setRange(0.0, 1.0)
        self.low_conf.setSingleStep(0.05)
        self.low_conf.setValue(s.low_confidence)
        self.low_conf.setToolTip("Words and segments with a model probability below this")
        self.low_hint = QLabel(
            "Calibrated: the fifth of each model's words it was least sure of in this project "
            "are underlined, whatever the model (a weak model's probabilities are low "
            "everywhere, a fine-tuned one's high); a row is tinted only for the model's "
            "weakest segments."
        )
        self.low_hint.setWordWrap(True)
        self.low_hint.setStyleSheet(f"color: {theme.current().muted};")
        self.low_mode.currentIndexChanged.connect(lambda _i: self._sync_low_conf())
        self._sync_low_conf()
        row = QHBoxLayout()
        row.addWidget(self.low_mode, 1)
        row.addWidget(self.low_conf)
        cell = QVBoxLayout()
        cell.addLayout(row)
        cell.addWidget(self.low_hint)
        form.addRow("Mark low-confidence words:", cell)
        self.auto_advance = QCheckBox("Play the next segment after approve-and-next")
        self.auto_advance.setChecked(s.auto_advance)
        form.addRow("Auto-advance:", self.auto_advance)
        self.snap = QCheckBox("Move dragged and drawn boundaries to nearby silence")
        self.snap.setChecked(s.snap_to_silence)
        self.snap.setToolTip("Hold Alt while dragging to place a boundary exactly.")
        form.addRow("Snap to silence:", self.snap)
        return w

    def _sync_low_conf(self) -> None:
        """The fixed threshold shows (and is set) only when it is in force."""
        fixed = bool(self.low_mode.currentData())
        self.low_conf.setEnabled(fixed)
        self.low_conf.setVisible(fixed)

    def _model_tab(self, s: Settings) -> QWidget:
        w = QWidget()
        outer = QVBoxLayout(w)
        form = QFormLayout()
        outer.addLayout(form)
        self.model_version = QComboBox()
        self._fill_models(s.model_version)
        form.addRow("Model version:", self.model_version)
        self.device = QComboBox()
        for d in DEVICES:
            self.device.addItem(
                {"auto": "Automatic (GPU if available)", "cpu": "CPU", "cuda": "NVIDIA GPU (CUDA)"}[
                    d
                ],
                d,
            )
        self.device.setCurrentIndex(max(0, self.device.findData(s.device)))
        form.addRow("Run on:", self.device)
        self.precision = QComboBox()
        for p in PRECISIONS:
            self.precision.addItem(PRECISION_LABELS[p], p)
        self.precision.setCurrentIndex(max(0, self.precision.findData(s.precision)))
        self.precision.setToolTip(
            "int8 runs about twice as fast on the CPU with the same accuracy (checked when "
            "the model is built); on an NVIDIA GPU Automatic uses full precision."
        )
        form.addRow("Precision:", self.precision)
        self.precision_hint = QLabel("")
        self.precision_hint.setWordWrap(True)
        form.addRow("", self.precision_hint)
        self.preset = QComboBox()
        for name, help_text in decoding_presets():
            self.preset.addItem(f"{name} — {help_text}" if help_text else name, name)
        self.preset.setCurrentIndex(max(0, self.preset.findData(s.decoding_preset)))
        form.addRow("Decoding:", self.preset)
        box = QGroupBox("Installed model versions")
        box_layout = QVBoxLayout(box)
        self.versions = ModelVersionsWidget(self.runner, self._registry, box)
        box_layout.addWidget(self.versions)
        more = QPushButton(f"{GET_MODELS}…")
        more.setToolTip("Kazakh and other speech models from the catalog, or from a bundle file")
        more.clicked.connect(lambda: self.show_get_models())
        self.versions.add_button(more)
        outer.addWidget(box, 1)
        self.versions.job_started.connect(self._show_jobs)
        self.versions.versions_changed.connect(lambda _id: self._fill_models())
        self.model_version.currentIndexChanged.connect(self._update_precision_hint)
        self.precision.currentIndexChanged.connect(self._update_precision_hint)
        self._update_precision_hint()
        return w

    def _catalog_tab(self) -> QWidget:
        registry = self.versions.registry  # the same one (the default, or the test's)
        self.catalog = CatalogPage(self.runner, registry, parent=self)
        self.catalog.job_started.connect(self._show_jobs)
        self.catalog.installed.connect(self._model_installed)
        return self.catalog

    def show_get_models(self, entry_id: str | None = None) -> None:
        """Open the Get models tab, with ``entry_id`` selected when given."""
        self.tabs.setCurrentWidget(self.catalog)
        self.resize(max(self.width(), GET_MODELS_WIDTH), self.height())
        if entry_id:
            self.catalog.select(entry_id)
        self.catalog.view.setFocus()

    def _model_installed(self, model_id: str) -> None:
        """A version came from the catalog or a bundle: list it and choose it."""
        self.versions.refresh()
        self._fill_models(model_id)

    def _fill_models(self, want: str | None = None) -> None:
        """(Re)fill the model choice, keeping ``want`` (default: the current choice)."""
        want = self.model_version.currentData() if want is None else want
        self._version_info = {v.id: v for v in list_versions(self._registry)}
        active = next((v for v in self._version_info.values() if v.active), None)
        box = self.model_version
        box.blockSignals(True)
        box.clear()
        box.addItem(
            f"The active model ({active.name})" if active else "The active model (none installed)",
            "",
        )
        for v in self._version_info.values():
            box.addItem(v.label(), v.id)
        i = box.findData(want or "")
        if i < 0 and want:
            box.addItem(f"{want} (not installed)", want)
            i = box.count() - 1
        box.setCurrentIndex(max(0, i))
        box.blockSignals(False)
        if hasattr(self, "precision_hint"):
            self._update_precision_hint()

    def chosen_version(self) -> VersionInfo | None:
        """The version transcription would use with the dialog's model choice."""
        chosen = self.model_version.currentData() or ""
        if not chosen:
            return next((v for v in self._version_info.values() if v.active), None)
        return self._version_info.get(chosen)

    def _update_precision_hint(self) -> None:
        v = self.chosen_version()
        text, color = "", theme.current().muted
        if v is not None and not v.fast_int8:
            if self.precision.currentData() == "int8":
                color = "#c2410c"
                text = (
                    f"'{v.name}' has no int8 graphs, so transcription would stop with an "
                    "error: upgrade it below or choose another precision."
                )
            elif self.precision.currentData() == "auto":
                text = (
                    f"'{v.name}' has no int8 graphs yet, so it runs in full precision; "
                    "Upgrade below adds them."
                )
        self.precision_hint.setStyleSheet(f"color: {color};")
        self.precision_hint.setText(text)
        self.precision_hint.setVisible(bool(text))

    def _show_jobs(self, _job: object) -> None:
        """Upgrades run in the window's Jobs panel: make sure it is visible."""
        docks = getattr(self.parent(), "docks", None)
        if isinstance(docks, dict) and "jobs" in docks:
            docks["jobs"].show()

    def _shortcuts_tab(self, s: Settings) -> QWidget:
        w = QWidget()
        layout = QVBoxLayout(w)
        self.shortcut_model = ShortcutModel(shortcuts.effective_keys(s.shortcuts), self)
        self.shortcut_model.dataChanged.connect(lambda *_: self._check_conflicts())
        self.shortcut_model.modelReset.connect(self._check_conflicts)
        view = QTableView()
        view.setModel(self.shortcut_model)
        view.setItemDelegateForColumn(1, KeyDelegate(view))
        view.verticalHeader().setVisible(False)
        view.setAlternatingRowColors(True)
        view.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        view.setColumnWidth(1, 150)
        view.setColumnWidth(2, 150)
        self.conflict_label = QLabel("")
        self.conflict_label.setWordWrap(True)
        self.conflict_label.setStyleSheet("color: #c2410c;")
        reset = QPushButton("Restore defaults")
        reset.clicked.connect(self.shortcut_model.reset_defaults)
        layout.addWidget(QLabel("Double-click a key to change it; Backspace clears it."))
        layout.addWidget(view, 1)
        layout.addWidget(self.conflict_label)
        layout.addWidget(reset, 0, Qt.AlignmentFlag.AlignLeft)
        return w

    def _check_conflicts(self) -> None:
        clashes = shortcuts.conflicts(self.shortcut_model.keys)
        if clashes:
            lines = [
                f"{QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText)} is used by "
                + ", ".join(shortcuts.BY_ID[i].text.replace("&", "") for i in ids)
                for k, ids in clashes.items()
            ]
            self.conflict_label.setText("Each key can do only one thing:\n" + "\n".join(lines))
        else:
            self.conflict_label.setText("")
        ok = (
            self.buttons.button(QDialogButtonBox.StandardButton.Ok)
            if hasattr(self, "buttons")
            else None
        )
        if ok is not None:
            ok.setEnabled(not clashes)

    # -- result -------------------------------------------------------------------
    def result_settings(self) -> Settings:
        """A copy of the settings with this dialog's values."""
        return replace(
            self._settings,
            theme=self.theme.currentData(),
            low_confidence=float(self.low_conf.value()),
            low_confidence_fixed=bool(self.low_mode.currentData()),
            auto_advance=self.auto_advance.isChecked(),
            snap_to_silence=self.snap.isChecked(),
            model_version=self.model_version.currentData() or "",
            device=self.device.currentData(),
            precision=self.precision.currentData(),
            decoding_preset=self.preset.currentData(),
            shortcuts=shortcuts.overrides_for(self.shortcut_model.keys),
        )
