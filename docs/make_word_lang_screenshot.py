"""Take ``screenshot-word-langs.png``: the demo project with Kazakh–Russian
code-switched segments, the current one's words coloured by language in the
strip under the transcript (one word set by hand: framed).

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/make_word_lang_screenshot.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.screens import (  # noqa: E402
    open_window,
    pump,
    screen_session,
)

OUT = ROOT / "docs"
MIXED = [
    "Мен бүгін короче университетке бардым, потом үйге келдім.",
    "Слушай, ертең жиналыс бар, надо готовиться.",
    "Ол очень жақсы адам, бірақ всегда кешігеді.",
]


def prepare(folder: Path) -> tuple[int, int]:
    """The demo with code-switched texts on its first segments, every word tagged."""
    from desktop_app.core.demo import build_demo
    from desktop_app.core.services.recordings import RecordingService
    from desktop_app.core.services.segments import NewSegment, SegmentService
    from desktop_app.core.services.word_langs import WordLangService

    project = build_demo(folder)
    try:
        rec = RecordingService(project).list()[0]
        segments = SegmentService(project)
        step = rec.duration_ms // len(MIXED)
        news = [NewSegment(i * step, (i + 1) * step - 50, t) for i, t in enumerate(MIXED)]
        segments.add_many(rec.id, news, status="auto", source="model")
        segs = segments.list(rec.id)
        words = WordLangService(project)
        words.tag_project()
        words.set_word_lang(segs[0].id, 3, "kk")  # "университетке": Kazakh, by hand
        return rec.id, segs[0].id
    finally:
        project.close()


def main() -> int:

    tmp, app = screen_session()  # noqa: RUF059 (the app stays alive for the whole run)
    folder = tmp / "Code-switching.jazba"
    rec_id, _ = prepare(folder)
    window = open_window(folder, recording_id=rec_id)
    window.transcript.select_row(0)
    pump(1.0)
    window.grab().save(str(OUT / "screenshot-word-langs.png"))
    strip = window.review.word_langs.strip
    print("strip:", strip.isVisible(), [(t["w"], t["l"], t["by"]) for t in strip.tags])
    window.ops.close_project(ask=False)
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
