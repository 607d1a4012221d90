"""The review workflow: one recording's waveform, transcript and playback in step.

Keeps the transcript selection, the waveform's selected region and the
playhead in sync (selection seeks; playback moves the selection), and
implements the keyboard commands that act on the current segment.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication

from desktop_app.core.audio.peaks import PeakPyramid
from desktop_app.core.errors import JazbaError
from desktop_app.core.services.confidence import LowConfidence
from desktop_app.core.services.dto import RecordingInfo, SegmentInfo
from desktop_app.core.services.segments import MIN_SEGMENT_MS
from desktop_app.core.settings import Settings
from desktop_app.gui.review.playback import Player
from desktop_app.gui.review.segment_table_model import Col, SegmentTableModel, fmt_ms
from desktop_app.gui.review.transcript_pane import TranscriptPane
from desktop_app.gui.review.waveform_view import WaveformView
from desktop_app.gui.review.word_lang_strip import WordLangBinder
from desktop_app.gui.review.word_spans import next_low_word
from desktop_app.gui.session import ALL_RECORDINGS, ProjectSession
from desktop_app.gui.undo import EditController

log = logging.getLogger(__name__)

SPEEDS = (0.5, 0.6, 0.75, 0.9, 1.0, 1.25, 1.5, 1.75, 2.0)
SEEK_STEP_MS = 2000
NEW_SEGMENT_MS = 2000
MAX_NEW_SEGMENT_MS = 30_000  # "to the next silence" looks this far ahead at most


def _snap_suppressed() -> bool:
    """Holding Alt while dragging or drawing places boundaries exactly."""
    return bool(QGuiApplication.keyboardModifiers() & Qt.KeyboardModifier.AltModifier)


def _fit(snapped: int, raw: int, lo: int, hi: int, *, end: bool = False) -> int:
    """``snapped`` if it keeps the segment inside ``[lo, hi]`` and at least
    ``MIN_SEGMENT_MS`` long (``lo`` is the start when fitting an end, ``hi`` the
    end when fitting a start), else ``raw``."""
    if end:
        return snapped if lo + MIN_SEGMENT_MS <= snapped <= hi else raw
    return snapped if lo <= snapped <= hi - MIN_SEGMENT_MS else raw


class ReviewController(QObject):
    message = Signal(str)  # transient status-bar text
    error = Signal(str)
    recording_changed = Signal(object)  # RecordingInfo | None
    speed_changed = Signal(float)
    loop_changed = Signal(bool)
    tier_changed = Signal(object)  # the tier id shown in the table (int | None)

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
        self._stale = False  # segments changed while an editor was open
        model.edit_handler = self._edit_from_table
        for col in Col:  # any editor closing: show what changed meanwhile
            delegate = pane.view.itemDelegateForColumn(col)
            if delegate is not None:  # (not queued: the editor it names is deleted by then)
                delegate.closeEditor.connect(self._editor_closed)
        pane.current_changed.connect(self._current_changed)
        pane.activated.connect(lambda seg: self.play_segment(seg))
        pane.word_clicked.connect(self._word_clicked)
        waveform.seek_requested.connect(self.seek)
        waveform.segment_clicked.connect(self._region_clicked)
        waveform.segment_times_changed.connect(self._times_changed)
        waveform.range_drawn.connect(self.draw_segment)
        player.position_changed.connect(self._position_changed)
        player.playing_changed.connect(self._playing_changed)
        player.error.connect(self.error)
        self.word_langs = WordLangBinder(self)  # the current segment's word languages

    # -- project and recording ------------------------------------------------
    def set_session(self, session: ProjectSession | None, editor: EditController | None) -> None:
        self.player.stop()
        self.session, self.editor = session, editor
        writable = session is not None and not session.project.read_only
        self.pane.journal.set_services(  # (a read-only project keeps no drafts)
            session.drafts if writable else None, session.segments if writable else None
        )
        self.recording = None
        self.tier_id = session.default_tier_id() if session else None
        if session is not None:
            session.segments_changed.connect(self._segments_changed)
            session.speakers_changed.connect(self._speakers_changed)
        self._show_recording(None)
        self.tier_changed.emit(self.tier_id)

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
        self.tier_changed.emit(tier_id)

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
        self.model.set_low_confidence(self._low_confidence(segs))
        self.model.set_segments(segs)
        self.waveform.set_segments(segs)
        cur = self.pane.current_segment()
        self.waveform.select_segment(cur.id if cur else None, reveal=False)

    def _low_confidence(self, segs: list[SegmentInfo]) -> LowConfidence:
        """What is "low" for these segments: calibrated to each model version
        in this project, unless the user set a fixed threshold in Settings."""
        fixed = self.settings.low_confidence if self.settings.low_confidence_fixed else None
        if self.session is None:
            return LowConfidence(fixed)
        return self.session.confidence.policy((s.model_version_id for s in segs), fixed)

    def refresh_low_confidence(self) -> None:
        """Apply a changed Settings threshold to the shown segments."""
        self.model.set_low_confidence(self._low_confidence(self.model.segments))

    def _segments_changed(self, recording_id: int) -> None:
        if self.recording is not None and recording_id in (ALL_RECORDINGS, self.recording.id):
            if self.pane.is_editing():  # a reload would close the editor under the typist
                self._stale = True
                return
            self.reload_segments()

    def _editor_closed(self, *_args: object) -> None:
        if self._stale:  # once the view has closed the editor
            QTimer.singleShot(0, self._reload_if_stale)

    def _reload_if_stale(self) -> None:
        if self._stale and not self.pane.is_editing():
            self._stale = False
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
        self.pane.set_playhead(ms)
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

    def next_low_word(self) -> None:
        """Move the playhead to the next low-confidence word after it (through
        the unapproved segments in time order, wrapping around)."""
        self.pane.commit_editor()
        found = next_low_word(
            self.model.segments, self.player.position_ms, self.model.word_threshold
        )
        if found is None:
            self.message.emit("No low-confidence words left in unapproved segments.")
            return
        seg, word, ms = found
        self.pane.select_segment(seg.id)
        self.player.seek(ms)
        p = f" (probability {word.p:.2f})" if word.p is not None else ""
        self.message.emit(f"Low-confidence word “{word.text}”{p} at {fmt_ms(ms)}")

    def _word_clicked(self, seg: SegmentInfo, ms: int) -> None:
        self.pane.select_segment(seg.id, scroll=False)
        self.player.seek(ms)

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
            self.tier_changed.emit(self.tier_id)
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
        """A boundary was dragged: snap the moved edge(s) to nearby silence, save."""
        old = self.model.segment(self.model.row_of(segment_id))
        if old is not None and not _snap_suppressed():
            lo, hi = self._free_span(segment_id)
            if start_ms != old.start_ms:
                start_ms = _fit(self.waveform.snap_ms(start_ms), start_ms, lo, end_ms)
            if end_ms != old.end_ms:
                end_ms = _fit(self.waveform.snap_ms(end_ms), end_ms, start_ms, hi, end=True)
        if self.editor is not None and self.editor.set_times(segment_id, start_ms, end_ms) is None:
            self.reload_segments()  # refused: put the region back

    def _free_span(
        self, segment_id: int | None = None, at_ms: int | None = None
    ) -> tuple[int, int]:
        """The gap between the neighbours of ``segment_id`` (or around ``at_ms``)."""
        segs = [s for s in self.model.segments if s.id != segment_id]
        if segment_id is not None:
            me = self.model.segment(self.model.row_of(segment_id))
            at_ms = me.start_ms if me is not None else 0
        at = at_ms or 0
        lo = max((s.end_ms for s in segs if s.end_ms <= at), default=0)
        total = self.recording.duration_ms if self.recording else 0
        hi = min((s.start_ms for s in segs if s.start_ms >= at), default=total)
        return lo, hi

    def draw_segment(self, start_ms: int, end_ms: int) -> None:
        """A range drawn on the waveform (Shift+drag) becomes a segment, its edges
        snapped to nearby silence and kept off the neighbouring segments."""
        if self.editor is None or self.recording is None:
            return
        self.pane.commit_editor()
        if self.model.row_at(start_ms) >= 0:
            self.error.emit("A new segment must start in a gap between segments.")
            return
        lo, hi = self._free_span(at_ms=start_ms)
        if not _snap_suppressed():
            start_ms = _fit(self.waveform.snap_ms(start_ms), start_ms, lo, end_ms)
            end_ms = _fit(self.waveform.snap_ms(end_ms), end_ms, start_ms, hi, end=True)
        self._create(max(lo, start_ms), min(hi, end_ms))

    def _create(self, start_ms: int, end_ms: int) -> None:
        if end_ms - start_ms < MIN_SEGMENT_MS:
            self.error.emit(
                f"Too short for a segment ({end_ms - start_ms} ms); draw at least "
                f"{MIN_SEGMENT_MS} ms in a gap."
            )
            return
        assert self.editor is not None and self.recording is not None
        result = self.editor.add(self.recording.id, start_ms, end_ms, self.tier_id)
        if result is not None:
            self.pane.select_segment(result.segment_id)
            self.player.seek(start_ms)
            self.pane.edit_text()

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
        """A segment from the playhead to the next silence (the sound starting
        at or after the playhead, up to the next pause or segment); where there
        is no sound before the next segment, a 2-second one at the playhead."""
        if self.editor is None or self.recording is None:
            return
        self.pane.commit_editor()
        start = self.player.position_ms
        if self.model.row_at(start) >= 0:
            self.error.emit("The playhead is inside a segment already; move it to a gap.")
            return
        _lo, hi = self._free_span(at_ms=start)
        span = self.waveform.sound_span_ms(start, min(hi, start + MAX_NEW_SEGMENT_MS))
        if span is not None and span[1] - span[0] >= MIN_SEGMENT_MS:
            start, end = span
        else:
            end = min(start + NEW_SEGMENT_MS, hi)
        self._create(start, end)

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
