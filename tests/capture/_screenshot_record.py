"""Take ``docs/screenshot-record.png``: the Record dialog fed by the synthetic source.

xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python tests/capture/_screenshot_record.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.screens import pump, throwaway_user_dirs  # noqa: E402


def main() -> int:
    tmp = Path(tempfile.mkdtemp())
    throwaway_user_dirs(tmp)

    from desktop_app.core.capture import InputDevice, SyntheticSource
    from desktop_app.core.project import Project
    from desktop_app.core.services.speakers import SpeakerService
    from desktop_app.gui import theme
    from desktop_app.gui.app import create_app
    from desktop_app.gui.capture.capture_dialog import CaptureDialog

    app = create_app()  # noqa: F841 (kept alive for the whole run)
    theme.manager().apply("light")

    project = Project.create(tmp / "Village 2026", name="Village 2026")
    for name in ("Айгүл Сейітова", "Ерлан Жақыпов", "Гүлнар Әбенова"):
        SpeakerService(project).create(name)
    devices = [
        InputDevice(2, "USB Audio CODEC (Zoom H1n)", "ALSA", 2, 48_000.0, True),
        InputDevice(0, "Built-in microphone", "ALSA", 2, 44_100.0, False),
    ]
    dialog = CaptureDialog(
        project,
        devices=devices,
        source_factory=lambda _d, rate, ch, bits: SyntheticSource(
            rate, ch, bits=bits, block_frames=rate // 50
        ),
    )
    dialog.meta_box.check_speaker("Айгүл Сейітова")
    dialog.meta_box.title_edit.setText("Айгүл — ертегі (folk tale)")
    dialog.meta_box.place_edit.setText("Сарыағаш, Түркістан облысы")
    dialog.meta_box.languages_edit.setText("kk,ru")
    dialog.meta_box.consent_check.setChecked(True)
    dialog.meta_box.consent_details.setText("archive and research use")
    dialog.meta_box.notes_edit.setPlainText("Recorded in the kitchen; a kettle at 02:10.")
    dialog.bits_box.setCurrentIndex(dialog.bits_box.findData(24))
    dialog.show()
    dialog.start()
    pump(1.3)
    dialog.add_marker("start of the tale")
    pump(1.0)
    dialog.add_marker()
    pump(0.45)  # stop inside a loud stretch so the meter shows a level
    out = ROOT / "docs" / "screenshot-record.png"
    dialog.grab().save(str(out))
    print(f"saved {out}; level {dialog.meter.level}")
    dialog.stop()
    project.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
