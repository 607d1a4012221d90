"""Tier commands of the main window: create, rename, and which tier is shown.

A tier is a layer of segments over the same recordings (the model's
``transcription``, a ``reference`` script, a translation, notes...). The tier
box in the toolbar chooses the one the transcript and waveform show.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktop_app.core.errors import JazbaError
from desktop_app.core.services.dto import TierInfo
from desktop_app.gui.dialogs import common as dialogs

if TYPE_CHECKING:
    from desktop_app.gui.main_window import MainWindow


class TierOps:
    def __init__(self, window: MainWindow) -> None:
        self.w = window

    def current(self) -> TierInfo | None:
        session, tier_id = self.w.session, self.w.review.tier_id
        if session is None:
            return None
        return next((t for t in session.tier_list() if t.id == tier_id), None)

    def show(self, tier_id: int | None) -> None:
        """Show ``tier_id`` in the transcript and select it in the tier box."""
        self.w.transcript.commit_editor()
        self.w.review.set_tier(tier_id)
        i = self.w.tier_box.findData(tier_id)
        if i >= 0:
            self.w.tier_box.setCurrentIndex(i)
        tier = self.current()
        if tier is not None:
            self.w.statusBar().showMessage(f"Showing the tier '{tier.name}'", 5000)

    def next_tier(self) -> None:
        session = self.w.session
        if session is None:
            return
        ids = [t.id for t in session.tier_list()]
        if not ids:
            return
        cur = self.w.review.tier_id
        k = ids.index(cur) if cur in ids else -1
        self.show(ids[(k + 1) % len(ids)])

    def new_tier(self) -> TierInfo | None:
        session = self.w.session
        if session is None:
            return None
        name = dialogs.ask_text(self.w, "New tier", "Name of the tier (e.g. translation):")
        if not name:
            return None
        try:
            tier = session.tiers.create(name)
        except JazbaError as exc:
            self.w.show_status_error(str(exc))
            return None
        session.tiers_changed.emit()
        self.show(tier.id)
        return tier

    def rename_tier(self) -> TierInfo | None:
        session, tier = self.w.session, self.current()
        if session is None or tier is None:
            return None
        name = dialogs.ask_text(self.w, "Rename tier", "New name:", tier.name)
        if not name or name == tier.name:
            return None
        try:
            renamed = session.tiers.rename(tier.id, name)
        except JazbaError as exc:
            self.w.show_status_error(str(exc))
            return None
        session.tiers_changed.emit()
        return renamed
