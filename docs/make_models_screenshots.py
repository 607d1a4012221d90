"""Take the screenshots of issue #15's model screens (a fake registry, no network).

* ``screenshot-get-models.png``: Settings ▸ Get models with the Kazakh Whisper
  base installed and Whisper turbo downloading (progress, Cancel);
* ``screenshot-kk-hint.png``: the main window transcribing Kazakh with the
  default model, and the hint that a Kazakh model is in the catalog.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/make_models_screenshots.py
"""

from __future__ import annotations

import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.screens import no_sound, pump, start_app, throwaway_user_dirs  # noqa: E402

OUT = ROOT / "docs"


def get_models(tmp: Path) -> None:
    from desktop_app.core.settings import Settings
    from desktop_app.gui.dialogs.settings_dialog import SettingsDialog
    from desktop_app.gui.workers import JobRunner
    from tests.fake_catalog import CatalogRegistry, add_version

    registry = CatalogRegistry(tmp / "models", steps=100, delay=0.05)
    add_version(registry, "base-1", "Whisper base", "pypi-default")
    registry.set_active("base-1")
    add_version(registry, "whisper-base-kk-1", "Whisper base, Kazakh (KSC2)")
    registry.catalog_ids["whisper-base-kk-1"] = "whisper-base-kk"
    runner = JobRunner()
    dialog = SettingsDialog(Settings(), runner=runner, registry=registry)
    dialog.show()
    dialog.show_get_models("whisper-turbo-kk-ru")
    pump(0.3)
    job = dialog.catalog.download_selected()
    while job.progress < 0.35:
        pump(0.1)
    pump(0.3)
    dialog.grab().save(str(OUT / "screenshot-get-models.png"))
    print("columns:", [dialog.catalog.view.columnWidth(c) for c in range(8)])
    job.cancel()
    runner.shutdown()
    dialog.reject()


def kk_hint(tmp: Path) -> None:
    from desktop_app.core.demo import build_demo
    from desktop_app.core.settings import Settings
    from desktop_app.gui.app import create_window
    from desktop_app.services import transcription
    from tests.fake_engine import FakeEngine, fake_model

    engine = FakeEngine(delay=0.8)
    registry, engines = fake_model(engine, tmp / "m", "Whisper base", "pypi-default")
    transcription.ModelRegistry = registry  # type: ignore[misc]
    transcription._DEFAULT_CACHE = engines  # type: ignore[attr-defined]
    folder = tmp / "Field trip 2026.jazba"
    build_demo(folder).close()
    window = create_window(folder, Settings(theme="light", auto_advance=False), no_sound)
    window.resize(1400, 860)
    window.show()
    pump(0.8)
    window.recordings.select(2)
    pump(0.3)
    job = window.ops.transcribe_current()
    pump(2.0)
    window.grab().save(str(OUT / "screenshot-kk-hint.png"))
    done = threading.Event()
    job.ended.connect(done.set)
    job.cancel()
    while not done.is_set():
        pump(0.1)
    window.ops.close_project(ask=False)
    window.close()


def main() -> int:
    tmp = Path(tempfile.mkdtemp())
    throwaway_user_dirs(tmp)
    app = start_app()  # noqa: F841 (kept alive for the whole run)
    get_models(tmp)
    kk_hint(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
