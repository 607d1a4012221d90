"""Per-user folders (platformdirs), overridable for tests and portable installs.

``JAZBA_DATA_DIR`` (models, logs) and ``JAZBA_CONFIG_DIR`` (settings) replace
the platform defaults; tests always set both, so they never touch the real
user's files.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "jazba"


def data_dir() -> Path:
    env = os.environ.get("JAZBA_DATA_DIR")
    return Path(env) if env else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    env = os.environ.get("JAZBA_CONFIG_DIR")
    return Path(env) if env else Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def models_dir() -> Path:
    return data_dir() / "models"


def log_dir() -> Path:
    return data_dir() / "logs"
