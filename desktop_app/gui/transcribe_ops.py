"""Transcribing the shown recording from the window, without losing anything.

Before a new pass over a recording with human work the window says what will
be kept and what replaced. While the pass runs, a banner over the transcript
follows it (how far the new draft has got, Cancel); edits stay possible and
are kept (see :mod:`~desktop_app.core.services.model_pass`). When it stops,
the banner says what the recording now holds. The whole pass is one step on
the undo stack. Under the banner, a hint may suggest a Kazakh model once
(:mod:`~desktop_app.gui.model_hint`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from desktop_app.core.services.model_pass import PassUpdate, RetranscribePlan, retranscribe_plan
from desktop_app.gui.dialogs import common as dialogs
from desktop_app.gui.model_hint import KazakhModelHint
from desktop_app.gui.review.segment_table_model import fmt_ms
from desktop_app.gui.session import ProjectSession
from desktop_app.gui.workers import Job

if TYPE_CHECKING:
    from desktop_app.gui.main_window import MainWindow

log = logging.getLogger(__name__)


def plan_message(title: str, plan: RetranscribePlan) -> str:
    """What a new pass over a recording with human work keeps and replaces."""
    kept = []
    if plan.edited:
        kept.append(f"{plan.edited} segment(s) you edited")
    if plan.approved:
        kept.append(f"{plan.approved} you approved")
    return (
        f"Transcribe '{title}' again?\n\n"
        f"• Kept exactly as they are: {' and '.join(kept)}. The new draft only fills "
        "the gaps around them.\n"
        f"• Replaced: {plan.auto} draft segment(s) nobody has changed, each one only "
        "when the new pass has reached it.\n\n"
        "If you stop the job, the earlier draft stays for the part not yet redone. "
        "The whole pass is one step on the Edit menu's Undo."
    )


def stopped_message(done_ms: int, duration_ms: int) -> str:
    if done_ms <= 0:
        return "Transcription stopped before it finished its first part: nothing was changed."
    if done_ms >= duration_ms:
        return "Transcription stopped at the very end: the whole new draft is in place."
    return (
        f"Transcription stopped at {fmt_ms(done_ms)}: the new draft covers the recording "
        f"up to there; the earlier draft after {fmt_ms(done_ms)} is kept as it was. "
        "Undo (Edit menu) removes the new part."
    )


class _PassRelay(QObject):
    """Carries the pass's updates from the worker thread to the GUI (queued)."""

    update = Signal(object)  # PassUpdate

    def __init__(self) -> None:
        super().__init__()
        self.operation_id: int | None = None
        self.done_ms = 0

    def remember(self, update: PassUpdate) -> None:
        self.operation_id = update.operation_id
        self.done_ms = max(self.done_ms, update.done_ms)


class TranscribeOps:
    def __init__(self, window: MainWindow) -> None:
        self.w = window
        self.running: dict[int, Job] = {}  # recording id -> its transcription job
        self._pending: set[int] = set()
        self._refresh = QTimer(window)
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(300)
        self._refresh.timeout.connect(self._flush_segments)
        window.review.recording_changed.connect(self._recording_shown)
        self.hint = KazakhModelHint(window)

    def transcribe_current(self) -> Job | None:
        session, rec = self.w.session, self.w.review.recording
        if session is None or rec is None:
            return None
        label = session.recording_label(rec.id)
        if rec.id in self.running:
            self.w.statusBar().showMessage(f"'{label}' is being transcribed already.", 5000)
            return self.running[rec.id]
        try:
            from desktop_app.gui.transcription_hook import describe, transcription_job
        except ImportError as exc:  # the ASR runtime is not installed
            log.warning("transcription unavailable: %s", exc)
            dialogs.show_info(
                self.w,
                f"Transcription is not available in this installation ({exc}). You can still "
                "add and correct segments by hand (Add segment at playhead).",
            )
            return None
        self.w.transcript.commit_editor()
        plan = retranscribe_plan(session.project, rec.id, None)
        if plan.human and not dialogs.confirm(self.w, plan_message(label, plan)):
            return None
        relay = _PassRelay()
        relay.update.connect(relay.remember, Qt.ConnectionType.QueuedConnection)
        relay.update.connect(self._arrived, Qt.ConnectionType.QueuedConnection)
        relay.update.connect(
            lambda _u, r=rec.id: self._show_banner(r), Qt.ConnectionType.QueuedConnection
        )
        fn = transcription_job(session.project, rec.id, self.w.settings, relay.update.emit)
        title = f"Transcribe {label}"
        job = self.w.runner.start(title, fn, summary=describe)
        job.relay = relay  # lives as long as the job
        self.running[rec.id] = job
        job.ended.connect(lambda: self.running.pop(rec.id, None))
        duration = rec.duration_ms

        def finished(result) -> None:
            self._ended(session, rec.id, describe(result), None)
            self._adopt_pass(session, result.operation_id, title, rec.id)

        def cancelled() -> None:
            message = stopped_message(relay.done_ms, duration)
            self._ended(session, rec.id, message, message)
            self._adopt_pass(session, relay.operation_id, title, rec.id)

        def failed(message: str) -> None:
            self._ended(session, rec.id, message, message, error=True)
            if relay.done_ms:  # what it committed before failing is one undo step too
                self._adopt_pass(session, relay.operation_id, title, rec.id)

        job.finished.connect(finished)
        job.cancelled.connect(cancelled)
        job.failed.connect(failed)
        job.changed.connect(lambda: self._show_banner(rec.id))
        self._show_banner(rec.id)
        self.w.docks["jobs"].show()
        self.hint.maybe_show()  # the job runs meanwhile
        return job

    # -- the banner over the transcript -------------------------------------------------
    def _banner_text(self, job: Job) -> str:
        rec = self.w.review.recording
        relay = job.relay  # type: ignore[attr-defined]
        where = (
            f"new draft up to {fmt_ms(relay.done_ms)} of {fmt_ms(rec.duration_ms)}"
            if rec is not None and relay.done_ms
            else "loading the model and decoding the first part"
        )
        return (
            f"Transcribing this recording ({job.progress:.0%}): {where}. You can keep "
            "working — segments you change are kept and never replaced."
        )

    def _show_banner(self, recording_id: int) -> None:
        rec = self.w.review.recording
        job = self.running.get(recording_id)
        if rec is None or rec.id != recording_id or job is None or job.status.finished:
            return
        banner = self.w.transcript.banner
        if banner.isVisible() and banner.cancel_button.isVisible():
            banner.update_text(self._banner_text(job))
        else:
            banner.show_running(self._banner_text(job), job.cancel)

    def _recording_shown(self, info) -> None:
        self.w.transcript.banner.hide()
        if info is not None and info.id in self.running:
            self._show_banner(info.id)

    # -- results ---------------------------------------------------------------------------
    def _adopt_pass(
        self, session: ProjectSession, operation_id: int | None, title: str, recording_id: int
    ) -> None:
        """The pass (one operation in the core) becomes one step on the undo stack."""
        if operation_id is None or session is not self.w.session or self.w.editor is None:
            return
        self.w.editor.adopt(operation_id, title, recording_id)

    def _arrived(self, update: PassUpdate) -> None:
        """A range was committed: refresh at most ~3 times a second."""
        self._pending.add(update.recording_id)
        if not self._refresh.isActive():
            self._refresh.start()

    def _flush_segments(self) -> None:
        pending, self._pending = self._pending, set()
        session = self.w.session
        if session is not None:
            for recording_id in pending:
                session.notify_segments(recording_id)

    def _ended(
        self,
        session: ProjectSession,
        recording_id: int,
        message: str,
        note: str | None,
        *,
        error: bool = False,
    ) -> None:
        if session is not self.w.session:
            return
        self._refresh.stop()
        self._pending.discard(recording_id)
        session.notify_segments(recording_id)
        review = self.w.review
        shown = review.recording is not None and review.recording.id == recording_id
        if shown:
            banner = self.w.transcript.banner
            if note is not None:
                banner.show_note(note, error=error)
            else:
                banner.hide()
            if review.current_segment() is None and self.w.segment_model.rowCount():
                self.w.transcript.select_row(0)  # ready to review from the first segment
        if error:
            self.w.show_status_error(message)
        else:
            self.w.statusBar().showMessage(message, 10000)
