"""Child process of the kill harness: the desktop app, driven like a person would.

``python _gui_child.py PROJECT RECORDING`` opens the window (offscreen), starts
a transcription of RECORDING (the fake model, a segment every 0.12 s) and,
while it runs, keeps editing: a text edit through the window's edit
controller, then typing into the transcript's editor until the draft journal
has saved the text, then Enter. Each thing the app confirmed is appended to
``edits.log`` beside the project (and flushed to disk) before the next step,
so the parent, after a SIGKILL, knows what must be in the project:

* ``text<TAB>id<TAB>value``: the segment holds ``value``;
* ``draft<TAB>id<TAB>value``: the segment holds ``value`` or it is a draft.
"""

from __future__ import annotations

import itertools
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from desktop_app.core.settings import Settings
from desktop_app.gui.app import create_window
from desktop_app.gui.dialogs import common as dialogs
from desktop_app.gui.review.draft_journal import SAVE_DELAY_MS
from desktop_app.services import transcription
from tests.fake_engine import FakeEngine, fake_model


class Driver:
    def __init__(self, project: Path, recording: int) -> None:
        self.log = open(project.parent / "edits.log", "a", encoding="utf-8")  # noqa: SIM115
        self.window = create_window(project, Settings(auto_advance=False))
        self.window.show()
        self.window.recordings.select(recording)
        self.counter = itertools.count()
        print("window up", flush=True)

    def confirm(self, kind: str, segment_id: int, value: str) -> None:
        self.log.write(f"{kind}\t{segment_id}\t{value}\n")
        self.log.flush()
        os.fsync(self.log.fileno())

    def start(self) -> None:
        self.window.ops.transcribe_current()
        QTimer.singleShot(100, self.edit)

    def edit(self) -> None:
        """One edit through the controller, then a typed one through the editor."""
        model = self.window.segment_model
        n = next(self.counter)
        if model.rowCount():
            seg = model.segment(n % model.rowCount())
            text = f"түзету {n}"
            if self.window.editor.edit_text(seg.id, text) is not None:
                self.confirm("text", seg.id, text)
        QTimer.singleShot(50, self.type_into_editor)

    def type_into_editor(self) -> None:
        model, pane = self.window.segment_model, self.window.transcript
        if not model.rowCount():
            QTimer.singleShot(100, self.edit)
            return
        row = (next(self.counter) * 3) % model.rowCount()
        pane.select_row(row)
        pane.edit_text()
        editor = pane.text_delegate.active_editor
        if editor is None:
            QTimer.singleShot(100, self.edit)
            return
        segment_id = model.segment(row).id
        text = f"жазып жатырмын {row}"
        editor.selectAll()
        editor.insertPlainText(text)  # as typing does (textChanged)
        QTimer.singleShot(SAVE_DELAY_MS + 150, lambda: self.typed(segment_id, text))

    def typed(self, segment_id: int, text: str) -> None:
        pane = self.window.transcript
        if pane.journal._saved and pane.journal._segment_id == segment_id:
            self.confirm("draft", segment_id, text)
        pane.commit_editor()
        QApplication.processEvents()
        try:
            stored = self.window.session.segments.get(segment_id, include_deleted=True)
        except Exception:
            stored = None
        if stored is not None and stored.text == text and not pane.is_editing():
            self.confirm("text", segment_id, text)
        QTimer.singleShot(50, self.edit)


def main() -> None:
    project, recording = Path(sys.argv[1]), int(sys.argv[2])
    registry, engines = fake_model(FakeEngine(0.12), project.parent / "fake-model")
    transcription.ModelRegistry = registry  # type: ignore[misc]
    transcription._DEFAULT_CACHE = engines  # type: ignore[assignment]
    dialogs.confirm = lambda *_a, **_k: True  # "Transcribe again? Keeps your edits…": yes
    dialogs.choose_action = lambda *_a, **_k: 2  # drafts from an earlier run: later
    app = QApplication(sys.argv)
    driver = Driver(project, recording)
    QTimer.singleShot(0, driver.start)
    app.exec()


if __name__ == "__main__":
    main()
