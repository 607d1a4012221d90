"""Journals the text being typed in the transcript's editor, so a kill loses none.

A moment after each pause in typing (``SAVE_DELAY_MS``) the editor's text is
saved as a draft of its segment (:class:`~desktop_app.core.services.drafts.DraftService`).
The draft goes when the edit is saved, or when the person cancels with Esc;
if saving the edit failed, the draft stays and is offered again on the next
open. An editor that disappears without closing (a view reset) still has its
last text saved when the timer fires: the journal keeps a copy of it. A draft
that cannot be written (another process holds the project for longer than the
window waits) is kept in memory and written again every few seconds.
"""

from __future__ import annotations

import contextlib
import logging

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QAbstractItemDelegate, QWidget

from desktop_app.core.errors import JazbaError, NotFoundError
from desktop_app.core.services.drafts import DraftService
from desktop_app.core.services.dto import SegmentInfo
from desktop_app.core.services.segments import SegmentService
from desktop_app.gui.review.segment_editor import SegmentTextEditor
from desktop_app.gui.review.text_delegate import TextDelegate

log = logging.getLogger(__name__)

SAVE_DELAY_MS = 700
RETRY_MS = 2000


def one_line(text: str) -> str:
    """The text as the transcript stores it (see ``SegmentTableModel.setData``)."""
    return " ".join(text.split())


class DraftJournal(QObject):
    error = Signal(str)

    def __init__(self, delegate: TextDelegate, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.drafts: DraftService | None = None
        self.segments: SegmentService | None = None
        self._editor: SegmentTextEditor | None = None
        self._segment_id: int | None = None
        self._base = ""
        self._text = ""
        self._saved = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SAVE_DELAY_MS)
        self._timer.timeout.connect(self.save_now)
        self._unsaved: dict[int, tuple[str, str]] = {}  # segment -> (text, base): to retry
        self._retry = QTimer(self)
        self._retry.setInterval(RETRY_MS)
        self._retry.timeout.connect(self._write_unsaved)
        delegate.editor_opened.connect(self._opened)
        delegate.closeEditor.connect(self._closed)

    def set_services(self, drafts: DraftService | None, segments: SegmentService | None) -> None:
        """Journal into this project's drafts (``None``: no project)."""
        if self._editor is not None:
            self.save_now()
        self._write_unsaved()
        self.drafts, self.segments = drafts, segments
        self._unsaved.clear()
        self._retry.stop()
        self._forget()

    # -- the editor's life ----------------------------------------------------------
    def _opened(self, editor: QWidget, seg: SegmentInfo) -> None:
        if not isinstance(editor, SegmentTextEditor):
            return
        if self._editor is not None:
            self.save_now()
        self._editor, self._segment_id = editor, seg.id
        self._base = self._text = seg.text
        self._saved = False
        editor.textChanged.connect(self._typed)

    def _typed(self) -> None:
        if self._editor is not None:
            self._text = self._editor.text()
            self._timer.start()

    def save_now(self) -> None:
        """Save the text typed so far (or drop the draft if it is back to the original)."""
        self._timer.stop()
        if self.drafts is None or self._segment_id is None:
            return
        if one_line(self._text) != one_line(self._base):
            self._unsaved[self._segment_id] = (self._text, self._base)
            self._saved = True
            self._write_unsaved()
        elif self._saved:
            self._unsaved.pop(self._segment_id, None)
            with contextlib.suppress(JazbaError):
                self.drafts.discard(self._segment_id)
            self._saved = False

    def _write_unsaved(self) -> None:
        """Write the drafts waiting to be written; keep retrying those that fail."""
        if self.drafts is None:
            return
        for segment_id, (text, base) in list(self._unsaved.items()):
            try:
                self.drafts.save(segment_id, text, base)
            except NotFoundError:  # its recording was removed: nothing to keep it for
                log.info("draft of segment %s dropped: the segment is gone", segment_id)
            except JazbaError as exc:
                log.warning("could not journal the editor's text: %s", exc)
                if not self._retry.isActive():
                    self.error.emit(f"Your typing is not saved yet (retrying): {exc}")
                    self._retry.start()
                return
            if self._unsaved.get(segment_id) == (text, base):
                del self._unsaved[segment_id]
        self._retry.stop()

    def _closed(self, editor: QWidget, hint: QAbstractItemDelegate.EndEditHint) -> None:
        """The editor closes: Esc drops the draft; a save drops it once it is stored."""
        if editor is not self._editor or self.drafts is None or self._segment_id is None:
            return
        self._timer.stop()
        try:
            if hint == QAbstractItemDelegate.EndEditHint.RevertModelCache or self._stored():
                self._discard()
            else:  # the save was refused (busy, read-only…): keep the text as a draft
                self.save_now()
                if self._saved:
                    self.error.emit(
                        "Your text could not be saved into the segment; it is kept as a "
                        "draft and offered again when the project is opened."
                    )
        except JazbaError as exc:
            log.warning("draft bookkeeping failed: %s", exc)
        self._forget()

    def _stored(self) -> bool:
        """Whether the segment now holds what was typed (the save went through)."""
        if self.segments is None or self._segment_id is None:
            return False
        try:
            return one_line(self.segments.get(self._segment_id).text) == one_line(self._text)
        except JazbaError:
            return False

    def _discard(self) -> None:
        if self._segment_id is not None:
            self._unsaved.pop(self._segment_id, None)
        if self._saved and self.drafts is not None and self._segment_id is not None:
            self.drafts.discard(self._segment_id)

    def _forget(self) -> None:
        if self._editor is not None:
            with contextlib.suppress(RuntimeError, TypeError):  # the editor is already gone
                self._editor.textChanged.disconnect(self._typed)
        self._editor, self._segment_id, self._saved = None, None, False
