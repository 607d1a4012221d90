"""The editor for a segment's text: the whole sentence, wrapped, in place.

A :class:`SegmentTextEditor` opens over the transcript cell and grows
downwards to show every line of the text while it is typed (up to
``MAX_LINES``, then it scrolls). A segment's text is one line: Enter (or
Shift+Enter) saves, Esc cancels, pasted line breaks become spaces.
Ctrl+Enter and other shortcuts go to the window (approve and next, …).
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QKeyEvent, QTextCursor, QTextOption
from PySide6.QtWidgets import QFrame, QPlainTextEdit, QWidget

MAX_LINES = 8


class SegmentTextEditor(QPlainTextEdit):
    submitted = Signal()  # Enter: save and close

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTabChangesFocus(True)
        self.document().setDocumentMargin(3)
        self._min_height = 0
        self.textChanged.connect(self.fit_height)
        self.document().setModified(False)  # modified from here on means typed

    # -- the text, one line --------------------------------------------------------
    def text(self) -> str:
        return self.toPlainText()

    def setText(self, text: str) -> None:
        self.setPlainText(text)
        self.moveCursor(QTextCursor.MoveOperation.End)

    def insertFromMimeData(self, source: QMimeData) -> None:
        if source.hasText():
            self.insertPlainText(" ".join(source.text().split()))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
            if mods in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier):
                self.submitted.emit()
                return
            event.ignore()  # Ctrl+Enter & co. belong to the window's shortcuts
            return
        super().keyPressEvent(event)

    # -- size: the whole text, growing downwards ---------------------------------------
    def set_min_height(self, height: int) -> None:
        """The cell's height: the editor is never smaller than the row it covers."""
        self._min_height = height
        self.fit_height()

    def fit_height(self) -> None:
        doc = self.document()
        doc.setTextWidth(self.viewport().width())
        line = self.fontMetrics().lineSpacing()
        wanted = int(doc.size().height()) + 2 * self.frameWidth() + 2
        wanted = min(wanted, MAX_LINES * line + 8)
        height = max(self._min_height, wanted)
        if height != self.height():
            self.resize(self.width(), height)
            self.raise_()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self.fit_height()
