"""A date field that takes only dates: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``.

Only digits and dashes in that shape can be typed; what is typed is checked
as a calendar date (:func:`desktop_app.core.dates.date_problem`) and the
problem is shown under the field, in red: at once for a whole date that does
not exist (``2026-02-30``), when editing ends for one left half-typed
(``2026-0``). Forms ask :meth:`DateField.is_valid` before saving.
"""

from __future__ import annotations

from PySide6.QtCore import QRegularExpression, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QLabel, QLineEdit, QSizePolicy, QVBoxLayout, QWidget

from desktop_app.core.dates import DATE_FORMS, date_problem
from desktop_app.gui import theme

#: What can be typed on the way to a date (the check says whether it is one).
TYPING = QRegularExpression(r"\d{0,4}(-\d{0,2}(-\d{0,2})?)?")
#: Typed in full (each part has all its digits): judged while typing.
COMPLETE = QRegularExpression(r"^\d{4}(-\d{2}(-\d{2})?)?$")


class DateField(QWidget):
    """A line edit (``edit``) and its inline problem (``problem``)."""

    changed = Signal()  # the text changed
    finished = Signal()  # editing finished (Enter, focus left)

    def __init__(
        self, text: str = "", parent: QWidget | None = None, *, if_invalid: str = ""
    ) -> None:
        """``if_invalid`` follows the problem (what happens to an invalid date)."""
        super().__init__(parent)
        self.if_invalid = if_invalid
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(f"{DATE_FORMS}, e.g. 2026-07-14")
        self.edit.setToolTip(
            f"The date as {DATE_FORMS}: only the year, the year and month, or the full date"
        )
        self.edit.setValidator(QRegularExpressionValidator(TYPING, self.edit))
        self.problem = QLabel("")
        self.problem.setObjectName("dateProblem")
        self.problem.setWordWrap(True)
        self.problem.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit)
        layout.addWidget(self.problem)
        layout.addStretch(1)
        # as tall as its lines: a form gives spare height to fields that may grow
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.edit.textChanged.connect(lambda _t: self._check(typing=True))
        self.edit.editingFinished.connect(self._finished)
        self.edit.setText(text)  # may be an old, invalid value: shown with its problem
        self._check()

    def text(self) -> str:
        return self.edit.text().strip()

    def setText(self, text: str) -> None:
        self.edit.setText(text)

    def problem_text(self) -> str | None:
        return date_problem(self.text())

    def is_valid(self) -> bool:
        return self.problem_text() is None

    def _finished(self) -> None:
        self._check()
        self.finished.emit()

    def _check(self, typing: bool = False) -> None:
        problem = self.problem_text()
        if typing and problem is not None and not COMPLETE.match(self.text()).hasMatch():
            problem = None  # half-typed: judged when editing ends
        self.problem.setText(f"{problem} {self.if_invalid}".strip() if problem else "")
        self.problem.setVisible(problem is not None)
        colour = theme.current().error
        self.problem.setStyleSheet(f"color: {colour};")
        self.edit.setStyleSheet(f"QLineEdit {{ border: 1px solid {colour}; }}" if problem else "")
        self.changed.emit()
