"""A speaker's participant details: name, gender, age band, year of birth,
dialect, region, first languages and notes.

Keyboard first: every field is reached with Tab (the notes box passes Tab on),
the first languages are ticked with Space, Enter saves and Esc cancels. The
dialog saves through the ``save`` callable it is given (the speakers service);
a value the service refuses is shown under the form and the dialog stays
open, and warnings (a first language not on the project's list) are shown
once before saving anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.errors import JazbaError
from desktop_app.core.services.dto import SpeakerInfo
from desktop_app.core.services.languages import Language, split_codes
from desktop_app.core.services.participants import AGE_BANDS, GENDERS, MIN_BIRTH_YEAR

CheckFn = Callable[[dict[str, Any]], list[str]]
"""Checks the fields; returns warnings, raises ``JazbaError`` for a refused value."""
SaveFn = Callable[[dict[str, Any]], object]
NO_YEAR = MIN_BIRTH_YEAR - 1  # the spin box's "unknown" value


def _combo(values: Sequence[str], current: str | None, placeholder: str) -> QComboBox:
    box = QComboBox()
    box.setEditable(True)
    box.addItems(["", *values])
    box.setCurrentText(current or "")
    box.lineEdit().setPlaceholderText(placeholder)
    box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    return box


class ParticipantDialog(QDialog):
    def __init__(
        self,
        info: SpeakerInfo,
        languages: Sequence[Language],
        check: CheckFn,
        save: SaveFn,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Participant — {info.name}")
        self.setObjectName("participantDialog")
        self.resize(460, 560)
        self._info, self._check, self._save = info, check, save
        self._warned: list[str] = []
        self.name = QLineEdit(info.name)
        self.gender = _combo(GENDERS, info.gender, "female, male, other or your own word")
        self.age_band = _combo(AGE_BANDS, info.age_band, "e.g. 30-39")
        self.birth_year = QSpinBox()
        self.birth_year.setRange(NO_YEAR, date.today().year)
        self.birth_year.setSpecialValueText("unknown")
        self.birth_year.setValue(info.birth_year or NO_YEAR)
        self.birth_year.setToolTip("Type the year; the lowest value means unknown.")
        self.dialect = QLineEdit(info.dialect or "")
        self.dialect.setPlaceholderText("e.g. оңтүстік (southern)")
        self.region = QLineEdit(info.region or "")
        self.region.setPlaceholderText("where the speaker grew up")
        self.l1 = QListWidget()
        self.l1.setObjectName("firstLanguages")
        self.l1.setToolTip("Tick the speaker's first language(s) (Space ticks the selected one).")
        self.l1.setMaximumHeight(8 + 20 * min(6, max(3, len(languages))))
        chosen = split_codes(info.l1)
        for lang in languages:
            item = QListWidgetItem(f"{lang.name} ({lang.code})")
            item.setData(Qt.ItemDataRole.UserRole, lang.code)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(
                Qt.CheckState.Checked if lang.code in chosen else Qt.CheckState.Unchecked
            )
            self.l1.addItem(item)
        listed = {x.code for x in languages}
        self.l1_other = QLineEdit(",".join(c for c in chosen if c not in listed))
        self.l1_other.setPlaceholderText("other ISO 639 codes, comma separated")
        self.notes = QPlainTextEdit(info.notes or "")
        self.notes.setTabChangesFocus(True)
        self.notes.setMaximumHeight(90)
        self.problem = QLabel()
        self.problem.setObjectName("formProblem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        form = QFormLayout()
        form.addRow("&Name:", self.name)
        form.addRow("&Gender:", self.gender)
        form.addRow("&Age band:", self.age_band)
        form.addRow("&Year of birth:", self.birth_year)
        form.addRow("&Dialect:", self.dialect)
        form.addRow("&Region:", self.region)
        form.addRow("&First language(s):", self.l1)
        form.addRow("", self.l1_other)
        form.addRow("N&otes:", self.notes)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.name.setFocus()

    def first_languages(self) -> str:
        """Ticked codes in list order, then the other codes typed."""
        ticked = [
            str(item.data(Qt.ItemDataRole.UserRole))
            for i in range(self.l1.count())
            if (item := self.l1.item(i)).checkState() == Qt.CheckState.Checked
        ]
        return ",".join([*ticked, *split_codes(self.l1_other.text())])

    def values(self) -> dict[str, Any]:
        """Every field as typed ("" or None clears one); the service normalises them."""
        year = self.birth_year.value()
        return {
            "name": self.name.text().strip(),
            "gender": self.gender.currentText().strip(),
            "age_band": self.age_band.currentText().strip(),
            "birth_year": None if year == NO_YEAR else year,
            "dialect": self.dialect.text().strip(),
            "region": self.region.text().strip(),
            "l1": self.first_languages(),
            "notes": self.notes.toPlainText().strip(),
        }

    def changed_values(self) -> dict[str, Any]:
        """The fields that differ from the speaker's current ones."""
        out = {}
        for key, value in self.values().items():
            before = getattr(self._info, key)
            if (value or None) != (before or None):
                out[key] = value
        return out

    def _show(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(bool(text))

    def accept(self) -> None:
        """Check, warn once, then save; stay open on a refused value."""
        fields = self.changed_values()
        if not fields:
            super().accept()
            return
        try:
            warnings = self._check(fields)
            if warnings and warnings != self._warned:
                self._warned = warnings
                self._show("\n".join(warnings) + "\nPress OK again to save anyway.")
                return
            self._save(fields)
        except JazbaError as exc:
            self._warned = []
            self._show(str(exc))
            return
        super().accept()
