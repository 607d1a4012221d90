"""What the window does once a project is shown: the work of an earlier run that
a crash or a kill interrupted, and what can be prepared in the background."""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktop_app.gui import recovery
from desktop_app.gui.capture import capture_hook
from desktop_app.gui.session import ProjectSession

if TYPE_CHECKING:
    from desktop_app.gui.main_window import MainWindow


def after_open(window: MainWindow, session: ProjectSession) -> None:
    capture_hook.recover_on_open(window, session)  # recordings a crash left unfinished
    recovery.offer_drafts_later(window, session)  # text typed when Jazba was killed
    capture_hook.show_record_availability(window)  # greyed out without a microphone
    preload_model(window)


def preload_model(window: MainWindow) -> None:
    """Load the speech model in the background now, once per app session."""
    try:
        from desktop_app.gui.transcription_hook import preload
    except ImportError:  # no ASR runtime in this installation
        return
    preload(window)
