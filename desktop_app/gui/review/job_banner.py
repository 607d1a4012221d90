"""A banner over the transcript: what a job is doing to the shown recording.

While a transcription runs on the recording in view, the banner says how far
the new draft has got and that edits are safe, with a Cancel button; when the
job stops it says what was kept, until the person closes it (or for a while).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from desktop_app.gui import theme

NOTE_MS = 20_000  # how long a closing note stays


class JobBanner(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jobBanner")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the job; everything it finished so far is kept")
        self.close_button = QPushButton("Dismiss")
        self.close_button.setToolTip("Hide this note")
        self.close_button.clicked.connect(self.hide)
        for b in (self.cancel_button, self.close_button):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.cancel_button)
        layout.addWidget(self.close_button)
        self._on_cancel: Callable[[], None] | None = None
        self.cancel_button.clicked.connect(self._cancel)
        self._note_timer = QTimer(self)
        self._note_timer.setSingleShot(True)
        self._note_timer.timeout.connect(self.hide)
        self.hide()

    def show_running(self, text: str, on_cancel: Callable[[], None]) -> None:
        """A job is running: ``text`` and a Cancel button."""
        self._note_timer.stop()
        self._on_cancel = on_cancel
        self._style("accent")
        self.label.setText(text)
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        self.close_button.hide()
        self.show()

    def update_text(self, text: str) -> None:
        self.label.setText(text)

    def show_note(self, text: str, *, error: bool = False) -> None:
        """The job ended: a note that stays a while (or until closed)."""
        self._on_cancel = None
        self._style("low_conf_word" if error else "accent")
        self.label.setText(text)
        self.cancel_button.hide()
        self.close_button.show()
        self.show()
        self._note_timer.start(NOTE_MS)

    def _cancel(self) -> None:
        if self._on_cancel is not None:
            self.cancel_button.setEnabled(False)
            self.label.setText(self.label.text() + "  Stopping…")
            self._on_cancel()

    def _style(self, colour: str) -> None:
        c = theme.color(getattr(theme.current(), colour))
        rgb = f"{c.red()},{c.green()},{c.blue()}"
        self.setStyleSheet(
            f"#jobBanner {{ background: rgba({rgb},0.14); border: 1px solid rgba({rgb},0.55);"
            " border-radius: 4px; }"
        )
