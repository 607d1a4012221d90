"""Undoable edits: every edit goes through the service (saved at once) and
pushes a :class:`ServiceOpCommand` onto the window's ``QUndoStack``.

A command wraps the operation id the service returned: its first ``redo()``
does nothing (the edit is already done and saved), ``undo()`` calls
``SegmentService.undo(op_id)`` and later ``redo()`` calls
``SegmentService.redo(op_id)``. Undo and redo are themselves stored in the
project's history, so nothing typed is ever lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from desktop_app.core.errors import JazbaError
from desktop_app.core.services.dto import OpResult
from desktop_app.core.services.segments import NewSegment
from desktop_app.core.services.word_langs import WordLangService
from desktop_app.gui.session import ProjectSession

log = logging.getLogger(__name__)


class ServiceOpCommand(QUndoCommand):
    def __init__(
        self,
        session: ProjectSession,
        result: OpResult,
        text: str,
        recording_id: int | None,
        on_error: Callable[[str], None],
        *,
        speakers: bool = False,
    ) -> None:
        super().__init__(text)
        self.session = session
        self.op_id = result.operation_id
        self.segment_ids = result.segment_ids
        self.recording_id = recording_id
        self.on_error = on_error
        self.speakers = speakers
        self._done = True  # the service already applied it
        self._undone_already = False  # rebuilt from the history: undone in the project

    def redo(self) -> None:
        if self._done:
            return
        self._apply(self.session.segments.redo, "redo")
        self._done = True

    def undo(self) -> None:
        if self._undone_already:  # only the stack's index moves (see restore_history)
            self._undone_already = False
        else:
            self._apply(self.session.segments.undo, "undo")
        self._done = False

    def _apply(self, fn: Callable[[int], OpResult], what: str) -> None:
        try:
            fn(self.op_id)
        except JazbaError as exc:
            log.info("%s of operation %s failed: %s", what, self.op_id, exc)
            self.setObsolete(True)
            self.on_error(f"Cannot {what} '{self.text()}': {exc}")
        if self.speakers:
            self.session.speakers_changed.emit()
        self.session.notify_segments(self.recording_id)


class EditController(QObject):
    """Performs edits for the views: service call, undo command, notification.

    Errors a user can act on (``JazbaError``) are reported through ``error``;
    nothing is raised into Qt.
    """

    error = Signal(str)
    edited = Signal(object)  # OpResult

    def __init__(self, session: ProjectSession, stack: QUndoStack) -> None:
        super().__init__()
        self.session = session
        self.stack = stack
        self.segments = session.segments

    def _run(
        self,
        text: str,
        recording_id: int | None,
        fn: Callable[[], OpResult],
        *,
        speakers: bool = False,
    ) -> OpResult | None:
        try:
            result = fn()
        except JazbaError as exc:
            self.error.emit(str(exc))
            return None
        if result.segment_ids or speakers:
            self.stack.push(
                ServiceOpCommand(
                    self.session, result, text, recording_id, self.error.emit, speakers=speakers
                )
            )
        if speakers:
            self.session.speakers_changed.emit()
        self.session.notify_segments(recording_id)
        self.edited.emit(result)
        return result

    def _recording_of(self, segment_id: int) -> int | None:
        try:
            return self.segments.get(segment_id, include_deleted=True).recording_id
        except JazbaError:
            return None

    # -- segment edits -----------------------------------------------------
    def edit_text(self, segment_id: int, text: str) -> OpResult | None:
        try:  # (a segment a running pass has just replaced still takes the edit)
            seg = self.segments.get(segment_id, include_deleted=True)
        except JazbaError as exc:
            self.error.emit(str(exc))
            return None
        if seg.text == text:
            return None
        return self._run(
            "Edit text", seg.recording_id, lambda: self.segments.edit_text(segment_id, text)
        )

    def set_times(self, segment_id: int, start_ms: int, end_ms: int) -> OpResult | None:
        return self._run(
            "Move boundaries",
            self._recording_of(segment_id),
            lambda: self.segments.set_times(segment_id, start_ms, end_ms),
        )

    def split(self, segment_id: int, at_ms: int) -> OpResult | None:
        return self._run(
            "Split segment",
            self._recording_of(segment_id),
            lambda: self.segments.split(segment_id, at_ms),
        )

    def merge_next(self, segment_id: int) -> OpResult | None:
        return self._run(
            "Merge segments",
            self._recording_of(segment_id),
            lambda: self.segments.merge(segment_id),
        )

    def delete(self, segment_ids: Sequence[int]) -> OpResult | None:
        if not segment_ids:
            return None
        rec = self._recording_of(segment_ids[0])
        return self._run("Delete segment", rec, lambda: self.segments.delete(list(segment_ids)))

    def add(
        self, recording_id: int, start_ms: int, end_ms: int, tier_id: int | None
    ) -> OpResult | None:
        return self._run(
            "Add segment",
            recording_id,
            lambda: self.segments.add(recording_id, NewSegment(start_ms, end_ms), tier_id=tier_id),
        )

    def add_text(
        self,
        recording_id: int,
        start_ms: int,
        end_ms: int,
        tier_id: int | None,
        text: str,
        parent_id: int | None = None,
    ) -> OpResult | None:
        """Add an annotation with its text in one undo step (typed into an empty
        box of a child tier; ``parent_id``: the parent annotation)."""
        new = NewSegment(start_ms, end_ms, text, parent_id=parent_id)
        return self._run(
            "Add annotation",
            recording_id,
            lambda: self.segments.add(recording_id, new, tier_id=tier_id),
        )

    def set_speaker(self, segment_ids: Sequence[int], speaker_id: int | None) -> OpResult | None:
        if not segment_ids:
            return None
        rec = self._recording_of(segment_ids[0])
        return self._run(
            "Set speaker",
            rec,
            lambda: self.segments.set_speaker(list(segment_ids), speaker_id),
            speakers=True,
        )

    def set_language(self, segment_ids: Sequence[int], language: str | None) -> OpResult | None:
        if not segment_ids:
            return None
        rec = self._recording_of(segment_ids[0])
        return self._run(
            f"Set language {language or '–'}",
            rec,
            lambda: self.segments.set_language(list(segment_ids), language),
        )

    def set_status(self, segment_ids: Sequence[int], status: str) -> OpResult | None:
        if not segment_ids:
            return None
        rec = self._recording_of(segment_ids[0])
        return self._run(
            f"Mark {status}", rec, lambda: self.segments.set_status(list(segment_ids), status)
        )

    def set_word_lang(self, segment_id: int, index: int, lang: str) -> OpResult | None:
        service = WordLangService(self.session.project)
        return self._run(
            f"Set word language {lang}",
            self._recording_of(segment_id),
            lambda: service.set_word_lang(segment_id, index, lang),
        )

    def restore_history(self, limit: int = 200) -> int:
        """Rebuild the undo stack from the project's history (it survives a restart);
        returns the number of steps that can be undone."""
        steps, index = self.segments.undo_timeline(limit)
        for k, step in enumerate(steps):
            command = ServiceOpCommand(
                self.session,
                OpResult(operation_id=step.operation_id, segment_ids=()),
                step.description,
                None,
                self.error.emit,
                speakers=step.kind == "merge_speakers",
            )
            command._undone_already = k >= index
            self.stack.push(command)
        self.stack.setIndex(index)
        return index

    def restore_version(self, segment_id: int, revision_id: int) -> OpResult | None:
        return self._run(
            "Restore an earlier version",
            self._recording_of(segment_id),
            lambda: self.segments.restore_version(segment_id, revision_id),
        )

    def restore_draft(self, segment_id: int, recording_id: int) -> OpResult | None:
        """Put back text a person typed before Jazba was killed (one undo step)."""
        restored: list[OpResult] = []

        def restore() -> OpResult:
            result = self.session.drafts.restore(segment_id)
            restored.extend([result] if result is not None else [])
            return result or OpResult(operation_id=0, segment_ids=())

        result = self._run("Restore unsaved text", recording_id, restore)
        return result if restored else None

    def adopt(self, operation_id: int, text: str, recording_id: int | None) -> None:
        """Put an operation something else already saved (a transcription pass,
        written by a job over several transactions) on the undo stack as one step."""
        result = OpResult(operation_id=operation_id, segment_ids=())
        self.stack.push(ServiceOpCommand(self.session, result, text, recording_id, self.error.emit))

    # -- speakers ----------------------------------------------------------
    def merge_speakers(self, source_id: int, target_id: int) -> OpResult | None:
        names = self.session.speaker_names()
        text = f"Merge speaker {names.get(source_id, source_id)} into {names.get(target_id)}"
        return self._run(
            text, None, lambda: self.session.speakers.merge(source_id, target_id), speakers=True
        )
