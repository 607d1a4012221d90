"""Screenshots of what keeps a person's work safe (issue #16's data-loss cases).

* ``screenshot-retranscribe-confirm.png``: what a new pass over a recording
  with human work will keep and replace, asked before it starts;
* ``screenshot-retranscribe-banner.png``: the pass running, the banner over the
  transcript (how far the new draft has got, edits are safe, Cancel);
* ``screenshot-retranscribe-stopped.png``: after Cancel, what the recording holds;
* ``screenshot-restore-drafts.png``: the next start after the app died while a
  person was typing: the text is offered back;
* ``screenshot-history-restore.png``: a segment's history with *Restore this version*.

The transcription runs for real with a fake model (``tests/fake_engine.py``),
slowed down so that the banner can be seen.

    JAZBA_DATA_DIR=/tmp/jz JAZBA_CONFIG_DIR=/tmp/jz/config \\
        xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python docs/make_safety_screenshots.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.screens import no_sound, pump  # noqa: E402

OUT = ROOT / "docs"
sys.path.insert(0, str(ROOT))


def main() -> int:
    if "JAZBA_DATA_DIR" not in os.environ or "JAZBA_CONFIG_DIR" not in os.environ:
        print("Set JAZBA_DATA_DIR and JAZBA_CONFIG_DIR (never the real user's).", file=sys.stderr)
        return 2
    from PySide6.QtWidgets import QMessageBox

    from desktop_app.core.demo import build_demo
    from desktop_app.core.project import Project
    from desktop_app.core.services.drafts import DraftService
    from desktop_app.core.settings import Settings
    from desktop_app.gui.app import create_app, create_window
    from desktop_app.gui.dialogs import common as dialogs
    from desktop_app.gui.dialogs import history_dialog
    from desktop_app.gui.review.segment_table_model import Col
    from desktop_app.services import transcription
    from tests.fake_engine import FakeEngine, fake_model
    from tests.gui.test_nothing_lost import bursts_wav

    app = create_app()  # noqa: F841 (kept alive for the whole run)

    def grabbed_box(name: str, answer: int | bool):
        """A stand-in for a modal question: show the real box, grab it, answer."""

        def ask(parent, message: str, buttons=None, title: str = "Jazba"):
            box = QMessageBox(QMessageBox.Icon.Question, title, message, parent=parent)
            for text in buttons or ("Yes", "No"):
                box.addButton(text, QMessageBox.ButtonRole.ActionRole)
            box.show()
            pump(0.4)
            box.grab().save(str(OUT / name))
            box.close()
            print("wrote", name)
            return answer

        return ask

    tmp = Path(tempfile.mkdtemp())
    folder = tmp / "Field trip 2026.jazba"
    with build_demo(folder) as project:
        from desktop_app.core.services.recordings import RecordingService

        RecordingService(project).import_file(bursts_wav(tmp / "Interview, Türkistan.wav", 14))
    engine = FakeEngine()
    registry, engines = fake_model(engine, tmp / "fake-model")
    transcription.ModelRegistry, transcription._DEFAULT_CACHE = registry, engines
    window = create_window(folder, Settings(theme="light", auto_advance=False), no_sound)
    window.resize(1400, 900)
    window.show()
    pump(0.5)
    rec = max(r.id for r in window.session.recording_list())
    window.recordings.select(rec)
    pump(0.2)
    job = window.ops.transcribe_current()  # a first draft
    while not job.status.finished:
        pump(0.1)
    model = window.segment_model
    model.setData(model.index(1, Col.TEXT), "Түркістанға барған кезде ауа райы жақсы болды")
    speaker = window.session.speakers.create("Айгүл")
    window.transcript.select_row(4)
    window.review.assign_speaker(speaker.id)
    window.editor.set_status([model.segment(6).id], "approved")
    pump(0.3)

    # -- the question before a new pass, the banner while it runs, the note after Cancel -----
    dialogs.confirm = grabbed_box("screenshot-retranscribe-confirm.png", True)
    engine.delay = 0.5
    job = window.ops.transcribe_current()
    while job.relay.done_ms < 9000:
        pump(0.1)
    window.transcript.select_row(9)
    pump(0.3)
    window.grab().save(str(OUT / "screenshot-retranscribe-banner.png"))
    print("wrote screenshot-retranscribe-banner.png")
    job.cancel()
    while not job.status.finished:
        pump(0.1)
    pump(0.5)
    window.grab().save(str(OUT / "screenshot-retranscribe-stopped.png"))
    print("wrote screenshot-retranscribe-stopped.png")

    # -- a segment's history, an earlier version selected -------------------------------------
    def grab_history(dialog):
        dialog.resize(1000, 320)
        dialog.show()
        dialog.view.selectRow(dialog.model.rowCount() - 1)
        pump(0.4)
        dialog.grab().save(str(OUT / "screenshot-history-restore.png"))
        print("wrote screenshot-history-restore.png")
        return 0

    history_dialog.HistoryDialog.exec = grab_history  # type: ignore[method-assign]
    window.transcript.select_row(1)
    window.show_history()

    # -- the app died while someone typed: the next start offers the text back -------------------
    seg_id = model.segment(2).id
    window.close()
    pump(0.3)
    with Project.open(folder) as project:
        DraftService(project).save(seg_id, "мен ертең ауылға барамын деп ойлаймын", "сөз20 сөз21")
    dialogs.choose_action = grabbed_box("screenshot-restore-drafts.png", 2)
    again = create_window(folder, Settings(theme="light", auto_advance=False), no_sound)
    again.show()
    pump(0.8)
    again.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
