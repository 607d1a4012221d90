"""Shown when no project is open: new, open, demo and recent projects."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QSize, QStringListModel, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.gui import theme


class WelcomePage(QWidget):
    new_requested = Signal()
    open_requested = Signal()
    demo_requested = Signal()
    recent_requested = Signal(Path)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("welcome")
        logo = QLabel()
        logo.setPixmap(theme.load_icon("jazba", "#ffffff").pixmap(QSize(72, 72)))
        title = QLabel("Jazba")
        title.setObjectName("welcomeTitle")
        subtitle = QLabel(
            "Transcribe Kazakh speech offline: load recordings, get a draft from the\n"
            "speech model, and correct it on the waveform — from the keyboard."
        )
        subtitle.setObjectName("welcomeSubtitle")
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        for key, icon, text, signal in (
            ("new", "new", "New project…", self.new_requested),
            ("open", "open", "Open project…", self.open_requested),
            ("demo", "waveform", "Open the demo", self.demo_requested),
        ):
            b = QPushButton(text)
            if key != "demo":  # the primary button keeps a white icon
                theme.bind_icon(b, icon)
            b.setIconSize(QSize(20, 20))
            b.setMinimumHeight(38)
            b.clicked.connect(signal)
            row.addWidget(b)
            self.buttons[key] = b
        self.buttons["demo"].setObjectName("primary")
        self.buttons["demo"].setIcon(theme.load_icon("waveform", "#ffffff"))
        self.recent_model = QStringListModel(self)
        self.recent = QListView()
        self.recent.setModel(self.recent_model)
        self.recent.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.recent.activated.connect(
            lambda i: self.recent_requested.emit(Path(self.recent_model.data(i)))
        )
        self.recent.setMaximumHeight(200)
        recent_label = QLabel("Recent projects")
        recent_label.setObjectName("paneTitle")

        box = QVBoxLayout()
        box.addWidget(logo, 0, Qt.AlignmentFlag.AlignLeft)
        box.addWidget(title)
        box.addWidget(subtitle)
        box.addSpacing(18)
        box.addLayout(row)
        box.addSpacing(18)
        box.addWidget(recent_label)
        box.addWidget(self.recent)
        frame = QWidget()
        frame.setMaximumWidth(640)
        frame.setLayout(box)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(frame, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)

    def set_recent(self, paths: Sequence[str]) -> None:
        self.recent_model.setStringList([p for p in paths if Path(p).exists()])
