"""Edit a recording's metadata (title, date, place, languages, speakers,
consent, notes)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.services.dto import RecordingInfo, SpeakerInfo
from desktop_app.core.services.recordings import RecordingMeta
from desktop_app.gui.dialogs.date_field import DateField
from desktop_app.gui.review.segment_table_model import fmt_ms


class RecordingDialog(QDialog):
    """``speakers``: the project's speakers to tick (``None``: the speakers
    are not shown and stay as they are)."""

    def __init__(
        self,
        info: RecordingInfo,
        parent: QWidget | None = None,
        speakers: Sequence[SpeakerInfo] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Recording — {info.title}")
        self.resize(520, 560 if speakers is not None else 440)
        self._info = info
        self.speakers: QListWidget | None = None
        self.title = QLineEdit(info.title)
        self.recorded_on = DateField(info.recorded_on or "")
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
        if speakers is not None:
            form.addRow("Speakers:", self._speaker_list(info, speakers))
        form.addRow("Consent:", self.consent)
        form.addRow("Notes:", self.notes)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.recorded_on.changed.connect(self._sync_ok)
        self._sync_ok()
        layout = QVBoxLayout(self)
        layout.addWidget(facts)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def _sync_ok(self) -> None:
        self.ok_button.setEnabled(self.recorded_on.is_valid())
        self.ok_button.setToolTip("" if self.recorded_on.is_valid() else "Correct the date first")

    def accept(self) -> None:
        """Save only with a valid date (the problem is shown under the field)."""
        if not self.recorded_on.is_valid():
            self.recorded_on.edit.setFocus()
            return
        super().accept()

    def _speaker_list(self, info: RecordingInfo, speakers: Sequence[SpeakerInfo]) -> QWidget:
        if not speakers:
            hint = QLabel("No speakers in this project yet (add them in the Speakers panel).")
            hint.setWordWrap(True)
            return hint
        box = QListWidget()
        box.setToolTip("Tick who speaks in this recording (Space ticks the selected one).")
        box.setMaximumHeight(120)
        chosen = {sp.id for sp in info.speakers}
        for sp in speakers:
            item = QListWidgetItem(sp.name)
            item.setData(Qt.ItemDataRole.UserRole, sp.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(
                Qt.CheckState.Checked if sp.id in chosen else Qt.CheckState.Unchecked
            )
            box.addItem(item)
        self.speakers = box
        return box

    def speaker_ids(self) -> tuple[int, ...] | None:
        """The ticked speakers: those already on the recording keep their order,
        new ones follow in list order. ``None`` when the list is not shown."""
        if self.speakers is None:
            return None
        ticked = [
            int(item.data(Qt.ItemDataRole.UserRole))
            for i in range(self.speakers.count())
            if (item := self.speakers.item(i)).checkState() == Qt.CheckState.Checked
        ]
        before = [sp.id for sp in self._info.speakers if sp.id in ticked]
        return tuple(before + [sid for sid in ticked if sid not in before])

    def meta(self) -> RecordingMeta:
        """The edited values ("" clears a field; the title is required by the service)."""
        return RecordingMeta(
            title=self.title.text().strip(),
            recorded_on=self.recorded_on.text().strip(),
            place=self.place.text().strip(),
            languages=self.languages.text().strip(),
            consent=self.consent.toPlainText().strip(),
            notes=self.notes.toPlainText().strip(),
            speaker_ids=self.speaker_ids(),
        )
