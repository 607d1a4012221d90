"""Take ``concordance.png``: the search panel as a concordance over the demo
project, a regex finding every form of "Алматы" on all tiers, as
keyword-in-context lines with recording, time, tier and speaker.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/make_concordance_screenshot.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.screens import (  # noqa: E402
    open_window,
    pump,
    screen_session,
)

OUT = ROOT / "docs"
# A linguist's transcripts and translations of the demo's recordings.
LINES = (
    ("Біз ертең Алматыға барамыз, Алматы үлкен қала.", "Завтра мы едем в Алматы."),
    ("Алматыдағы әжем бауырсақ пісірді.", "Бабушка в Алматы испекла баурсаки."),
    ("Қазақстан орталық Азияда орналасқан.", "Казахстан находится в Центральной Азии."),
    ("Астана Қазақстанның елордасы, ал Алматы ең үлкен қаласы.", "Астана — столица."),
    ("Мен қазақ тілін үйреніп жүрмін.", "Я учу казахский язык."),
    ("Алматыда тау бар ма?", "В Алматы есть горы?"),
)


def transcribe(folder: Path) -> None:
    """Transcripts, a translation tier under them and speakers on every segment."""
    from desktop_app.core.project import Project
    from desktop_app.core.services.recordings import RecordingService
    from desktop_app.core.services.segments import NewSegment, SegmentService
    from desktop_app.core.services.speakers import SpeakerService, TierService

    with Project.open(folder) as project:
        seg, tiers = SegmentService(project), TierService(project)
        main = tiers.get_or_create("transcription").id
        ru = tiers.get_or_create("translation").id
        speakers = [sp.id for sp in SpeakerService(project).list()]
        recs = RecordingService(project).list()
        for i, (kk, ru_text) in enumerate(LINES):
            rec = recs[i % len(recs)]
            start = (i // len(recs)) * 3000
            new = NewSegment(start, start + 2800, kk, speaker_id=speakers[i % len(speakers)])
            seg.add(rec.id, new, tier_id=main)
            seg.add(rec.id, NewSegment(start, start + 2800, ru_text), tier_id=ru)


def main() -> int:
    from desktop_app.core.demo import build_demo

    tmp, app = screen_session()  # noqa: RUF059 (the app stays alive for the whole run)
    folder = tmp / "Field trip 2026.jazba"
    build_demo(folder).close()
    transcribe(folder)
    window = open_window(folder, (1600, 1000))
    dock = window.docks["search"]
    window.resizeDocks([dock], [940], Qt.Orientation.Horizontal)
    panel = window.search
    for col, width in ((0, 190), (2, 170), (3, 130)):
        panel.view.horizontalHeader().resizeSection(col, width)
    panel.set_mode("regex")
    panel.query.setText(r"\b(алмат|қазақ)\w*")
    panel.run_search()
    panel.view.setCurrentIndex(panel.model.index(1, 0))
    panel.view.setFocus()
    pump(0.8)
    print(panel.count.text())
    window.grab().save(str(OUT / "concordance.png"))
    window.ops.close_project(ask=False)
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
