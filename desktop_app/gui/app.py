"""Start the desktop application: ``jazba gui [PROJECT]``."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from types import TracebackType

from PySide6.QtWidgets import QApplication

from desktop_app import __version__
from desktop_app.core.logging_setup import setup_logging
from desktop_app.core.settings import Settings, load_settings
from desktop_app.gui import theme
from desktop_app.gui.dialogs import common as dialogs
from desktop_app.gui.main_window import MainWindow
from desktop_app.gui.qtfix import install_refcount_guard
from desktop_app.gui.review.playback import OutputFactory

log = logging.getLogger(__name__)


def create_app(argv: list[str] | None = None) -> QApplication:
    """The QApplication (reused if one exists), with font and name set."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
    assert isinstance(app, QApplication)
    install_refcount_guard()
    app.setApplicationName("Jazba")
    app.setApplicationDisplayName("Jazba")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("Jazba")
    app.setDesktopFileName("jazba")
    theme.apply_font(app)
    return app


def create_window(
    project_path: Path | None,
    settings: Settings | None = None,
    output_factory: OutputFactory | None = None,
) -> MainWindow:
    """Theme applied, window built, and ``project_path`` (or the most recent
    project that still exists) opened; with neither, the welcome page shows."""
    settings = settings or load_settings()
    theme.manager().apply(settings.theme)
    window = MainWindow(settings, output_factory)
    target = project_path
    if target is None:
        target = next(
            (Path(p) for p in settings.recent_projects if (Path(p) / "project.sqlite").exists()),
            None,
        )
    if target is not None:
        window.ops.open_project(target)
    return window


def _excepthook(window: MainWindow):
    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        log.error("unhandled exception", exc_info=(kind, exc, tb))
        try:
            dialogs.show_error(window, dialogs.user_message(exc))
        except Exception:  # never loop on a broken dialog
            sys.__excepthook__(kind, exc, tb)

    return hook


def run_gui(project_path: Path | None = None) -> int:
    """Run the application until its window closes; returns the exit code."""
    setup_logging()
    app = create_app()
    window = create_window(Path(project_path) if project_path else None)
    sys.excepthook = _excepthook(window)
    window.show()
    try:
        return app.exec()
    finally:
        sys.excepthook = sys.__excepthook__
