"""A bar above the review area telling what opening the project found.

It shows the :class:`~desktop_app.core.project_open.OpenReport` of the open
project: read-only (a read-only medium, a damaged database), jobs marked
interrupted, leftovers removed, another process at work. Read-only projects
get a "Save a copy…" button (the way to an editable copy); the bar can be
dismissed.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop_app.core.project_open import OpenReport


class OpenBanner(QFrame):
    save_copy_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("openBanner")
        self.label = QLabel("")
        self.label.setObjectName("openBannerText")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.save_copy = QPushButton("Save a copy…")
        self.save_copy.setToolTip("Write an editable copy of this project to another folder")
        self.save_copy.clicked.connect(self.save_copy_requested)
        self.dismiss = QPushButton("Dismiss")
        self.dismiss.clicked.connect(self.hide)
        buttons = QVBoxLayout()
        buttons.addWidget(self.save_copy)
        buttons.addWidget(self.dismiss)
        buttons.addStretch(1)
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 8, 8, 8)
        row.addWidget(self.label, 1)
        row.addLayout(buttons)
        self.hide()

    def show_report(self, report: OpenReport | None) -> None:
        """Show what ``report`` says (hidden when it says nothing)."""
        notes = report.notes() if report is not None else []
        if not notes:
            self.label.setText("")
            self.hide()
            return
        self.setProperty("severity", "error" if report.damaged else "warning")
        self.style().unpolish(self)
        self.style().polish(self)
        head, *rest = notes
        html = f"<b>{_escape(head)}</b>" + "".join(f"<br>• {_escape(n)}" for n in rest)
        self.label.setText(html)
        self.save_copy.setVisible(report.read_only)
        self.show()


def above(banner: QWidget, widget: QWidget) -> QWidget:
    """``widget`` with ``banner`` on top of it (the window's central area)."""
    central = QWidget()
    column = QVBoxLayout(central)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(0)
    column.addWidget(banner)
    column.addWidget(widget, 1)
    return central


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
