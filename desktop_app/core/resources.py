"""Where Jazba's bundled resources (demo audio, icons, styles) live."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def resources_dir() -> Path:
    """``resources/`` of the source tree, or of a PyInstaller bundle.

    ``JAZBA_RESOURCES`` overrides both (packagers, tests).
    """
    env = os.environ.get("JAZBA_RESOURCES")
    if env:
        return Path(env)
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def demo_dir() -> Path:
    return resources_dir() / "demo"
