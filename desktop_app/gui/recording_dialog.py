"""Edit a recording's metadata (title, date, place, languages, consent, notes)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.services.dto import RecordingInfo
from desktop_app.core.services.recordings import RecordingMeta
from desktop_app.gui.segment_table_model import fmt_ms


class RecordingDialog(QDialog):
    def __init__(self, info: RecordingInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Recording — {info.title}")
        self.resize(520, 440)
        self.title = QLineEdit(info.title)
        self.recorded_on = QLineEdit(info.recorded_on or "")
        self.recorded_on.setPlaceholderText("e.g. 2026-07-14")
        self.place = QLineEdit(info.place or "")
        self.languages = QLineEdit(info.languages or "")
        self.languages.setPlaceholderText("language tags, e.g. kk,ru")
        self.consent = QPlainTextEdit(info.consent or "")
        self.notes = QPlainTextEdit(info.notes or "")
        for box in (self.consent, self.notes):
            box.setMaximumHeight(80)
        facts = QLabel(
            f"{info.original_filename} · {fmt_ms(info.duration_ms)} · {info.sample_rate} Hz · "
            f"{info.channels} ch · {info.format}"
        )
        facts.setObjectName("paneTitle")
        form = QFormLayout()
        form.addRow("Title:", self.title)
        form.addRow("Recorded on:", self.recorded_on)
        form.addRow("Place:", self.place)
        form.addRow("Languages:", self.languages)
        form.addRow("Consent:", self.consent)
        form.addRow("Notes:", self.notes)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(facts)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def meta(self) -> RecordingMeta:
        """The edited values ("" clears a field; the title is required by the service)."""
        return RecordingMeta(
            title=self.title.text().strip(),
            recorded_on=self.recorded_on.text().strip(),
            place=self.place.text().strip(),
            languages=self.languages.text().strip(),
            consent=self.consent.toPlainText().strip(),
            notes=self.notes.toPlainText().strip(),
        )
