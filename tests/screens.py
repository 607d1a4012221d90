"""Shared by the scripts that take screenshots of the real app (under Xvfb).

from tests.screens import no_sound, pump, start_app
app = start_app()          # the app's own QApplication, light theme
pump(0.5)                  # let it lay out and paint
window = create_window(path, Settings(), no_sound)
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def throwaway_user_dirs(tmp: Path) -> None:
    """Never the real user's settings and models (unless the caller chose some)."""
    os.environ.setdefault("JAZBA_DATA_DIR", str(tmp / "data"))
    os.environ.setdefault("JAZBA_CONFIG_DIR", str(tmp / "config"))


def start_app(theme_name: str = "light"):
    from desktop_app.gui import theme
    from desktop_app.gui.app import create_app

    app = create_app()
    theme.manager().apply(theme_name)
    return app


def pump(seconds: float) -> None:
    """Run the event loop for ``seconds`` (layouts, paints, queued signals)."""
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 30)


def no_sound(rate: int):
    """An audio output factory that refuses: screenshots play nothing."""
    from desktop_app.gui.review.playback import PlaybackError

    raise PlaybackError("no sound while taking screenshots")


def screen_session() -> tuple[Path, object]:
    """A throwaway folder (with throwaway user dirs) and the app, light theme; keep
    the app referenced for the whole run."""
    import tempfile

    tmp = Path(tempfile.mkdtemp())
    throwaway_user_dirs(tmp)
    return tmp, start_app()


def open_window(folder: Path, size: tuple[int, int] = (1400, 860), recording_id: int | None = None):
    """The main window on the project ``folder`` (light theme, no sound), shown
    and laid out; with ``recording_id`` that recording selected."""
    from desktop_app.core.settings import Settings
    from desktop_app.gui.app import create_window

    window = create_window(folder, Settings(theme="light", auto_advance=False), no_sound)
    window.resize(*size)
    window.show()
    pump(0.8)
    if recording_id is not None:
        window.recordings.select(recording_id)
        pump(0.5)
    return window
