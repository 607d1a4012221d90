"""Unit-LM perplexity in the window: the quality strip, scoring, the review queue.

``install(window)`` adds, without the window knowing the details:

* the :class:`QualityStrip` under the waveform, kept aligned with its view;
* "Score with the unit LM" after "Transcribe" (a job with progress and cancel
  in the Jobs panel; the scoring runs on ONNX Runtime in a worker thread);
* "Learn a unit LM from this project…" after it: speech units and a unit LM
  learned from the project's audio (the same two steps as ``jazba units fit``
  and ``jazba unitlm train``, run as one job; PyTorch runs in its own process);
* "Next in review queue" after "Next low-confidence": the segment of this
  recording that most needs a look by ASR doubt and unit-LM perplexity.

All data comes from :mod:`desktop_app.services.unit_scoring`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction

from desktop_app.core.jobs import Progress, SubState
from desktop_app.core.project import Project
from desktop_app.gui.actions import insert_after
from desktop_app.gui.dialogs import common as dialogs
from desktop_app.gui.units.quality_strip import QualityStrip, StripItem
from desktop_app.services.unit_lm import FitOptions, TrainOptions, fit_units, train_unit_lm
from desktop_app.services.unit_scoring import (
    ScoreRequest,
    project_z_and_flags,
    review_queue,
    score_project,
)

if TYPE_CHECKING:
    from desktop_app.gui.main_window import MainWindow
    from desktop_app.gui.workers import Job

log = logging.getLogger(__name__)

LEARN_TEXT = "&Learn a unit LM from this project…"


def learn_job(project: Project, state: Progress):
    """Job: speech units from all of the project's audio, then a unit LM on them."""
    fit_units(project, FitOptions(), SubState(state, 0.0, 0.5))
    return train_unit_lm(project, TrainOptions(), SubState(state, 0.5, 1.0))


class UnitLMHook:
    def __init__(self, window: MainWindow) -> None:
        self.w = window
        self.strip = QualityStrip()
        window.waveform.layout().addWidget(self.strip)
        self.strip.segment_clicked.connect(self._go_to)
        vb = window.waveform.plot.getViewBox()
        vb.sigXRangeChanged.connect(self._sync_view)
        vb.sigResized.connect(self._sync_view)
        self._refresh_timer = QTimer(self.strip)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(50)
        self._refresh_timer.timeout.connect(self.refresh)
        model = window.segment_model
        for signal in (model.modelReset, model.dataChanged, model.layoutChanged):
            signal.connect(lambda *_: self._refresh_timer.start())
        window.review.recording_changed.connect(lambda _info: self._refresh_timer.start())

        self.score_action = QAction("Score with the &unit LM", window)
        self.score_action.setObjectName("action_unit_lm_score")
        self.score_action.setStatusTip(
            "Give every segment a unit-LM perplexity (how unlike the project's audio it sounds)"
        )
        self.score_action.triggered.connect(self.score)
        self.queue_action = QAction("Next in review &queue", window)
        self.queue_action.setObjectName("action_review_queue_next")
        self.queue_action.setStatusTip(
            "Go to the segment that most needs review (low ASR confidence, high perplexity)"
        )
        self.queue_action.triggered.connect(self.next_in_queue)
        self.learn_action = QAction(LEARN_TEXT, window)
        self.learn_action.setObjectName("action_unit_lm_learn")
        self.learn_action.setStatusTip(
            "Learn speech units and a unit LM from all of this project's audio (a few minutes)"
        )
        self.learn_action.triggered.connect(self.learn)
        self._insert_after(window.actions.get("transcribe"), self.score_action)
        self._insert_after(self.score_action, self.learn_action)
        self._insert_after(window.actions.get("next_low"), self.queue_action)

    def _insert_after(self, anchor: QAction | None, action: QAction) -> None:
        menu = insert_after(self.w.menuBar(), anchor, action)
        if menu is None:
            self.w.addAction(action)
        else:
            menu.aboutToShow.connect(self._enable)

    def _enable(self) -> None:
        has = self.w.session is not None
        self.score_action.setEnabled(has)
        self.learn_action.setEnabled(has)
        self.queue_action.setEnabled(has and self.w.review.recording is not None)

    # -- the strip ---------------------------------------------------------------
    def _sync_view(self, *_args: object) -> None:
        wave = self.w.waveform
        rect = wave.plot.getViewBox().sceneBoundingRect()
        x0, x1 = wave.view_range()
        self.strip.set_view(wave.canvas.x() + rect.left(), rect.width(), x0, x1)

    def refresh(self) -> None:
        session, rec = self.w.session, self.w.review.recording
        if session is None or rec is None:
            self.strip.set_items([])
            return
        z, flags = project_z_and_flags(session.project)
        items = [
            StripItem(s.id, s.start_ms, s.end_ms, s.unit_perplexity, z[s.id], flags.get(s.id))
            for s in self.w.segment_model.segments
            if s.unit_perplexity is not None and s.id in z
        ]
        self.strip.set_items(items)
        self._sync_view()

    def _go_to(self, segment_id: int) -> None:
        rec = self.w.review.recording
        if rec is not None:
            self.w.review.go_to_segment(rec.id, segment_id)

    # -- commands ----------------------------------------------------------------
    def score(self) -> Job | None:
        session = self.w.session
        if session is None:
            return None
        project = session.project
        request = ScoreRequest(device="auto")
        job = self.w.runner.start(
            f"Score {session.name} with the unit LM",
            lambda state: score_project(project, request, state),
        )

        def finished(result: object) -> None:
            if session is self.w.session:
                session.notify_segments(None)
                self.w.statusBar().showMessage(
                    f"Scored {result.scored} segment(s) with the unit LM", 5000
                )

        job.finished.connect(finished)
        job.failed.connect(lambda msg: dialogs.show_error(self.w, msg))
        self.w.docks["jobs"].show()
        return job

    def learn(self, ask: bool = True) -> Job | None:
        """Learn a unit LM from the open project's audio, as a job."""
        session = self.w.session
        if session is None:
            return None
        if ask and not dialogs.confirm(
            self.w,
            "Learn speech units and a unit LM from all of this project's audio? This takes "
            "a few minutes; the Jobs panel shows the progress and can cancel it.",
        ):
            return None
        project = session.project
        job = self.w.runner.start(
            f"Learn a unit LM from {session.name}", lambda state: learn_job(project, state)
        )

        def finished(version: object) -> None:
            self.w.statusBar().showMessage(
                f"Learned the unit LM {getattr(version, 'id', '')}: score the segments with "
                "Project ▸ Score with the unit LM",
                10_000,
            )

        job.finished.connect(finished)
        job.failed.connect(lambda msg: dialogs.show_error(self.w, msg))
        self.w.docks["jobs"].show()
        return job

    def next_in_queue(self) -> int | None:
        """Go to the next segment of this recording in review-queue order; its id."""
        session, rec = self.w.session, self.w.review.recording
        if session is None or rec is None:
            return None
        queue = [it.segment.id for it in review_queue(session.project, rec.id)]
        if not queue:
            self.w.statusBar().showMessage("Nothing left to review in this recording", 5000)
            return None
        current = self.w.review.current_segment()
        k = queue.index(current.id) + 1 if current is not None and current.id in queue else 0
        target = queue[k % len(queue)]
        self.w.review.go_to_segment(rec.id, target)
        return target


def install(window: MainWindow) -> UnitLMHook:
    hook = UnitLMHook(window)
    window.unit_lm = hook  # keeps it alive; tests reach it here
    return hook
