"""The Record dialog's "Session" box: title, speakers, date, place, languages,
consent and notes of a recording, read as one :class:`SessionMeta`."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from desktop_app.core.capture import SessionMeta
from desktop_app.core.errors import JazbaError
from desktop_app.core.services.speakers import SpeakerService
from desktop_app.gui.dialogs import common as dialogs
from desktop_app.gui.dialogs.date_field import DateField

CONSENT_WAYS = (
    "oral, recorded at the start",
    "oral, not recorded",
    "written form signed",
    "other (see details)",
)


class SessionMetaBox(QGroupBox):
    """Who, where and with what consent; ``changed`` fires on every edit."""

    changed = Signal()

    def __init__(self, speakers: SpeakerService, parent: QWidget | None = None) -> None:
        super().__init__("Session", parent)
        self.speakers = speakers
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText("default: Recording <date time>")
        self.speaker_list = QListWidget()
        self.speaker_list.setMaximumHeight(110)
        self.refresh_speakers()
        add_speaker = QPushButton("New speaker…")
        add_speaker.clicked.connect(self.new_speaker)
        self.date_edit = DateField(
            date.today().isoformat(), if_invalid="The day the recording starts is kept instead."
        )
        self.place_edit = QLineEdit()
        self.place_edit.setPlaceholderText("village, district, region")
        self.languages_edit = QLineEdit("kk")
        self.languages_edit.setPlaceholderText("language tags, e.g. kk,ru")
        self.consent_check = QCheckBox("Consent given")
        self.consent_how = QComboBox()
        self.consent_how.addItems(CONSENT_WAYS)
        self.consent_details = QLineEdit()
        self.consent_details.setPlaceholderText("details (who, for what use)")
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setMaximumHeight(70)
        form = QFormLayout()
        form.addRow("Title:", self.title_edit)
        form.addRow("Speakers:", self.speaker_list)
        form.addRow("", add_speaker)
        form.addRow("Date:", self.date_edit)
        form.addRow("Place:", self.place_edit)
        form.addRow("Languages:", self.languages_edit)
        form.addRow("Consent:", self.consent_check)
        form.addRow("How:", self.consent_how)
        form.addRow("", self.consent_details)
        form.addRow("Notes:", self.notes_edit)
        self.date_edit.finished.connect(self._emit_changed)
        for edit in (
            self.title_edit,
            self.place_edit,
            self.languages_edit,
            self.consent_details,
        ):
            edit.editingFinished.connect(self._emit_changed)
        self.consent_check.toggled.connect(self._emit_changed)
        self.consent_how.currentIndexChanged.connect(self._emit_changed)
        self.speaker_list.itemChanged.connect(self._emit_changed)
        self.setLayout(form)

    def refresh_speakers(self, checked: set[int] | None = None) -> None:
        """Re-read the project's speakers; ``checked`` ids come back ticked."""
        checked = checked or set()
        self.speaker_list.blockSignals(True)
        self.speaker_list.clear()
        for sp in self.speakers.list():
            item = QListWidgetItem(sp.name)
            item.setData(Qt.ItemDataRole.UserRole, sp.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(
                Qt.CheckState.Checked if sp.id in checked else Qt.CheckState.Unchecked
            )
            self.speaker_list.addItem(item)
        self.speaker_list.blockSignals(False)

    def _emit_changed(self, *_args: object) -> None:
        self.changed.emit()

    def speaker_ids(self) -> tuple[int, ...]:
        out = []
        for i in range(self.speaker_list.count()):
            item = self.speaker_list.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(int(item.data(Qt.ItemDataRole.UserRole)))
        return tuple(out)

    def check_speaker(self, name: str, on: bool = True) -> None:
        for i in range(self.speaker_list.count()):
            item = self.speaker_list.item(i)
            if item.text() == name:
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def consent(self) -> str | None:
        details = self.consent_details.text().strip()
        if self.consent_check.isChecked():
            text = f"given — {self.consent_how.currentText()}"
            return f"{text}; {details}" if details else text
        return f"not given; {details}" if details else None

    def meta(self) -> SessionMeta:
        def text(edit: QLineEdit) -> str | None:
            return edit.text().strip() or None

        return SessionMeta(
            title=text(self.title_edit),
            recorded_on=self.date_edit.text() if self.date_edit.is_valid() else None,
            place=text(self.place_edit),
            languages=text(self.languages_edit),
            consent=self.consent(),
            notes=self.notes_edit.toPlainText().strip() or None,
            speaker_ids=self.speaker_ids(),
        )

    def new_speaker(self) -> None:
        name = dialogs.ask_text(self, "New speaker", "Name of the speaker:")
        if not name:
            return
        try:
            sp = self.speakers.create(name)
        except JazbaError as exc:
            dialogs.show_error(self, str(exc))
            return
        self.refresh_speakers({*self.speaker_ids(), sp.id})
        self.changed.emit()
