"""*Teach words from text…*: the text bootstrap in the Training dialog.

The user picks text files (plain texts, word lists one word a line, a
lexicon), may add the project's own transcripts, chooses how many synthetic
voices read each sentence and how much of each epoch synthetic speech may
take, and presses *Teach*: the Training dialog starts its usual run with the
text added (:class:`desktop_app.services.text_bootstrap.TextBootstrap`).
Works without any approved speech; only real held-out speech is scored.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_app.services.learning_loop import FinetuneRequest
from desktop_app.services.text_bootstrap import BootstrapOptions, TextBootstrap
from desktop_app.services.tts_choice import ESPEAK, TtsOption, tts_options
from desktop_app.tts import espeak

if TYPE_CHECKING:
    from desktop_app.gui.training.training_view import TrainingDialog

INTRO = (
    "Give Jazba text for this project's domain: word lists (names, places, terms; "
    "one a line), earlier transcripts, printed texts. Synthetic voices read it aloud "
    "(listed words in short Kazakh carrier phrases), in several speeds, pitches and "
    "rooms, and the new model learns from those clips alongside your approved speech "
    "(none is needed to start). It is tested on real held-out speech only."
)
NEURAL_HINT = (
    "A neural Kazakh voice (MMS-TTS, licence CC-BY-NC-4.0: non-commercial use only) can "
    "be downloaded from the Get models tab of Settings."
)
NC_WARNING = (
    "{name} is licensed {license}: non-commercial use only. A model trained on its audio "
    "may be used for non-commercial purposes only (its model card says so)."
)


def voice_choices(options: list[TtsOption]) -> list[tuple[str, tuple[str, ...]]]:
    """Combo box items: each synthesiser alone, then espeak-ng mixed with each neural one."""
    items = [(o.label, (o.id,)) for o in options]
    neural = [o for o in options if o.id != ESPEAK]
    items += [(f"espeak-ng and {o.title}, taking turns", (ESPEAK, o.id)) for o in neural]
    return items


class TeachWordsDialog(QDialog):
    """Choose the text and how it is read; :meth:`text` is the result."""

    def __init__(self, project_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("teach_words_dialog")
        self.setWindowTitle(f"Teach words from text — {project_name}")
        self.resize(560, 480)
        layout = QVBoxLayout(self)
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.files = QListWidget()
        self.files.setObjectName("teach_words_files")
        layout.addWidget(QLabel("Text files:"))
        layout.addWidget(self.files, 1)
        row = QHBoxLayout()
        add = QPushButton("Add files…")
        add.clicked.connect(self._add_files)
        remove = QPushButton("Remove")
        remove.clicked.connect(self._remove_selected)
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        layout.addLayout(row)
        self.transcripts = QCheckBox("Also read this project's own transcripts aloud")
        layout.addWidget(self.transcripts)
        form = QFormLayout()
        self.voices = QSpinBox()
        self.voices.setRange(1, 8)
        self.voices.setValue(BootstrapOptions().voices_per_text)
        form.addRow("Voices per sentence:", self.voices)
        self.share = QDoubleSpinBox()
        self.share.setRange(5, 100)
        self.share.setSuffix(" %")
        self.share.setDecimals(0)
        self.share.setValue(70)
        self.share.setToolTip(
            "With approved speech, synthetic clips make at most this much of each epoch "
            "(a different subset each time), while every real clip is in every epoch."
        )
        form.addRow("Synthetic share of each epoch:", self.share)
        self.tts_options = {o.id: o for o in tts_options()}
        self.tts = QComboBox()
        self.tts.setObjectName("teach_words_tts")
        for label, ids in voice_choices(list(self.tts_options.values())):
            self.tts.addItem(label, ids)
        self.tts.setToolTip("The synthesiser that reads the text (espeak-ng is always there)")
        form.addRow("Speech synthesis:", self.tts)
        layout.addLayout(form)
        self.tts_note = QLabel("")
        self.tts_note.setObjectName("teach_words_tts_note")
        self.tts_note.setWordWrap(True)
        layout.addWidget(self.tts_note)
        self.tts.currentIndexChanged.connect(lambda _i: self._update_tts_note())
        self._update_tts_note()
        self.problem = QLabel("" if espeak.available() else "espeak-ng and sox are not installed.")
        self.problem.setStyleSheet("color: #b00020")
        layout.addWidget(self.problem)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.teach_btn = self.buttons.addButton("Teach", QDialogButtonBox.ButtonRole.AcceptRole)
        self.teach_btn.setObjectName("teach_words_start")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._update()

    def add_paths(self, paths: list[str]) -> None:
        known = {self.files.item(i).text() for i in range(self.files.count())}
        for p in paths:
            if p not in known:
                known.add(p)
                self.files.addItem(p)
        self._update()

    def _add_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Text files to learn words from", "", "Text (*.txt *.tsv *.csv);;All files (*)"
        )
        self.add_paths(paths)

    def _remove_selected(self) -> None:
        for item in self.files.selectedItems():
            self.files.takeItem(self.files.row(item))
        self._update()

    def _update(self) -> None:
        has_text = self.files.count() > 0 or self.transcripts.isChecked()
        self.teach_btn.setEnabled(has_text and espeak.available())

    def chosen_tts(self) -> tuple[str, ...]:
        return tuple(self.tts.currentData() or (ESPEAK,))

    def _update_tts_note(self) -> None:
        chosen = [self.tts_options[i] for i in self.chosen_tts() if i in self.tts_options]
        restricted = [o for o in chosen if o.non_commercial]
        if restricted:
            o = restricted[0]
            self.tts_note.setText(NC_WARNING.format(name=o.title, license=o.license))
        elif len(self.tts_options) == 1:
            self.tts_note.setText(NEURAL_HINT)
        else:
            self.tts_note.setText("")

    @property
    def share_fraction(self) -> float:
        return self.share.value() / 100

    def text(self) -> TextBootstrap:
        paths = tuple(self.files.item(i).text() for i in range(self.files.count()))
        return TextBootstrap(
            files=paths,
            project_transcripts=self.transcripts.isChecked(),
            options=BootstrapOptions(voices_per_text=self.voices.value(), tts=self.chosen_tts()),
        )


class TeachWords:
    """The *Teach words from text…* button of a Training dialog and what it starts."""

    def __init__(self, training: TrainingDialog) -> None:
        self.training = training
        self.pending: TextBootstrap | None = None  # set while Teach starts a run
        self.share = 0.7
        self.button = QPushButton("Teach words from text…")
        self.button.setObjectName("training_teach_words")
        self.button.setToolTip("Fine-tune with synthetic speech of your word lists and texts")
        self.button.clicked.connect(self.open)
        self.dialog: TeachWordsDialog | None = None

    def apply(self, request: FinetuneRequest) -> FinetuneRequest:
        """``request`` with the chosen text and share (unchanged for a plain Start)."""
        if self.pending is None:
            return request
        config = replace(request.config, synthetic_share=self.share)
        return replace(request, text=self.pending, config=config)

    def open(self) -> None:
        if self.training.running:
            return
        self.dialog = TeachWordsDialog(self.training.project.name, self.training)
        self.dialog.transcripts.toggled.connect(lambda _on: self.dialog and self.dialog._update())
        self.dialog.accepted.connect(self._teach)
        self.dialog.open()

    def _teach(self) -> None:
        assert self.dialog is not None
        self.pending, self.share = self.dialog.text(), self.dialog.share_fraction
        try:
            self.training.start()
        finally:
            self.pending = None
