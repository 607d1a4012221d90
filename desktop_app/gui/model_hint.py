"""A hint over the transcript: the default model drafts Kazakh poorly, a Kazakh one exists.

When a transcription starts in Kazakh (the request's language, or a decoding
preset named for it such as ``kk-ru``) with the untuned default model (a
version whose source is ``pypi-default``) and the catalog has a Kazakh model
(:func:`~desktop_app.asr.catalog.choose_for`), a bar under the job banner says
so, once per session: *Get it* opens Settings ▸ Get models with that entry
selected, *Not now* hides it, *Don't show again* hides it for good
(``Settings.kk_model_hint_dismissed``, saved at once). The bar never blocks:
the transcription has already started when it shows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from desktop_app.asr.catalog import CatalogEntry, choose_for
from desktop_app.asr.manifest import ModelSource
from desktop_app.core.errors import JazbaError
from desktop_app.core.settings import Settings, save_settings
from desktop_app.gui import theme

if TYPE_CHECKING:
    from desktop_app.gui.main_window import MainWindow

log = logging.getLogger(__name__)

KAZAKH = "kk"


@dataclass(frozen=True)
class ModelHint:
    """What the bar says: the model in use and the catalog entry it suggests."""

    model_name: str
    entry: CatalogEntry

    def text(self) -> str:
        return (
            f"{self.model_name} drafts Kazakh poorly. A Kazakh model ({self.entry.name}, "
            f"{self.entry.size_text()}) is in the catalog."
        )


def wants_kazakh(language: str | None, preset: str) -> bool:
    """Kazakh is asked for: as the language, or by a preset named for it (``kk-ru``)."""
    return language == KAZAKH or KAZAKH in preset.lower().split("-")


def hint_for(settings: Settings) -> ModelHint | None:
    """The hint a transcription with ``settings`` deserves now, or None."""
    if settings.kk_model_hint_dismissed:
        return None
    try:
        from desktop_app.gui.transcription_hook import request_for
        from desktop_app.services import transcription
    except ImportError:  # no ASR runtime: no transcription, no hint
        return None
    request = request_for(0, settings)
    if not wants_kazakh(request.language, request.preset):
        return None
    try:
        manifest = transcription.resolve_model(transcription.ModelRegistry(), request.model_id)
    except (JazbaError, OSError) as exc:  # the job reports it
        log.debug("no model hint: %s", exc)
        return None
    if manifest.source != ModelSource.PYPI_DEFAULT:
        return None
    entry = choose_for(KAZAKH)
    return ModelHint(manifest.name, entry) if entry is not None else None


class ModelHintBar(QFrame):
    get_requested = Signal(str)  # catalog entry id
    dismissed = Signal()  # "Don't show again"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelHint")
        self.entry_id = ""
        self.label = QLabel("")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.get_button = QPushButton("Get it")
        self.get_button.setToolTip(
            "Open Project ▸ Settings… ▸ Get models, with this model selected"
        )
        self.get_button.clicked.connect(self._get)
        self.later_button = QPushButton("Not now")
        self.later_button.setToolTip("Hide this until Jazba starts again")
        self.later_button.clicked.connect(self.hide)
        self.never_button = QPushButton("Don't show again")
        self.never_button.clicked.connect(self._never)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        for b in (self.get_button, self.later_button, self.never_button):
            layout.addWidget(b)
        self.hide()

    def show_hint(self, hint: ModelHint) -> None:
        self.entry_id = hint.entry.id
        self.label.setText(hint.text())
        c = theme.color(theme.current().accent)
        rgb = f"{c.red()},{c.green()},{c.blue()}"
        self.setStyleSheet(
            f"#modelHint {{ background: rgba({rgb},0.08); border: 1px dashed rgba({rgb},0.6);"
            " border-radius: 4px; }"
        )
        self.show()

    def _get(self) -> None:
        self.hide()
        self.get_requested.emit(self.entry_id)

    def _never(self) -> None:
        self.hide()
        self.dismissed.emit()


class KazakhModelHint:
    """The window's hint: shown at most once per session, never after "Don't show again"."""

    def __init__(self, window: MainWindow) -> None:
        self.w = window
        self.shown = False
        self.bar = ModelHintBar()
        layout = window.transcript.layout()
        layout.insertWidget(layout.indexOf(window.transcript.banner) + 1, self.bar)
        self.bar.get_requested.connect(self.open_get_models)
        self.bar.dismissed.connect(self.dismiss)

    def maybe_show(self) -> bool:
        """Show the hint if a transcription with the window's settings deserves it."""
        if self.shown:
            return False
        hint = hint_for(self.w.settings)
        if hint is None:
            return False
        self.shown = True
        self.bar.show_hint(hint)
        return True

    def dismiss(self) -> None:
        self.w.settings.kk_model_hint_dismissed = True
        save_settings(self.w.settings)

    def open_get_models(self, entry_id: str) -> None:
        from desktop_app.gui.dialogs.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.w.settings, self.w)
        dialog.show_get_models(entry_id)
        if dialog.exec():
            self.w.apply_settings(dialog.result_settings())
