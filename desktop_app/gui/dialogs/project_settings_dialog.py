"""Project ▸ Project settings…: settings stored in the project itself (not the
user's), today its language list: the ISO 639 codes (with names) offered for
segment and tier languages and speakers' first languages.

The list is edited in a table (code, name); a known code fills in its name;
OK saves it through :class:`LanguageService`, which refuses a malformed code
(shown under the table, the dialog stays open) and warns, once, of a code that
is not in its ISO 639 table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
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
from desktop_app.core.services.languages import (
    DEFAULT_CODES,
    ISO_639,
    Language,
    LanguageService,
    check_code,
)
from desktop_app.gui.dialogs.project_menu import add_project_action, show_project_dialog
from desktop_app.gui.session import ProjectSession

if TYPE_CHECKING:
    from desktop_app.gui.main_window import MainWindow


class ProjectSettingsDialog(QDialog):
    def __init__(self, session: ProjectSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Project settings — {session.name}")
        self.setObjectName("projectSettingsDialog")
        self.resize(520, 480)
        self.session = session
        self.service = LanguageService(session.project)
        self._warned: list[str] = []
        self.table = QTableWidget(0, 2)
        self.table.setObjectName("languages")
        self.table.setHorizontalHeaderLabels(["Code", "Name"])
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.new_code = QLineEdit()
        self.new_code.setPlaceholderText("ISO 639 code, e.g. uz or uzb (Enter adds it)")
        self.new_code.returnPressed.connect(self.add_code)
        adder = QHBoxLayout()
        adder.addWidget(self.new_code, 1)
        row = QHBoxLayout()
        for text, tip, slot in (
            ("&Add", "Add the language at the end", self.add_code),
            ("&Remove", "Remove the selected language", self.remove_selected),
            ("Move &up", "Move the selected language up", lambda: self.move(-1)),
            ("Move do&wn", "Move the selected language down", lambda: self.move(1)),
            ("Defaults", f"Back to {', '.join(DEFAULT_CODES)}", self.reset_defaults),
        ):
            b = QPushButton(text)
            b.setToolTip(tip)
            b.setAutoDefault(False)
            b.clicked.connect(lambda _c=False, s=slot: s())
            (adder if text == "&Add" else row).addWidget(b)
        row.addStretch(1)
        explain = QLabel(
            "The languages of this project, in the order they are offered: ISO 639-1 or "
            "639-3 codes (kk, kaz, ru…), and 'mixed' for code-switched speech. Used for "
            "segment and tier languages, speakers' first languages and the 'language' "
            "vocabulary. Removing one changes no segment."
        )
        explain.setWordWrap(True)
        box = QGroupBox("&Languages")
        inner = QVBoxLayout(box)
        inner.addWidget(explain)
        inner.addWidget(self.table, 1)
        inner.addLayout(adder)
        inner.addLayout(row)
        self.problem = QLabel()
        self.problem.setObjectName("formProblem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setEnabled(not session.project.read_only)
        layout = QVBoxLayout(self)
        layout.addWidget(box, 1)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.set_languages(self.service.list())
        self.new_code.setFocus()

    # -- the table ---------------------------------------------------------
    def set_languages(self, languages: list[Language]) -> None:
        self.table.setRowCount(0)
        for lang in languages:
            self._append(lang.code, lang.name)

    def _append(self, code: str, name: str) -> None:
        r = self.table.rowCount()
        self.table.insertRow(r)
        self.table.setItem(r, 0, QTableWidgetItem(code))
        self.table.setItem(r, 1, QTableWidgetItem(name))

    def languages(self) -> list[Language]:
        out = []
        for r in range(self.table.rowCount()):
            code = (self.table.item(r, 0).text() if self.table.item(r, 0) else "").strip()
            name = (self.table.item(r, 1).text() if self.table.item(r, 1) else "").strip()
            if code:
                out.append(Language(code, name))
        return out

    def add_code(self, text: str | None = None) -> bool:
        raw = (text if text is not None else self.new_code.text()).strip()
        if not raw:
            return False
        code, _eq, name = raw.partition("=")
        try:
            code, warning = check_code(code)
        except JazbaError as exc:
            self._show(str(exc))
            return False
        if code in [x.code for x in self.languages()]:
            self._show(f"'{code}' is already on the list.")
            return False
        self._append(code, name.strip() or ISO_639.get(code, code))
        self.table.setCurrentCell(self.table.rowCount() - 1, 1 if warning else 0)
        self._show(warning or "")
        self.new_code.clear()
        return True

    def remove_selected(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)
            self.table.setCurrentCell(min(row, self.table.rowCount() - 1), 0)

    def move(self, step: int) -> None:
        row = self.table.currentRow()
        to = row + step
        if row < 0 or not 0 <= to < self.table.rowCount():
            return
        items = [self.table.takeItem(row, c) for c in range(2)]
        self.table.removeRow(row)
        self.table.insertRow(to)
        for c, item in enumerate(items):
            self.table.setItem(to, c, item)
        self.table.setCurrentCell(to, 0)

    def reset_defaults(self) -> None:
        self.set_languages([Language(c, ISO_639[c]) for c in DEFAULT_CODES])

    def _show(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(bool(text))

    # -- saving ------------------------------------------------------------
    def accept(self) -> None:
        langs = self.languages()
        if langs == self.service.list():
            super().accept()
            return
        try:
            warnings = [w for x in langs if (w := check_code(x.code)[1])]
            if warnings and warnings != self._warned:
                self._warned = warnings
                self._show("\n".join(warnings) + "\nPress OK again to keep them.")
                return
            self.service.set_languages(langs)
        except JazbaError as exc:
            self._warned = []
            self._show(str(exc))
            return
        self.session.tiers_changed.emit()  # language choices shown with tiers and segments
        super().accept()


def open_project_settings(window: MainWindow) -> ProjectSettingsDialog | None:
    return show_project_dialog(window, lambda: ProjectSettingsDialog(window.session, window))


def install(window: MainWindow) -> None:
    """Add "Project settings…" to the Project menu."""
    add_project_action(
        window,
        "Project se&ttings…",
        "action_project_settings",
        "Settings stored in the project: its language list",
        lambda: open_project_settings(window),
    )
