"""Take ``docs/screenshot-export-counts.png``: the export dialog on the demo project,
a Hugging Face dataset chosen, showing what the export would include and leave out.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/interop/_screenshot_export_counts.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.screens import pump, start_app, throwaway_user_dirs  # noqa: E402


def _transcribe_as_a_user_would(project) -> None:
    """Model drafts on the transcription tier (what ``jazba demo setup`` transcribes),
    a third of them approved and a third corrected, as after some review."""
    from desktop_app.core.services.segments import NewSegment, SegmentService

    segs = SegmentService(project)
    for rec_id in project_recordings(project):
        refs = segs.list(rec_id)  # the reference (comment) tier: the only one so far
        drafts = [NewSegment(r.start_ms, r.end_ms, r.text.lower()) for r in refs]
        ids = segs.add_many(rec_id, drafts, status="auto", source="model").segment_ids
        segs.set_status(ids[0::3], "approved")
        segs.set_status(ids[1::3], "edited")


def project_recordings(project) -> list[int]:
    from desktop_app.core.services.recordings import RecordingService

    return [r.id for r in RecordingService(project).list()]


def main() -> int:
    tmp = Path(tempfile.mkdtemp())
    throwaway_user_dirs(tmp)

    from desktop_app.core.demo import build_demo
    from desktop_app.gui.interop.interop_dialogs import ExportDialog
    from desktop_app.gui.session import ProjectSession
    from desktop_app.gui.workers import JobRunner

    app = start_app()  # noqa: F841 (kept alive for the whole run)
    project = build_demo(tmp / "Field trip 2026.jazba")
    _transcribe_as_a_user_would(project)
    runner = JobRunner()
    dlg = ExportDialog(ProjectSession(project), runner)
    dlg.format_box.setCurrentIndex(dlg.format_box.findData("hf"))
    dlg.audio.setCurrentIndex(dlg.audio.findData("clips"))
    dlg.split.setChecked(True)
    dlg.dest.setText("~/field-trip-2026-dataset")
    dlg.resize(660, 780)
    dlg.show()
    pump(0.8)
    out = ROOT / "docs" / "screenshot-export-counts.png"
    dlg.grab().save(str(out))
    print(dlg.counts.text())
    print(f"wrote {out}")
    runner.shutdown()
    project.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
