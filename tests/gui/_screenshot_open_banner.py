"""Take ``docs/screenshot-readonly.png`` (the read-only banner) and
``docs/screenshot-save-copy.png`` (Project ▸ Save a copy… after a copy).

The demo project is built in a temporary folder, made read-only with ``chmod``
and opened as a read-only medium would be (the writability probe answers as a
read-only file system does, since root may write anywhere).

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python tests/gui/_screenshot_open_banner.py
"""

from __future__ import annotations

import stat
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.screens import no_sound, pump, throwaway_user_dirs  # noqa: E402


def main() -> int:
    tmp = Path(tempfile.mkdtemp())
    throwaway_user_dirs(tmp)

    from desktop_app.core import project_open
    from desktop_app.core.demo import build_demo
    from desktop_app.core.settings import Settings
    from desktop_app.gui.app import create_app, create_window
    from desktop_app.gui.dialogs.save_copy_dialog import open_save_copy

    app = create_app()  # noqa: F841 (kept alive for the whole run)

    folder = tmp / "medium" / "Field trip 2026.jazba"
    build_demo(folder).close()
    inside = {folder, *folder.rglob("*")}
    for p in inside:
        p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    real = project_open.writable
    project_open.writable = lambda p: p not in inside and real(p)

    window = create_window(folder, Settings(theme="light", auto_advance=False), no_sound)
    window.resize(1440, 900)
    window.show()
    pump(0.8)
    reference = next(t.id for t in window.session.tier_list() if t.name == "reference")
    window.review.set_tier(reference)
    window.refresh_tiers()
    pump(0.3)
    window.transcript.select_row(0)
    window.actions["lang_ru"].trigger()  # an edit, refused: the status bar says why
    pump(0.5)
    out = ROOT / "docs" / "screenshot-readonly.png"
    window.grab().save(str(out))
    print(f"saved {out}")

    dialog = open_save_copy(window)
    dialog.dest.setText(str(tmp / "Field trip 2026 copy.jazba"))
    dialog.run_button.click()
    while dialog.result is None:
        pump(0.1)
    pump(0.3)
    out = ROOT / "docs" / "screenshot-save-copy.png"
    dialog.grab().save(str(out))
    print(f"saved {out}: {dialog.status.text()}")
    dialog.close()
    window.close()
    for p in inside:
        p.chmod(p.stat().st_mode | stat.S_IWUSR)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
