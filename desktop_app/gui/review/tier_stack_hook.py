"""Puts the stacked tiers between the waveform and the transcript, and wires them.

The stack shows every tier of the recording; the transcript table shows the
tier of the selected box (the tier box in the toolbar and the table follow it,
and it follows them). Text typed into a box is saved through the window's
:class:`~desktop_app.gui.undo.EditController`, so it is one undo step and in
the segment's history like an edit in the table. Also adds the tier commands:
*New child tier…*, tier above/below and previous/next annotation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QDialog, QSplitter

from desktop_app.core.errors import JazbaError
from desktop_app.core.services.dto import SegmentInfo, TierInfo
from desktop_app.core.services.vocabularies import VocabularyService
from desktop_app.gui import theme
from desktop_app.gui.dialogs import common as dialogs
from desktop_app.gui.review.child_tier_dialog import ChildTierDialog, ChildTierRequest
from desktop_app.gui.review.tier_rows import Box, build_rows
from desktop_app.gui.review.tier_stack import TierStack
from desktop_app.gui.session import ALL_RECORDINGS, ProjectSession

if TYPE_CHECKING:
    from desktop_app.gui.main_window import MainWindow

log = logging.getLogger(__name__)


class TierStackHook(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self.stack = TierStack(window.waveform)
        self.canvas = self.stack.canvas
        self._session: ProjectSession | None = None
        self._syncing = False
        self._shape: tuple[tuple[int, bool], ...] = ()
        self._tiers: list[TierInfo] = []
        self._segments: list[SegmentInfo] = []  # what the rows show (all tiers)
        self._own_edit = False
        split = window.waveform.parentWidget()
        if isinstance(split, QSplitter):
            split.insertWidget(1, self.stack)
            split.setSizes([300, 90, 420])
            for k, stretch in enumerate((1, 0, 1)):  # a window resized: the rows keep their height
                split.setStretchFactor(k, stretch)
        c, r = self.canvas, window.review
        c.box_selected.connect(self._box_selected)
        c.edit_committed.connect(self._commit)
        c.choices_for = self._choices
        c.seek_requested.connect(r.seek)
        c.collapsed_changed.connect(self._fit_height)
        self.stack.installEventFilter(self)
        r.recording_changed.connect(lambda _info: self.reload())
        r.tier_changed.connect(self._tier_changed)
        window.transcript.current_changed.connect(self._current_changed)
        window.player.position_changed.connect(c.set_playhead)
        theme.manager().changed.connect(c.set_theme)
        a = window.actions
        a["tier_up"].triggered.connect(lambda: self._move(lambda: c.move_tier(-1)))
        a["tier_down"].triggered.connect(lambda: self._move(lambda: c.move_tier(+1)))
        a["box_prev"].triggered.connect(lambda: self._move(lambda: c.move_box(-1)))
        a["box_next"].triggered.connect(lambda: self._move(lambda: c.move_box(+1)))
        a["new_child_tier"].triggered.connect(self.new_child_tier)

    # -- content ---------------------------------------------------------------------------
    def _watch(self, session: ProjectSession | None) -> None:
        if session is self._session:
            return
        self._session = session
        if session is not None:
            session.segments_changed.connect(self._segments_changed)
            session.tiers_changed.connect(self.reload)

    def reload(self) -> None:
        """Rebuild the rows from the project (all tiers of the shown recording)."""
        session, rec = self.w.session, self.w.review.recording
        self._watch(session)
        if session is None or rec is None:
            self.canvas.set_rows([])
            return
        try:
            self._tiers = session.tier_list()
            self._segments = session.segments.list(rec.id)
        except JazbaError as exc:
            self.w.show_status_error(str(exc))
            return
        self._show_rows()
        if self.canvas.current_tier is None:
            self.canvas.select(self.w.review.tier_id, self.canvas.selected)
        self._fit_height()

    def _show_rows(self) -> None:
        folded = {row.tier.id for row in self.canvas.rows if row.collapsed}
        self.canvas.set_rows(build_rows(self._tiers, self._segments, folded))

    def _segments_changed(self, recording_id: int) -> None:
        rec = self.w.review.recording
        if self._own_edit or rec is None or recording_id not in (ALL_RECORDINGS, rec.id):
            return
        self.reload()

    def _patch(self, segment_ids: Sequence[int]) -> None:
        """After an edit made here: the rows rebuilt from the last listing with just
        the edited segments read again (listing a long recording's every tier
        after each typed box would cost far more)."""
        session = self.w.session
        if session is None:
            return
        try:
            fresh = {i: session.segments.get(i) for i in segment_ids}
        except JazbaError:  # (gone: deleted by the edit) read everything again
            self.reload()
            return
        known = {s.id for s in self._segments}
        self._segments = [fresh.get(s.id, s) for s in self._segments]
        self._segments += [seg for seg in fresh.values() if seg.id not in known]
        self._show_rows()

    @contextmanager
    def _edit_here(self) -> Iterator[None]:
        """An edit whose segments :meth:`_patch` updates (no full reload on its signal)."""
        self._own_edit = True
        try:
            yield
        finally:
            self._own_edit = False

    def _fit_height(self, *, force: bool = False) -> None:
        """Give the stack the height of its rows (up to its limit), from or to the
        transcript below: when the rows shown change (not after every edit, so a
        height the user dragged stays)."""
        shape = tuple((r.tier.id, r.collapsed) for r in self.canvas.rows)
        split = self.stack.parentWidget()
        if not isinstance(split, QSplitter) or not split.isVisible():
            return  # (fitted when shown)
        if shape == self._shape and not force:
            return
        sizes = split.sizes()
        k = split.indexOf(self.stack)
        if not sum(sizes) or k < 0 or k + 1 >= len(sizes):
            return  # not laid out yet
        self._shape = shape
        change = self.stack.sizeHint().height() - sizes[k]
        change = min(change, max(0, sizes[k + 1] - 200))  # the transcript keeps 200 px
        sizes[k] += change
        sizes[k + 1] -= change
        split.setSizes(sizes)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.stack and event.type() == QEvent.Type.Show:
            QTimer.singleShot(0, lambda: self._fit_height(force=True))  # once laid out
        return False

    # -- selection, both ways ---------------------------------------------------------------
    @contextmanager
    def _sync(self) -> Iterator[None]:
        old, self._syncing = self._syncing, True
        try:
            yield
        finally:
            self._syncing = old

    def _box_selected(self, tier_id: int, box: Box | None) -> None:
        """A box (or a row's empty space) was chosen: the table shows that tier,
        with the box's segment current."""
        if self._syncing:
            return
        self.w.transcript.commit_editor()
        with self._sync():
            if tier_id != self.w.review.tier_id:
                self.w.tiers.show(tier_id)
            if box is not None and box.segment_id is not None:
                self.w.transcript.select_segment(box.segment_id)
            elif box is not None and not self.w.player.is_playing:
                self.w.player.seek(box.start_ms)
                self.w.waveform.set_playhead(self.w.player.position_ms)
        self.canvas.select(tier_id, box.key if box is not None else None)

    def _current_changed(self, seg: SegmentInfo | None) -> None:
        """The table's current segment (a click there, or playback moving on)."""
        if seg is not None and not self._syncing:
            self.canvas.select(seg.tier_id, ("segment", seg.id))

    def _tier_changed(self, tier_id: int | None) -> None:
        if not self._syncing:
            same = tier_id == self.canvas.current_tier
            self.canvas.select(tier_id, self.canvas.selected if same else None)

    def _move(self, step: Callable[[], None]) -> None:
        self.w.transcript.commit_editor()
        if self.canvas.is_editing():
            self.canvas.finish_edit(save=True)
        step()
        self.canvas.setFocus()

    # -- edits ---------------------------------------------------------------------------------
    def _choices(self, tier_id: int) -> list[str] | None:
        session = self.w.session
        return VocabularyService(session.project).choices(tier_id) if session else None

    def _commit(self, tier_id: int, box: Box, text: str) -> None:
        editor, rec = self.w.editor, self.w.review.recording
        if editor is None or rec is None or self.w.session is None:
            return
        try:  # a tier with a controlled vocabulary takes only its values
            VocabularyService(self.w.session.project).check_value(tier_id, text)
        except JazbaError as exc:
            dialogs.show_error(self.w, dialogs.user_message(exc))
            return
        with self._edit_here():
            if box.segment_id is not None:
                result = editor.edit_text(box.segment_id, text)
            else:
                result = editor.add_text(
                    rec.id, box.start_ms, box.end_ms, tier_id, text, parent_id=box.parent_id
                )
        if result is not None:
            self._patch(result.segment_ids)
        if box.segment_id is None and result is not None and result.segment_ids:
            new_id = result.segment_ids[0]
            self.canvas.select(tier_id, ("segment", new_id))
            if tier_id == self.w.review.tier_id:
                with self._sync():
                    self.w.transcript.select_segment(new_id)

    def new_child_tier(self) -> TierInfo | None:
        session = self.w.session
        if session is None:
            return None
        dialog = ChildTierDialog(session.tier_list(), self.w.review.tier_id, self.w)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        request = dialog.request()
        return self.create_child(request) if request is not None else None

    def create_child(self, request: ChildTierRequest) -> TierInfo | None:
        session = self.w.session
        if session is None:
            return None
        try:
            tier = session.tiers.create_child(
                request.parent_tier_id,
                request.name,
                kind=request.kind,
                constraint=request.constraint,
            )
        except JazbaError as exc:
            dialogs.show_error(self.w, dialogs.user_message(exc))
            return None
        session.tiers_changed.emit()
        session.notify_segments(None)  # a new child tier may come with empty boxes
        self.w.tiers.show(tier.id)
        return tier


def install(window: MainWindow) -> TierStackHook:
    return TierStackHook(window)
