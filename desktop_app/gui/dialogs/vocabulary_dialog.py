"""Project ▸ Controlled vocabularies…: the project's closed lists of values
(ELAN's CVs), their entries, and which tier takes its values from which.

Every change is saved at once through :class:`VocabularyService` (there is
nothing to "apply"); a change the service refuses is shown under the lists.
The built-in ``status`` and ``language`` vocabularies are created when the
dialog opens and shown read-only (the language one follows the project's
language list, edited in Project settings).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.errors import JazbaError
from desktop_app.core.services.dto import TierInfo
from desktop_app.core.services.vocabularies import VocabularyInfo, VocabularyService
from desktop_app.gui.dialogs import common as dialogs
from desktop_app.gui.dialogs.project_menu import add_project_action, show_project_dialog
from desktop_app.gui.session import ProjectSession

if TYPE_CHECKING:
    from desktop_app.gui.main_window import MainWindow

ID_ROLE = Qt.ItemDataRole.UserRole
FREE_TEXT = "free text"


class VocabularyDialog(QDialog):
    def __init__(self, session: ProjectSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Controlled vocabularies")
        self.setObjectName("vocabularyDialog")
        self.resize(820, 560)
        self.session = session
        self.service = VocabularyService(session.project)
        self._loading = False
        self.problem = QLabel()
        self.problem.setObjectName("formProblem")
        self.problem.setWordWrap(True)
        self.problem.hide()

        self.cv_list = QListWidget()
        self.cv_list.setObjectName("vocabularies")
        self.cv_list.currentRowChanged.connect(lambda _row: self._show_entries())
        self.new_cv = self._button("&New…", "New vocabulary", self.create)
        self.rename_cv = self._button("Re&name…", "Rename the vocabulary", self.rename)
        self.delete_cv = self._button(
            "&Delete", "Delete the vocabulary (its tiers become free text)", self.delete
        )
        left = QVBoxLayout()
        left.addWidget(QLabel("&Vocabularies:", buddy=self.cv_list))
        left.addWidget(self.cv_list, 1)
        row = QHBoxLayout()
        for b in (self.new_cv, self.rename_cv, self.delete_cv):
            row.addWidget(b)
        left.addLayout(row)

        self.description = QLineEdit()
        self.description.setPlaceholderText("what the values are for")
        self.description.editingFinished.connect(self._save_description)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.entries = QTableWidget(0, 2)
        self.entries.setObjectName("entries")
        self.entries.setHorizontalHeaderLabels(["Value", "Description"])
        self.entries.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.entries.horizontalHeader().resizeSection(0, 180)
        self.entries.verticalHeader().setVisible(False)
        self.entries.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.entries.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.entries.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.entries.itemChanged.connect(self._entry_edited)
        self.new_value = QLineEdit()
        self.new_value.setPlaceholderText("new value (Enter adds it)")
        self.new_value.returnPressed.connect(self.add_entry)
        self.add_button = self._button("&Add", "Add the value at the end", self.add_entry)
        self.remove_button = self._button("&Remove", "Remove the selected value", self.remove_entry)
        self.up_button = self._button(
            "Move &up", "Move the selected value up", lambda: self.move(-1)
        )
        self.down_button = self._button(
            "Move do&wn", "Move the selected value down", lambda: self.move(1)
        )
        right = QVBoxLayout()
        right.addWidget(QLabel("Description:", buddy=self.description))
        right.addWidget(self.description)
        right.addWidget(self.note)
        right.addWidget(QLabel("&Entries (F2 or typing edits a cell):", buddy=self.entries))
        right.addWidget(self.entries, 1)
        adder = QHBoxLayout()
        adder.addWidget(self.new_value, 1)
        for b in (self.add_button, self.remove_button, self.up_button, self.down_button):
            adder.addWidget(b)
        right.addLayout(adder)

        split = QSplitter()
        for layout in (left, right):
            holder = QWidget()
            layout.setContentsMargins(0, 0, 0, 0)
            holder.setLayout(layout)
            split.addWidget(holder)
        split.setSizes([260, 560])

        self.tier_box = QGroupBox("Tiers: where each tier's values come from")
        self.tier_grid = QGridLayout(self.tier_box)
        self.tier_combos: dict[int, QComboBox] = {}

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addWidget(self.tier_box)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)

        if not session.project.read_only:
            self._try(self.service.ensure_builtins)
        self.reload()

    # -- building ----------------------------------------------------------
    def _button(self, text: str, tip: str, slot: Callable[[], object]) -> QPushButton:
        b = QPushButton(text)
        b.setToolTip(tip)
        b.setAutoDefault(False)
        b.clicked.connect(lambda: slot())
        return b

    def _try(self, fn: Callable[[], object]) -> bool:
        try:
            fn()
        except JazbaError as exc:
            self.problem.setText(str(exc))
            self.problem.show()
            return False
        self.problem.hide()
        return True

    def vocabularies(self) -> list[VocabularyInfo]:
        return self._cvs

    def current(self) -> VocabularyInfo | None:
        row = self.cv_list.currentRow()
        return self._cvs[row] if 0 <= row < len(self._cvs) else None

    def reload(self, select_id: int | None = None) -> None:
        """Reload vocabularies and tiers; keep (or move to) the selected one."""
        keep = select_id if select_id is not None else getattr(self.current(), "id", None)
        self._cvs = self.service.list()
        self._loading = True
        self.cv_list.clear()
        for cv in self._cvs:
            label = f"{cv.name}   ({len(cv.entries)})" + ("   · built in" if cv.builtin else "")
            item = QListWidgetItem(label)
            item.setData(ID_ROLE, cv.id)
            item.setToolTip(cv.description)
            self.cv_list.addItem(item)
        self._loading = False
        ids = [cv.id for cv in self._cvs]
        self.cv_list.setCurrentRow(ids.index(keep) if keep in ids else (0 if ids else -1))
        self._show_entries()
        self._fill_tiers()

    def _show_entries(self) -> None:
        if self._loading:
            return
        cv = self.current()
        editable = cv is not None and not cv.read_only and not self.session.project.read_only
        self._loading = True
        self.entries.setRowCount(0)
        for entry in cv.entries if cv else ():
            r = self.entries.rowCount()
            self.entries.insertRow(r)
            for c, text in enumerate((entry.value, entry.description)):
                item = QTableWidgetItem(text)
                item.setData(ID_ROLE, entry.id)
                if not editable:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.entries.setItem(r, c, item)
        self._loading = False
        self.description.setText(cv.description if cv else "")
        self.description.setEnabled(cv is not None and not self.session.project.read_only)
        note = ""
        if cv is not None and cv.name == "status":
            note = "Built in: the review statuses. Its entries cannot be changed."
        elif cv is not None and cv.name == "language":
            note = "Built in: follows the project's language list (Project ▸ Project settings…)."
        if cv is not None and cv.tiers:
            note += (" " if note else "") + f"Used by: {', '.join(cv.tiers)}."
        self.note.setText(note)
        self.note.setVisible(bool(note))
        for w in (self.new_value, self.add_button, self.remove_button):
            w.setEnabled(editable)
        for w in (self.up_button, self.down_button):
            w.setEnabled(editable)
        self.rename_cv.setEnabled(cv is not None and not cv.builtin)
        self.delete_cv.setEnabled(cv is not None)

    def _fill_tiers(self) -> None:
        while self.tier_grid.count():
            w = self.tier_grid.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        self.tier_combos.clear()
        tiers: list[TierInfo] = self.session.tier_list()
        for n, tier in enumerate(tiers):
            combo = QComboBox()
            combo.addItem(FREE_TEXT, None)
            for cv in self._cvs:
                combo.addItem(cv.name, cv.id)
            combo.setCurrentIndex(max(0, combo.findData(tier.cv_id)))
            combo.currentIndexChanged.connect(
                lambda _i, t=tier.id, c=combo: self.attach(t, c.currentData())
            )
            label = QLabel(f"{tier.name}:", buddy=combo)
            self.tier_grid.addWidget(label, n // 2, (n % 2) * 2)
            self.tier_grid.addWidget(combo, n // 2, (n % 2) * 2 + 1)
            self.tier_combos[tier.id] = combo

    # -- vocabularies ------------------------------------------------------
    def create(self, name: str | None = None) -> VocabularyInfo | None:
        name = name or dialogs.ask_text(self, "New vocabulary", "Name:")
        if not name:
            return None
        made: list[VocabularyInfo] = []
        if self._try(lambda: made.append(self.service.create(name))):
            self.reload(made[0].id)
            self.new_value.setFocus()
            return made[0]
        return None

    def rename(self, name: str | None = None) -> None:
        cv = self.current()
        if cv is None:
            return
        name = name or dialogs.ask_text(self, "Rename vocabulary", "New name:", cv.name)
        if name and name != cv.name and self._try(lambda: self.service.rename(cv.id, name)):
            self.reload(cv.id)
            self.session.tiers_changed.emit()

    def delete(self, confirmed: bool = False) -> None:
        cv = self.current()
        if cv is None:
            return
        uses = f" The tiers {', '.join(cv.tiers)} become free text again." if cv.tiers else ""
        if not confirmed and not dialogs.confirm(
            self, f"Delete the vocabulary '{cv.name}'? Annotations keep their text.{uses}"
        ):
            return
        if self._try(lambda: self.service.delete(cv.id)):
            self.reload()
            self.session.tiers_changed.emit()

    def _save_description(self) -> None:
        cv = self.current()
        if cv is None or self.description.text().strip() == cv.description:
            return
        if self._try(lambda: self.service.set_description(cv.id, self.description.text())):
            self.reload(cv.id)

    def attach(self, tier_id: int, cv_id: int | None) -> None:
        if self._try(lambda: self.service.attach(tier_id, cv_id)):
            self._cvs = self.service.list()
            self._show_entries()
            self.session.tiers_changed.emit()

    # -- entries -----------------------------------------------------------
    def _selected_entry(self) -> int | None:
        item = self.entries.item(self.entries.currentRow(), 0)
        return None if item is None else int(item.data(ID_ROLE))

    def add_entry(self) -> None:
        cv = self.current()
        value = self.new_value.text().strip()
        if cv is None or not value:
            return
        if self._try(lambda: self.service.add_entry(cv.id, value)):
            self.new_value.clear()
            self.reload(cv.id)
            self.entries.setCurrentCell(self.entries.rowCount() - 1, 0)
        self.new_value.setFocus()

    def remove_entry(self) -> None:
        cv, entry_id = self.current(), self._selected_entry()
        if cv is None or entry_id is None:
            return
        row = self.entries.currentRow()
        if self._try(lambda: self.service.remove_entry(entry_id)):
            self.reload(cv.id)
            self.entries.setCurrentCell(min(row, self.entries.rowCount() - 1), 0)

    def move(self, step: int) -> None:
        cv, entry_id = self.current(), self._selected_entry()
        if cv is None or entry_id is None:
            return
        row = self.entries.currentRow()
        if self._try(lambda: self.service.move_entry(entry_id, step)):
            self.reload(cv.id)
            self.entries.setCurrentCell(max(0, min(self.entries.rowCount() - 1, row + step)), 0)

    def _entry_edited(self, item: QTableWidgetItem) -> None:
        """A cell was edited in place: save it, then reload once the editor is
        gone (the item belongs to the table being rebuilt)."""
        if self._loading:
            return
        cv = self.current()
        entry_id, text = int(item.data(ID_ROLE)), item.text()
        row, col = item.row(), item.column()
        if col == 0:
            ok = self._try(lambda: self.service.edit_entry(entry_id, value=text))
        else:
            ok = self._try(lambda: self.service.edit_entry(entry_id, description=text))
        if ok:
            self.session.tiers_changed.emit()
        if cv is not None:
            QTimer.singleShot(0, lambda: self._reselect(cv.id, row, col))

    def _reselect(self, cv_id: int, row: int, col: int) -> None:
        self.reload(cv_id)
        self.entries.setCurrentCell(row, col)


def open_vocabularies(window: MainWindow) -> VocabularyDialog | None:
    return show_project_dialog(window, lambda: VocabularyDialog(window.session, window))


def install(window: MainWindow) -> None:
    """Add "Controlled vocabularies…" to the Project menu."""
    add_project_action(
        window,
        "Controlled &vocabularies…",
        "action_vocabularies",
        "Closed lists of values for tiers (ELAN controlled vocabularies)",
        lambda: open_vocabularies(window),
    )
