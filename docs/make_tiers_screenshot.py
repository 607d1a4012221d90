"""Take ``docs/tiers.png``: the stacked tiers under the waveform (ELAN-style).

The demo project's weather clip with a corrected transcription, a
``translation`` child tier (symbolic association: two boxes typed, the third
an empty box ready to type), a ``words`` child tier (symbolic subdivision) and
the ``reference`` script; the translation box being edited in place.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/make_tiers_screenshot.py

The hierarchy is written through the ORM (``Tier.parent_id``/``constraint``,
``Segment.parent_id``), so the script runs with or without the tier service's
own hierarchy support.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.screens import no_sound, pump, start_app, throwaway_user_dirs  # noqa: E402

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
    from sqlalchemy import update

    from desktop_app.core.demo import REFERENCE_TIER, build_demo
    from desktop_app.core.services.recordings import RecordingService
    from desktop_app.core.services.segments import NewSegment, SegmentService
    from desktop_app.core.services.speakers import TierService
    from desktop_app.core.store.schema import Segment, Tier

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
        translation = tiers.create("translation", kind="translation", language="en")
        words = tiers.create("words", kind="words")
        children: list[tuple[int, int]] = []  # (segment id, parent segment id)
        for p in parents:
            if p.text in TRANSLATIONS:
                r = segments.add(
                    rec.id,
                    NewSegment(p.start_ms, p.end_ms, TRANSLATIONS[p.text]),
                    tier_id=translation.id,
                )
                children += [(sid, p.id) for sid in r.segment_ids]
            tokens = p.text.split()
            step = (p.end_ms - p.start_ms) / len(tokens)
            r = segments.add_many(
                rec.id,
                [
                    NewSegment(round(p.start_ms + k * step), round(p.start_ms + (k + 1) * step), w)
                    for k, w in enumerate(tokens)
                ],
                tier_id=words.id,
                status="auto",
            )
            children += [(sid, p.id) for sid in r.segment_ids]
        assert made.segment_ids
        with project.unit() as s:
            for tier, constraint in (
                (translation, "symbolic_association"),
                (words, "symbolic_subdivision"),
            ):
                s.execute(
                    update(Tier)
                    .where(Tier.id == tier.id)
                    .values(parent_id=trans.id, constraint=constraint)
                )
            for sid, pid in children:
                s.execute(update(Segment).where(Segment.id == sid).values(parent_id=pid))
        return rec.id
    finally:
        project.close()


def main() -> int:
    from desktop_app.core.settings import Settings
    from desktop_app.gui.app import create_window

    tmp = Path(tempfile.mkdtemp())
    throwaway_user_dirs(tmp)
    app = start_app()  # noqa: F841 (kept alive for the whole run)
    folder = tmp / "Field trip 2026.jazba"
    rec_id = prepare(folder)
    window = create_window(folder, Settings(theme="light", auto_advance=False), no_sound)
    window.resize(1400, 860)
    window.show()
    pump(0.8)
    window.recordings.select(rec_id)
    pump(0.5)
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
