"""After a crash or a kill: offer back the text that was being typed.

The transcript's editor journals its text while a person types (see
:mod:`~desktop_app.gui.review.draft_journal`). When a project opens with such
drafts left, the window lists them and offers to put them back (each one an
ordinary, undoable edit), to discard them, or to decide later (they are
offered again on the next open).
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer

from desktop_app.core.errors import JazbaError
from desktop_app.core.services.drafts import DraftInfo
from desktop_app.gui.dialogs import common as dialogs
from desktop_app.gui.review.segment_table_model import fmt_ms
from desktop_app.gui.session import ProjectSession

if TYPE_CHECKING:
    from desktop_app.gui.main_window import MainWindow

RESTORE, DISCARD, LATER = range(3)
SHOWN = 8  # drafts listed by name in the question


def drafts_message(drafts: list[DraftInfo]) -> str:
    lines = [
        f"• {d.recording_title}, {fmt_ms(d.start_ms)}: “{textwrap.shorten(d.text, 70)}”"
        for d in drafts[:SHOWN]
    ]
    if len(drafts) > SHOWN:
        lines.append(f"• … and {len(drafts) - SHOWN} more")
    return (
        f"Jazba was closed while you were typing in {len(drafts)} segment(s). "
        "What you typed was kept:\n\n" + "\n".join(lines) + "\n\nPut it back into the transcript?"
    )


def offer_drafts_later(window: MainWindow, session: ProjectSession) -> None:
    """Ask once the window is up (not while it is being built)."""
    QTimer.singleShot(0, lambda: offer_drafts(window, session))


def offer_drafts(window: MainWindow, session: ProjectSession) -> int:
    """Offer the drafts left in ``session``; returns how many were put back."""
    if window.session is not session or window.editor is None or session.project.read_only:
        return 0
    drafts = session.drafts.pending()
    for d in drafts:
        if not d.differs:  # typed and then saved elsewhere, or typed back: nothing to offer
            session.drafts.discard(d.segment_id)
    drafts = [d for d in drafts if d.differs]
    if not drafts:
        return 0
    choice = dialogs.choose_action(
        window, drafts_message(drafts), ["Restore my text", "Discard it", "Decide later"]
    )
    if choice == DISCARD:
        for d in drafts:
            session.drafts.discard(d.segment_id)
        return 0
    if choice != RESTORE:
        return 0
    restored = 0
    for d in drafts:
        try:
            if window.editor.restore_draft(d.segment_id, d.recording_id) is not None:
                restored += 1
        except JazbaError as exc:
            window.show_status_error(str(exc))
    first = drafts[0]
    window.recordings.select(first.recording_id)
    window.review.go_to_segment(first.recording_id, first.segment_id)
    window.statusBar().showMessage(f"Put back the text of {restored} segment(s).", 10000)
    return restored
