"""*Word list…*: the names and terms transcription leans towards (no training needed).

One word or phrase per line, an optional weight after a semicolon
(``Жамбыл;2``). The list is the project's (``project_meta``, see
:mod:`desktop_app.core.services.bias_words`); every later transcription of
the project uses it: Whisper gets the words as a prompt and a capped bonus
for their tokens, a CTC model a bonus in its beam search.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.errors import JazbaError
from desktop_app.core.project import Project
from desktop_app.core.services.bias_words import (
    BiasWord,
    load_words,
    normalise,
    parse_word_file,
    parse_word_text,
    save_words,
    uses_prompt,
)
from desktop_app.gui.actions import insert_after
from desktop_app.gui.dialogs import common

if TYPE_CHECKING:
    from desktop_app.gui.main_window import MainWindow

ACTION_TEXT = "&Word list…"
HELP = (
    "Names and terms the model should lean towards when it transcribes this project, "
    "one per line. Add ';2' after a word to weigh it more (up to 10). No training is "
    "needed: once the model begins a word the way a listed one begins, its spelling "
    "gets a small, capped bonus, so words not on the list are left as they were."
)
PROMPT_TEXT = "Also give the words to Whisper as context (its prompt)"
PROMPT_TIP = (
    "Finds more of the listed words, but in our Kazakh tests the model then also wrote "
    "listed words where none was said, and other words got worse."
)


def words_to_text(words: list[BiasWord]) -> str:
    return "".join(b.word + ("\n" if b.weight == 1.0 else f";{b.weight:g}\n") for b in words)


class WordListDialog(QDialog):
    """Edits a word list as text; :meth:`words` is what would be saved."""

    def __init__(
        self, words: list[BiasWord], parent: QWidget | None = None, prompt: bool = False
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Word list for transcription")
        self.setObjectName("word_list_dialog")
        self.resize(460, 520)
        layout = QVBoxLayout(self)
        intro = QLabel(HELP)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.editor = QPlainTextEdit(words_to_text(words))
        self.editor.setObjectName("word_list_text")
        self.editor.setPlaceholderText("Алматы\nЖамбыл;2\nБайқоңыр ғарыш айлағы")
        layout.addWidget(self.editor, 1)
        self.count = QLabel()
        layout.addWidget(self.count)
        self.prompt_box = QCheckBox(PROMPT_TEXT)
        self.prompt_box.setObjectName("word_list_prompt")
        self.prompt_box.setToolTip(PROMPT_TIP)
        self.prompt_box.setChecked(prompt)
        layout.addWidget(self.prompt_box)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.import_button = QPushButton("&Import from file…")
        buttons.addButton(self.import_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        layout.addWidget(buttons)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.import_button.clicked.connect(self._import)
        self.editor.textChanged.connect(self._update_count)
        self._update_count()

    def words(self) -> list[BiasWord]:
        """The words as typed (cleaned); raises :class:`JazbaError` on a bad weight."""
        return normalise(parse_word_text(self.editor.toPlainText()))

    def _update_count(self) -> None:
        try:
            n = len(self.words())
        except JazbaError as exc:
            self.count.setText(exc.message)
            self.save_button.setEnabled(False)
            return
        self.save_button.setEnabled(True)
        self.count.setText("The list is empty." if n == 0 else f"{n} word(s)")

    def add_file(self, path: Path) -> None:
        """Append the words of a word file (one per line) to the text."""
        added = parse_word_file(path)
        text = self.editor.toPlainText()
        if text and not text.endswith("\n"):
            text += "\n"
        self.editor.setPlainText(text + words_to_text(added))

    def _import(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Import words", "", "Word lists (*.txt *.csv *.tsv);;All files (*)"
        )
        if name:
            try:
                self.add_file(Path(name))
            except JazbaError as exc:
                common.show_error(self, common.user_message(exc))


def edit_word_list(parent: QWidget | None, project: Project) -> list[BiasWord] | None:
    """Show the dialog for ``project``; the saved list, or ``None`` when cancelled."""
    dialog = WordListDialog(load_words(project), parent, prompt=uses_prompt(project))
    while dialog.exec() == QDialog.DialogCode.Accepted:
        try:
            return save_words(project, dialog.words(), prompt=dialog.prompt_box.isChecked())
        except JazbaError as exc:
            common.show_error(dialog, common.user_message(exc))
    return None


def install(window: MainWindow) -> QAction:
    """Add *Word list…* after *Transcribe* in its menu."""
    action = QAction(ACTION_TEXT, window)
    action.setObjectName("action_word_list")
    action.setStatusTip("Names and terms transcription should recognise (no training needed)")

    def run() -> None:
        if window.session is not None:
            saved = edit_word_list(window, window.session.project)
            if saved is not None:
                window.statusBar().showMessage(
                    f"Word list saved: {len(saved)} word(s); used by the next transcription", 5000
                )

    action.triggered.connect(run)
    menu = insert_after(window.menuBar(), window.actions.get("transcribe"), action)
    if menu is None:
        window.addAction(action)
    else:
        menu.aboutToShow.connect(lambda: action.setEnabled(window.session is not None))
    action.setEnabled(window.session is not None)
    return action
