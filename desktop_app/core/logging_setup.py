"""The application log: full tracebacks go here, short messages go to the user."""

from __future__ import annotations

import logging
import logging.handlers

from desktop_app.core.paths import log_dir


def setup_logging(level: int = logging.INFO) -> None:
    """Log to ``<data dir>/logs/jazba.log`` (rotated); safe to call twice."""
    root = logging.getLogger()
    if any(getattr(h, "_jazba", False) for h in root.handlers):
        return
    root.setLevel(level)
    try:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            folder / "jazba.log", maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        handler = logging.NullHandler()  # a read-only home must not stop the app
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler._jazba = True  # type: ignore[attr-defined]
    root.addHandler(handler)
