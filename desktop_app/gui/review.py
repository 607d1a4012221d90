"""The review workflow: one recording's waveform, transcript and playback in step.

Keeps the transcript selection, the waveform's selected region and the
playhead in sync (selection seeks; playback moves the selection), and
implements the keyboard commands that act on the current segment.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager

from PySide6.QtCore import QObject, Signal

from desktop_app.core.audio.peaks import PeakPyramid
from desktop_app.core.errors import JazbaError
from desktop_app.core.services.dto import RecordingInfo, SegmentInfo
from desktop_app.core.settings import Settings
from desktop_app.gui.playback import Player
from desktop_app.gui.segment_table_model import Col, SegmentTableModel, fmt_ms
from desktop_app.gui.session import ALL_RECORDINGS, ProjectSession
from desktop_app.gui.transcript_pane import TranscriptPane
from desktop_app.gui.undo import EditController
from desktop_app.gui.waveform_view import WaveformView

log = logging.getLogger(__name__)

SPEEDS = (0.5, 0.6, 0.75, 0.9, 1.0, 1.25, 1.5, 1.75, 2.0)
SEEK_STEP_MS = 2000
NEW_SEGMENT_MS = 2000


class ReviewController(QObject):
    message = Signal(str)  # transient status-bar text
    error = Signal(str)
    recording_changed = Signal(object)  # RecordingInfo | None
    speed_changed = Signal(float)
    loop_changed = Signal(bool)

    def __init__(
        self,
        waveform: WaveformView,
        pane: TranscriptPane,
        model: SegmentTableModel,
        player: Player,
        settings: Settings,
    ) -> None:
        super().__init__()
        self.waveform, self.pane, self.model, self.player = waveform, pane, model, player
        self.settings = settings
        self.session: ProjectSession | None = None
        self.editor: EditController | None = None
        self.recording: RecordingInfo | None = None
        self.tier_id: int | None = None
        self.looping = False
        self._syncing = False
        model.edit_handler = self._edit_from_table
        pane.current_changed.connect(self._current_changed)
        pane.activated.connect(lambda seg: self.play_segment(seg))
        waveform.seek_requested.connect(self.seek)
        waveform.segment_clicked.connect(self._region_clicked)
        waveform.segment_times_changed.connect(self._times_changed)
        player.position_changed.connect(self._position_changed)
        player.playing_changed.connect(self._playing_changed)
        player.error.connect(self.error)

    # -- project and recording ------------------------------------------------
    def set_session(self, session: ProjectSession | None, editor: EditController | None) -> None:
        self.player.stop()
        self.session, self.editor = session, editor
        self.recording = None
        self.tier_id = session.default_tier_id() if session else None
        if session is not None:
            session.segments_changed.connect(self._segments_changed)
            session.speakers_changed.connect(self._speakers_changed)
        self._show_recording(None)

    def open_recording(self, recording_id: int) -> None:
        if self.session is None:
            return
        try:
            info = self.session.recordings.get(recording_id)
        except JazbaError as exc:
            self.error.emit(str(exc))
            return
        self._show_recording(info)

    def open_recording_none(self) -> None:
        """Show no recording (e.g. before the shown one is removed)."""
        self._show_recording(None)

    def set_tier(self, tier_id: int | None) -> None:
        self.tier_id = tier_id
        self.reload_segments()

    def _show_recording(self, info: RecordingInfo | None) -> None:
        self.player.stop()
        self.recording = info
        self._set_looping(False)
        if info is None or self.session is None:
            self.player.set_source(None, 0)
            self.waveform.set_recording(None, None, 0)
            self.model.set_segments([])
            self.waveform.set_segments([])
            self.recording_changed.emit(None)
            return
        audio = self.session.project.abspath(info.model_audio_path)
        peaks = None
        try:
            peaks = PeakPyramid.load(self.session.project.abspath(info.peaks_path))
        except (OSError, ValueError) as exc:
            log.warning("no waveform for recording %s: %s", info.id, exc)
            self.error.emit(
                f"The waveform of '{info.title}' is missing or damaged ({exc}); "
                "re-import the recording to rebuild it."
            )
        self.waveform.set_recording(peaks, audio, info.duration_ms)
        self.player.set_source(audio, info.duration_ms)
        self.reload_segments()
        if self.model.rowCount():
            self.pane.select_row(0)
        self.recording_changed.emit(info)

    def reload_segments(self) -> None:
        if self.session is None or self.recording is None:
            return
        segs = self.session.segments.list(self.recording.id, self.tier_id)
        self.model.set_speakers(self.session.speaker_names())
        self.model.set_segments(segs)
        self.waveform.set_segments(segs)
        cur = self.pane.current_segment()
        self.waveform.select_segment(cur.id if cur else None, reveal=False)

    def _segments_changed(self, recording_id: int) -> None:
        if self.recording is not None and recording_id in (ALL_RECORDINGS, self.recording.id):
            self.reload_segments()

    def _speakers_changed(self) -> None:
        if self.session is not None:
            self.model.set_speakers(self.session.speaker_names())

    # -- sync ---------------------------------------------------------------------
    @contextmanager
    def _sync(self):
        old, self._syncing = self._syncing, True
        try:
            yield
        finally:
            self._syncing = old

    def _current_changed(self, seg: SegmentInfo | None) -> None:
        self.waveform.select_segment(seg.id if seg else None, reveal=not self._syncing)
        if seg is not None and not self._syncing and not self.player.is_playing:
            self.player.seek(seg.start_ms)

    def _region_clicked(self, segment_id: int, double: bool) -> None:
        self.pane.select_segment(segment_id)
        if double:
            seg = self.current_segment()
            if seg is not None:
                self.play_segment(seg)

    def _position_changed(self, ms: int) -> None:
        self.waveform.set_playhead(ms)
        if self.player.is_playing and not self.looping and not self.pane.is_editing():
            row = self.model.row_at(ms)
            if row >= 0 and row != self.pane.view.currentIndex().row():
                with self._sync():
                    self.pane.select_row(row)

    def _playing_changed(self, playing: bool) -> None:
        if not playing and self.looping:
            self._set_looping(False)

    def _set_looping(self, on: bool) -> None:
        if self.looping != on:
            self.looping = on
            self.loop_changed.emit(on)

    # -- playback commands -----------------------------------------------------------
    def current_segment(self) -> SegmentInfo | None:
        return self.pane.current_segment()

    def play_pause(self) -> None:
        if self.player.is_playing:
            self.player.pause()
        else:
            self.player.play()

    def play_segment(self, seg: SegmentInfo | None = None, loop: bool = False) -> None:
        seg = seg or self.current_segment()
        if seg is None:
            return
        self._set_looping(loop)
        self.player.play(seg.start_ms, seg.end_ms, loop=loop)

    def replay(self) -> None:
        self.play_segment()

    def set_loop(self, on: bool) -> None:
        if on and self.current_segment() is not None:
            self.play_segment(loop=True)
        else:
            self._set_looping(False)
            self.player.pause()

    def seek(self, ms: int) -> None:
        self.player.seek(ms)
        self.waveform.set_playhead(self.player.position_ms)
        row = self.model.row_at(self.player.position_ms)
        if row >= 0:
            with self._sync():
                self.pane.select_row(row)

    def seek_by(self, delta_ms: int) -> None:
        self.seek(self.player.position_ms + delta_ms)

    def change_speed(self, step: int) -> None:
        i = min(range(len(SPEEDS)), key=lambda k: abs(SPEEDS[k] - self.player.speed))
        self.set_speed(SPEEDS[min(len(SPEEDS) - 1, max(0, i + step))])

    def set_speed(self, speed: float) -> None:
        speed = self.player.set_speed(speed)
        self.settings.playback_speed = speed
        self.speed_changed.emit(speed)
        self.message.emit(f"Speed {speed:g}× (the pitch changes with the speed)")

    # -- navigation ---------------------------------------------------------------------
    def go_to_row(self, row: int, *, play: bool | None = None) -> None:
        if not 0 <= row < self.model.rowCount():
            return
        self.player.stop()
        self.pane.select_row(row)
        if self.settings.auto_advance if play is None else play:
            self.play_segment()

    def step(self, delta: int) -> None:
        row = self.pane.view.currentIndex().row()
        self.go_to_row(max(0, row + delta) if row >= 0 else 0)

    def next_low(self) -> None:
        row = self.model.next_low_row(self.pane.view.currentIndex().row())
        if row < 0:
            self.message.emit("No unapproved low-confidence segments left.")
            return
        self.go_to_row(row, play=False)

    def go_to_segment(self, recording_id: int, segment_id: int) -> bool:
        """Show a segment (switching recording and, if needed, tier) and seek to it."""
        if self.recording is None or self.recording.id != recording_id:
            self.open_recording(recording_id)
        if self.model.row_of(segment_id) < 0 and self.session is not None:
            try:
                self.tier_id = self.session.segments.get(segment_id).tier_id
            except JazbaError as exc:
                self.error.emit(str(exc))
                return False
            self.reload_segments()
        row = self.model.row_of(segment_id)
        if row < 0:
            return False
        self.player.stop()
        self.pane.select_row(row)
        seg = self.model.segment(row)
        if seg is not None:
            self.player.seek(seg.start_ms)
        return True

    # -- edits -------------------------------------------------------------------------
    def _edit_from_table(self, segment_id: int, col: Col, value: object) -> bool:
        if self.editor is None:
            return False
        if col == Col.TEXT:
            self.editor.edit_text(segment_id, str(value))
        elif col == Col.SPEAKER:
            self.editor.set_speaker([segment_id], value if isinstance(value, int) else None)
        elif col == Col.LANGUAGE:
            self.editor.set_language([segment_id], str(value) if value else None)
        elif col == Col.STATUS:
            self.editor.set_status([segment_id], str(value))
        return True

    def _times_changed(self, segment_id: int, start_ms: int, end_ms: int) -> None:
        if self.editor is not None and self.editor.set_times(segment_id, start_ms, end_ms) is None:
            self.reload_segments()  # refused: put the region back

    def approve_next(self) -> None:
        self.pane.commit_editor()
        seg = self.current_segment()
        if seg is None or self.editor is None:
            return
        if seg.status != "approved":
            self.editor.set_status([seg.id], "approved")
        row = self.model.row_of(seg.id)
        if row + 1 < self.model.rowCount():
            self.go_to_row(row + 1)
        else:
            self.message.emit("That was the last segment of this recording.")

    def split_at_playhead(self) -> None:
        self.pane.commit_editor()
        if self.editor is None:
            return
        ms = self.player.position_ms
        row = self.model.row_at(ms)
        seg = self.model.segment(row)
        if seg is None:
            self.error.emit(f"Cannot split: the playhead ({fmt_ms(ms)}) is not inside a segment.")
            return
        self.player.stop()
        if self.editor.split(seg.id, ms) is not None:
            self.message.emit(f"Split at {fmt_ms(ms)}")

    def merge_next(self) -> None:
        self.pane.commit_editor()
        seg = self.current_segment()
        if seg is not None and self.editor is not None:
            self.editor.merge_next(seg.id)

    def add_segment(self) -> None:
        if self.editor is None or self.recording is None:
            return
        start = self.player.position_ms
        if self.model.row_at(start) >= 0:
            self.error.emit("The playhead is inside a segment already; move it to a gap.")
            return
        end = min(start + NEW_SEGMENT_MS, self.recording.duration_ms)
        later = [s.start_ms for s in self.model.segments if s.start_ms > start]
        if later:
            end = min(end, later[0])
        result = self.editor.add(self.recording.id, start, end, self.tier_id)
        if result is not None:
            self.pane.select_segment(result.segment_id)
            self.pane.edit_text()

    def delete_selected(self) -> None:
        self.pane.commit_editor()
        if self.editor is not None:
            self.editor.delete(self.pane.selected_ids())

    def set_language(self, language: str | None) -> None:
        self.pane.commit_editor()
        if self.editor is not None:
            self.editor.set_language(self.pane.selected_ids(), language)

    def assign_speaker(self, speaker_id: int | None) -> None:
        self.pane.commit_editor()
        if self.editor is not None:
            self.editor.set_speaker(self.pane.selected_ids(), speaker_id)
