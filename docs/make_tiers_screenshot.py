"""Take ``docs/tiers.png``: the stacked tiers under the waveform (ELAN-style).

The demo project's weather clip with a corrected transcription, a
``translation`` child tier (symbolic association: two boxes typed, the third
an empty box ready to type), a ``words`` child tier (symbolic subdivision) and
the ``reference`` script; the translation box being edited in place.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/make_tiers_screenshot.py

The hierarchy is made as a user makes it: child tiers from the tier service
(``create_child``), translations typed into the empty boxes it creates, words
added under each transcription segment.
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

OUT = ROOT / "docs" / "tiers.png"
CLIP = "Ауа райы (weather)"
TRANSLATIONS = {  # the third stays empty: an empty box ready to type
    "бүгін ауа райы өте жақсы": "the weather is very good today",
    "таудың басында қар жатыр": "there is snow on the top of the mountain",
}
STATUSES = ("approved", "edited", "auto")


def prepare(folder: Path) -> int:
    """The demo with a transcription, translation and words tier on the weather
    clip; returns that recording's id."""
    from desktop_app.core.demo import REFERENCE_TIER, build_demo
    from desktop_app.core.services.recordings import RecordingService
    from desktop_app.core.services.segments import NewSegment, SegmentService
    from desktop_app.core.services.tiers import TierService

    project = build_demo(folder)
    try:
        rec = next(r for r in RecordingService(project).list() if r.title == CLIP)
        tiers = TierService(project)
        by_name = {t.name: t for t in tiers.list()}
        segments = SegmentService(project)
        refs = segments.list(rec.id, by_name[REFERENCE_TIER].id)
        trans = tiers.get_or_create("transcription")
        made = segments.add_many(
            rec.id,
            [NewSegment(s.start_ms, s.end_ms, s.text, s.speaker_id, "kk", 0.9) for s in refs],
            tier_id=trans.id,
            status="auto",
            source="model",
        )
        parents = segments.list(rec.id, trans.id)
        for seg, status in zip(parents, STATUSES, strict=False):
            if status != "auto":  # (the model's own status stays as it is)
                segments.set_status([seg.id], status)
        translation = tiers.create_child(trans.id, "translation", language="en")
        words = tiers.create_child(
            trans.id, "words", kind="words", constraint="symbolic_subdivision"
        )
        boxes = {b.parent_id: b for b in segments.list(rec.id, translation.id)}
        for p in parents:
            if p.text in TRANSLATIONS:
                segments.edit_text(boxes[p.id].id, TRANSLATIONS[p.text])
            tokens = p.text.split()
            step = (p.end_ms - p.start_ms) / len(tokens)
            segments.add_many(
                rec.id,
                [
                    NewSegment(
                        round(p.start_ms + k * step),
                        round(p.start_ms + (k + 1) * step),
                        w,
                        parent_id=p.id,
                    )
                    for k, w in enumerate(tokens)
                ],
                tier_id=words.id,
                status="auto",
            )
        assert made.segment_ids
        return rec.id
    finally:
        project.close()


def main() -> int:

    tmp, app = screen_session()  # noqa: RUF059 (the app stays alive for the whole run)
    folder = tmp / "Field trip 2026.jazba"
    rec_id = prepare(folder)
    window = open_window(folder, recording_id=rec_id)
    hook = window.tier_stack
    canvas = hook.canvas
    translation = next(r for r in canvas.rows if r.tier.name == "translation")
    canvas.setFocus()
    canvas.select(translation.tier.id, None)
    canvas.move_box(+1)  # the first translation box
    pump(0.3)
    canvas.start_edit()
    editor = canvas.editor_widget()
    assert editor is not None
    editor.setText("the weather is very good today")
    editor.end(False)
    pump(0.5)
    OUT.parent.mkdir(exist_ok=True)
    window.grab().save(str(OUT))
    print(f"wrote {OUT}")
    canvas.finish_edit(save=False)
    window.ops.close_project(ask=False)
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
