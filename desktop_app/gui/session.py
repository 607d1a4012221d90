"""The open project as the GUI sees it: services plus change notifications.

Widgets never touch the database: they read through the services held here
and learn about changes from this object's signals (napari-style: views
subscribe to model events). One session exists per open project.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from desktop_app.core.project import DEFAULT_TIER, Project
from desktop_app.core.services.confidence import ConfidenceService
from desktop_app.core.services.drafts import DraftService
from desktop_app.core.services.dto import RecordingInfo, SpeakerInfo, TierInfo
from desktop_app.core.services.languages import LanguageService
from desktop_app.core.services.recordings import RecordingService, display_labels
from desktop_app.core.services.search import SearchService
from desktop_app.core.services.segments import SegmentService
from desktop_app.core.services.speakers import SpeakerService, TierService

log = logging.getLogger(__name__)

ALL_RECORDINGS = -1
"""``segments_changed`` argument when an edit may touch any recording."""
GUI_WAIT_S = 5.0
"""How long an edit made in the window waits for another process's write before
it is refused as busy (jobs in worker threads wait the project's default)."""


class ProjectSession(QObject):
    recordings_changed = Signal()
    segments_changed = Signal(int)  # recording id, or ALL_RECORDINGS
    speakers_changed = Signal()
    tiers_changed = Signal()

    def __init__(self, project: Project, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project = project
        project.set_thread_wait(GUI_WAIT_S)  # the GUI thread: never hang for long
        self.recordings = RecordingService(project)
        self.segments = SegmentService(project)
        self.speakers = SpeakerService(project)
        self.tiers = TierService(project)
        self.search = SearchService(project)
        self.drafts = DraftService(project)
        self.confidence = ConfidenceService(project)
        self._speaker_names: dict[int, str] | None = None
        self._labels: dict[int, str] | None = None
        self.speakers_changed.connect(self._forget_speakers)
        self.recordings_changed.connect(self._forget_labels)  # first: before any view asks

    @property
    def path(self) -> Path:
        return self.project.path

    @property
    def name(self) -> str:
        return self.project.name

    def close(self) -> None:
        self.project.close()

    # -- cached look-ups for views -----------------------------------------
    def speaker_names(self) -> dict[int, str]:
        if self._speaker_names is None:
            self._speaker_names = {sp.id: sp.name for sp in self.speakers.list()}
        return self._speaker_names

    def speaker_list(self) -> list[SpeakerInfo]:
        return self.speakers.list()

    def _forget_speakers(self) -> None:
        self._speaker_names = None

    def recording_list(self) -> list[RecordingInfo]:
        items = self.recordings.list()
        self._labels = display_labels(items)
        return items

    def recording_labels(self) -> dict[int, str]:
        """Every recording's label: its title, numbered when titles repeat
        (see :func:`~desktop_app.core.services.recordings.display_labels`)."""
        if self._labels is None:
            self._labels = self.recordings.labels()
        return self._labels

    def recording_label(self, recording_id: int) -> str:
        label = self.recording_labels().get(recording_id)
        if label is None:  # added since the labels were made
            self._labels = None
            label = self.recording_labels().get(recording_id, f"recording #{recording_id}")
        return label

    def _forget_labels(self) -> None:
        self._labels = None

    def tier_list(self) -> list[TierInfo]:
        return self.tiers.list()

    def language_codes(self) -> list[str]:
        """The project's language list (Project settings): the choices every
        language drop-down offers. Read fresh: the list changes rarely and is small."""
        return LanguageService(self.project).codes()

    def default_tier_id(self) -> int | None:
        """The transcription tier (what the models write and reviewers correct)."""
        tiers = self.tiers.list()
        for tier in tiers:
            if tier.name == DEFAULT_TIER:
                return tier.id
        return tiers[0].id if tiers else None

    # -- notifications -----------------------------------------------------
    def notify_segments(self, recording_id: int | None) -> None:
        self.segments_changed.emit(ALL_RECORDINGS if recording_id is None else recording_id)
        self.recordings_changed.emit()  # the per-status counts changed
