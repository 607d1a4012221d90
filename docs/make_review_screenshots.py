"""Take the review screenshots of issue #16: wrapped sentences, calibrated
low-confidence words, and same-titled recordings told apart.

Builds a project of field-interview-like recordings: three files all called
``interview.wav`` (from three folders) and one more, spoken by espeak-ng's Kazakh
voice sentence by sentence, with a model-like draft on each sentence (the
model's words, timed, with probabilities as Whisper base gives them on Kazakh:
mostly 0.4-0.9). Then, in the real main window:

* ``docs/screenshot-transcript-wrap.png``: the transcript of ``interview (2)``
  with whole sentences wrapped, the words under this project's 20th percentile
  marked, a word's tooltip saying so, and only the columns that have values;
* ``docs/screenshot-same-titles.png``: the recordings list (numbered labels
  and file names), search hits across the interviews, and two import jobs of
  files with the same name;
* ``docs/screenshot-rename.png``: F2 in the recordings list edits a title in place;
* ``docs/screenshot-settings-low-confidence.png``: the Settings' choice between
  the calibrated and a fixed threshold.

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python docs/make_review_screenshots.py
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.screens import no_sound, pump, throwaway_user_dirs  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))

from transcript_rows import KAZAKH_SENTENCES, draft_words  # noqa: E402

RATE = 22_050
PAUSE_S = 0.7


def speak(text: str, out: Path) -> np.ndarray:
    subprocess.run(["espeak-ng", "-v", "kk", "-s", "150", "-w", str(out), text], check=True)
    audio, rate = sf.read(out, dtype="float32")
    assert rate == RATE
    return audio


def interview(folder: Path, sentences: list[str], tmp: Path) -> tuple[Path, list[tuple]]:
    """A WAV of the sentences with pauses between them, and each one's times."""
    parts, times, t = [], [], 0.3
    parts.append(np.zeros(int(0.3 * RATE), dtype=np.float32))
    for k, text in enumerate(sentences):
        audio = speak(text, tmp / f"s{k}.wav")
        parts += [audio, np.zeros(int(PAUSE_S * RATE), dtype=np.float32)]
        times.append((round(t * 1000), round((t + len(audio) / RATE) * 1000), text))
        t += len(audio) / RATE + PAUSE_S
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "interview.wav"
    sf.write(path, np.concatenate(parts), RATE)
    return path, times


def build(tmp: Path) -> Path:
    from desktop_app.core.project import Project
    from desktop_app.core.services.recordings import RecordingMeta, RecordingService
    from desktop_app.core.services.segments import NewSegment, SegmentService
    from desktop_app.core.services.speakers import SpeakerService
    from desktop_app.core.store.schema import ModelVersion

    rng = random.Random(7)
    project = Project.create(tmp / "Village interviews.jazba", "Village interviews")
    with project.unit() as s:
        s.add(ModelVersion(id="whisper-base-kk", name="Whisper base"))
    speakers = [SpeakerService(project).create(n) for n in ("Айгүл Сейітова", "Ерлан Жақыпов")]
    recordings, segments = RecordingService(project), SegmentService(project)
    plan = [
        ("day1", KAZAKH_SENTENCES[:8]),
        ("day2", KAZAKH_SENTENCES[8:18]),
        ("day3", KAZAKH_SENTENCES[18:] + KAZAKH_SENTENCES[:3]),
    ]
    for folder, sentences in plan:
        path, times = interview(tmp / "field" / folder, list(sentences), tmp)
        info = recordings.import_file(path)
        items = []
        for k, (start, end, text) in enumerate(times):
            words = draft_words(text, start, end, rng)
            conf = float(np.exp(np.mean(np.log([max(1e-6, w["p"]) for w in words]))))
            speaker = speakers[k % 2].id if folder != "day3" else None
            items.append(NewSegment(start, end, text, speaker, "kk", round(conf, 3), words))
        segments.add_many(
            info.id, items, source="model", model_version_id="whisper-base-kk", status="auto"
        )
    other, _ = interview(tmp / "field" / "guest", [KAZAKH_SENTENCES[4]], tmp)
    other = other.rename(other.with_name("qonaq.wav"))
    recordings.import_file(other, RecordingMeta(title="Қонақ (guest)"))
    project.close()
    return tmp / "Village interviews.jazba"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="jazba-shots-"))
    throwaway_user_dirs(tmp)
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtGui import QHelpEvent, QPainter
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QLineEdit, QStyleOptionViewItem, QToolTip

    from desktop_app.core.settings import Settings
    from desktop_app.gui import theme
    from desktop_app.gui.app import create_app, create_window
    from desktop_app.gui.dialogs.settings_dialog import SettingsDialog
    from desktop_app.gui.review.segment_table_model import Col

    app = create_app()  # noqa: F841 (kept alive for the whole run)
    theme.manager().apply("light")

    path = build(tmp)
    window = create_window(path, Settings(theme="light", auto_advance=False), no_sound)
    window.resize(1400, 900)
    window.show()
    pump(0.8)

    # -- the transcript: whole sentences, the model's weakest words ---------------------
    window.recordings.select(2)
    pump(0.3)
    model, pane = window.segment_model, window.transcript
    row = max(0, model.next_low_row(2))
    pane.select_row(row)
    seg = model.segment(row)
    spans = model.word_spans(seg)
    low = next(i for i, s in enumerate(spans) if s.low)
    window.review.seek(spans[low].start_ms + 20)
    window.search.query.setText("ауыл")
    window.search.run_search()
    window.statusBar().showMessage("Underlined: below this project's 20th percentile")
    pump(0.8)
    view, delegate = pane.view, pane.text_delegate
    index = model.index(row, Col.TEXT)
    rect = view.visualRect(index)
    spot = next(
        QPoint(x, y)
        for y in range(rect.top(), rect.bottom(), 2)
        for x in range(rect.left(), rect.right(), 2)
        if delegate.word_at(view, index, QPoint(x, y)) == low
    )
    event = QHelpEvent(QHelpEvent.Type.ToolTip, spot, view.viewport().mapToGlobal(spot))
    delegate.helpEvent(event, view, QStyleOptionViewItem(), index)
    pump(0.5)
    shot = window.grab()
    tips = [w for w in QApplication.topLevelWidgets() if w.inherits("QTipLabel") and w.isVisible()]
    if tips:  # a tooltip is a window of its own: draw it where it shows
        painter = QPainter(shot)
        where = window.mapFromGlobal(tips[0].pos())
        painter.drawPixmap(where, tips[0].grab())
        painter.end()
    QToolTip.hideText()
    shot.save(str(args.out / "screenshot-transcript-wrap.png"))
    print(f"saved {args.out / 'screenshot-transcript-wrap.png'}")

    # -- same titles: list, search hits, jobs ----------------------------------------
    files = []
    for day, k in (("day4", 3), ("day5", 6)):
        p, _times = interview(tmp / "field" / day, [KAZAKH_SENTENCES[k]], tmp)
        files.append(p)
    jobs = window.ops.import_audio(files)
    while not all(j.status.finished for j in jobs):
        pump(0.1)
    window.recordings.select(3)
    window.search.query.setText("біз")
    window.search.run_search()
    window.statusBar().showMessage("Imported 'interview (5)'")
    pump(0.8)
    window.grab().save(str(args.out / "screenshot-same-titles.png"))
    print(f"saved {args.out / 'screenshot-same-titles.png'}")
    window.activateWindow()
    window.recordings.view.setFocus()
    pump(0.2)
    window.actions["edit_text"].trigger()  # F2 in the list: the title, in place
    pump(0.2)
    editor = next(e for e in window.recordings.view.findChildren(QLineEdit) if e.isVisible())
    editor.setText("Айгүл апа, 3-күн")
    pump(0.3)
    window.docks["recordings"].grab().save(str(args.out / "screenshot-rename.png"))
    print(f"saved {args.out / 'screenshot-rename.png'}")
    QTest.keyClick(editor, Qt.Key.Key_Escape)

    dialog = SettingsDialog(window.settings, window)
    dialog.show()
    pump(0.5)
    dialog.grab().save(str(args.out / "screenshot-settings-low-confidence.png"))
    print(f"saved {args.out / 'screenshot-settings-low-confidence.png'}")
    dialog.close()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
