"""The main window: menus, toolbar, docks and the review area.

The window wires the pieces together; the work is done by
:class:`~desktop_app.gui.review.controller.ReviewController` (the review workflow),
:class:`~desktop_app.gui.undo.EditController` (undoable edits),
:class:`~desktop_app.gui.project_ops.ProjectOps` (open/new/import/transcribe)
and the panels.
"""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QCloseEvent, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QLabel,
    QMainWindow,
    QSplitter,
    QStackedWidget,
)

from desktop_app.core.services.recordings import RecordingMeta
from desktop_app.core.settings import Settings, save_settings
from desktop_app.gui import actions as actionlib
from desktop_app.gui import open_hooks, shortcuts, theme, window_layout
from desktop_app.gui.capture import capture_hook
from desktop_app.gui.dialogs import common as dialogs
from desktop_app.gui.dialogs import menu_dialogs, save_copy_dialog
from desktop_app.gui.dialogs.help_dialog import HelpDialog
from desktop_app.gui.dialogs.history_dialog import show_segment_history
from desktop_app.gui.dialogs.settings_dialog import SettingsDialog
from desktop_app.gui.interop.interop_dialogs import install as install_interop
from desktop_app.gui.panels.jobs_panel import JobsPanel
from desktop_app.gui.panels.open_banner import OpenBanner, above
from desktop_app.gui.panels.recordings_panel import RecordingsPanel
from desktop_app.gui.panels.search_panel import SearchPanel
from desktop_app.gui.panels.speakers_panel import SpeakersPanel
from desktop_app.gui.panels.welcome import WelcomePage
from desktop_app.gui.project_ops import ProjectOps
from desktop_app.gui.review import speaker_menu, tier_stack_hook
from desktop_app.gui.review.controller import SEEK_STEP_MS, SPEEDS, ReviewController
from desktop_app.gui.review.playback import OutputFactory, Player
from desktop_app.gui.review.segment_table_model import SegmentTableModel, fmt_ms
from desktop_app.gui.review.transcript_pane import TranscriptPane
from desktop_app.gui.review.waveform_view import WaveformView
from desktop_app.gui.session import ProjectSession
from desktop_app.gui.speakers.diarize_hook import install as install_diarization
from desktop_app.gui.tier_ops import TierOps
from desktop_app.gui.training.training_view import install as install_training
from desktop_app.gui.undo import EditController
from desktop_app.gui.units.unit_lm_hook import install as install_unit_lm
from desktop_app.gui.workers import JobRunner

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings, output_factory: OutputFactory | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.setWindowTitle("Jazba")
        self.setWindowIcon(theme.load_icon("jazba", "#ffffff"))
        self.resize(1360, 860)
        self.session: ProjectSession | None = None
        self.editor: EditController | None = None
        self.undo_stack = QUndoStack(self)
        self.runner = JobRunner(parent=self)
        self.player = Player(output_factory, self)
        self.player.set_speed(settings.playback_speed)

        # central: welcome page or waveform + transcript
        self.welcome = WelcomePage()
        self.waveform = WaveformView()
        self.segment_model = SegmentTableModel(self)
        langs = lambda: self.session.language_codes() if self.session else ["kk", "ru"]  # noqa: E731
        self.transcript = TranscriptPane(self.segment_model, self._speaker_choices, langs)
        self.review = ReviewController(
            self.waveform, self.transcript, self.segment_model, self.player, settings
        )
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.waveform)
        split.addWidget(self.transcript)
        split.setSizes([330, 470])
        split.setChildrenCollapsible(False)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(split)
        self.banner = OpenBanner()  # what opening the project found (read-only, …)
        self.banner.save_copy_requested.connect(lambda: save_copy_dialog.open_save_copy(self))
        self.setCentralWidget(above(self.banner, self.stack))

        # docks
        self.recordings = RecordingsPanel()
        self.speakers = SpeakersPanel()
        self.search = SearchPanel()
        self.jobs = JobsPanel(self.runner)
        self.docks: dict[str, QDockWidget] = {}
        for key, title, widget, area in (
            ("recordings", "Recordings", self.recordings, Qt.DockWidgetArea.LeftDockWidgetArea),
            ("speakers", "Speakers", self.speakers, Qt.DockWidgetArea.LeftDockWidgetArea),
            ("search", "Search", self.search, Qt.DockWidgetArea.RightDockWidgetArea),
            ("jobs", "Jobs", self.jobs, Qt.DockWidgetArea.BottomDockWidgetArea),
        ):
            dock = QDockWidget(title, self)
            dock.setObjectName(f"dock_{key}")
            dock.setWidget(widget)
            dock.setFeatures(
                QDockWidget.DockWidgetFeature.DockWidgetMovable
                | QDockWidget.DockWidgetFeature.DockWidgetClosable
            )
            self.addDockWidget(area, dock)
            self.docks[key] = dock
        self.resizeDocks(
            [self.docks["recordings"], self.docks["search"]], [270, 290], Qt.Orientation.Horizontal
        )
        self.resizeDocks(
            [self.docks["recordings"], self.docks["speakers"]], [330, 300], Qt.Orientation.Vertical
        )
        self.resizeDocks([self.docks["jobs"]], [130], Qt.Orientation.Vertical)

        self.ops = ProjectOps(self)
        self.tiers = TierOps(self)
        self.keys = shortcuts.effective_keys(settings.shortcuts)
        self.actions = actionlib.build_actions(self, self.keys, self._handlers())
        self._build_menus()
        install_interop(self)  # Project menu: Import annotations…, Export…
        install_unit_lm(self)  # quality strip, unit-LM scoring, review queue
        self.diarize_hook = install_diarization(self)  # Identify speakers…, suggestions
        install_training(self)  # Project menu: Train a better model…
        menu_dialogs.install(self)  # Save a copy…, Project settings…, vocabularies, word list
        self.tier_stack = tier_stack_hook.install(self)  # every tier under the waveform
        self._build_toolbar()
        self._build_status_bar()
        self._connect()
        self.actions["auto_advance"].setChecked(settings.auto_advance)
        self.actions["dark_theme"].setChecked(settings.theme == "dark")
        self.actions["spectrogram"].setChecked(settings.show_spectrogram)
        self.actions["snap"].setChecked(settings.snap_to_silence)
        self.waveform.snap_enabled = settings.snap_to_silence
        self.waveform.set_spectrogram_visible(settings.show_spectrogram)
        self._restore_geometry()
        self.set_session(None)

    # -- construction ---------------------------------------------------------------
    def _handlers(self) -> dict:
        r = self.review
        return {
            "new_project": self.ops.new_project,
            "open_project": self.ops.open_project_dialog,
            "open_demo": self.ops.open_demo,
            "import_audio": self.ops.import_audio,
            "record": lambda: capture_hook.record_clicked(self),
            "close_project": self.ops.close_project,
            "transcribe": self.ops.transcribe_current,
            "settings": self.open_settings,
            "quit": self.close,
            "play_pause": r.play_pause,
            "replay": r.replay,
            "loop": r.set_loop,
            "seek_back": lambda: r.seek_by(-SEEK_STEP_MS),
            "seek_forward": lambda: r.seek_by(SEEK_STEP_MS),
            "slower": lambda: r.change_speed(-1),
            "faster": lambda: r.change_speed(+1),
            "auto_advance": self._set_auto_advance,
            "prev_segment": lambda: r.step(-1),
            "next_segment": lambda: r.step(+1),
            "next_low": r.next_low,
            "next_low_word": r.next_low_word,
            "edit_text": self._edit_text,
            "search": self._focus_search,
            "undo": self.undo,
            "redo": self.redo,
            "approve_next": r.approve_next,
            "split": r.split_at_playhead,
            "merge": r.merge_next,
            "add_segment": r.add_segment,
            "delete_segment": r.delete_selected,
            "set_speaker": self.choose_speaker,
            "lang_kk": lambda: r.set_language("kk"),
            "lang_ru": lambda: r.set_language("ru"),
            "lang_mixed": lambda: r.set_language("mixed"),
            "history": self.show_history,
            "zoom_in": lambda: self.waveform.zoom(2.0),
            "zoom_out": lambda: self.waveform.zoom(0.5),
            "zoom_fit": self.waveform.zoom_fit,
            "spectrogram": self._set_spectrogram,
            "snap": self._set_snap,
            "prev_recording": lambda: self.step_recording(-1),
            "next_recording": lambda: self.step_recording(+1),
            "next_tier": lambda: self.tiers.next_tier(),
            "new_tier": lambda: self.tiers.new_tier(),
            "rename_tier": lambda: self.tiers.rename_tier(),
            "dark_theme": lambda on: self.set_theme("dark" if on else "light"),
            "help": self.show_help,
        }

    def _build_menus(self) -> None:
        self.recent_menu = window_layout.build_menus(self.menuBar(), self.actions, self.docks)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)

    def _build_toolbar(self) -> None:
        self.speed_box = QComboBox()
        for s in SPEEDS:
            self.speed_box.addItem(f"{s:g}×", s)
        self.speed_box.setToolTip("Playback speed (the pitch changes with the speed)")
        self.tier_box = QComboBox()
        self.tier_box.setToolTip("Tier shown in the transcript")
        self.tier_box.setMinimumWidth(130)
        for box in (self.speed_box, self.tier_box):
            box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        extra = {"@speed": [self.speed_box], "@tier": [QLabel("  Tier "), self.tier_box]}
        self.addToolBar(window_layout.build_toolbar(self.actions, extra))
        self._sync_speed_box(self.player.speed)

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.position_label = QLabel("")
        self.speed_label = QLabel("")
        self.saved_label = QLabel("")
        for w in (self.saved_label, self.speed_label, self.position_label):
            sb.addPermanentWidget(w)
        self._update_speed_label(self.player.speed)

    def _connect(self) -> None:
        r = self.review
        r.message.connect(lambda m: self.statusBar().showMessage(m, 5000))
        r.error.connect(self.show_status_error)
        r.recording_changed.connect(self._recording_changed)
        r.speed_changed.connect(self._sync_speed_box)
        r.speed_changed.connect(self._update_speed_label)
        r.loop_changed.connect(self._loop_changed)
        self.player.position_changed.connect(self._update_position)
        self.player.playing_changed.connect(self._playing_changed)
        self.speed_box.activated.connect(lambda i: r.set_speed(self.speed_box.itemData(i)))
        self.tier_box.activated.connect(lambda i: r.set_tier(self.tier_box.itemData(i)))
        self.recordings.recording_selected.connect(r.open_recording)
        self.recordings.import_requested.connect(self.ops.import_audio)
        self.recordings.edit_requested.connect(self.ops.edit_recording)
        self.recordings.remove_requested.connect(self.ops.remove_recording)
        self.recordings.rename_requested.connect(self.rename_recording)
        self.speakers.assign_requested.connect(r.assign_speaker)
        self.speakers.error.connect(self.show_status_error)
        self.search.jump_requested.connect(self.jump_to_hit)
        self.search.play_requested.connect(self.play_hit)
        self.search.error.connect(self.show_status_error)
        self.welcome.new_requested.connect(self.ops.new_project)
        self.welcome.open_requested.connect(self.ops.open_project_dialog)
        self.welcome.demo_requested.connect(self.ops.open_demo)
        self.welcome.recent_requested.connect(self.ops.open_project)
        self.undo_stack.canUndoChanged.connect(lambda _b: self._update_undo_actions())
        self.undo_stack.canRedoChanged.connect(lambda _b: self._update_undo_actions())
        self.undo_stack.indexChanged.connect(lambda _i: self._update_undo_actions())
        theme.manager().changed.connect(self._theme_changed)

    # -- session ---------------------------------------------------------------------
    def set_session(self, session: ProjectSession | None) -> None:
        """Show ``session`` (or the welcome page); the caller closed the old one."""
        self.undo_stack.clear()
        self.session = session
        self.editor = EditController(session, self.undo_stack) if session else None
        if self.editor is not None:
            self.editor.error.connect(self.show_status_error)
            self.editor.edited.connect(self._saved)
            self.editor.restore_history()  # the undo stack survives a restart
        self.review.set_session(session, self.editor)
        self.speakers.set_session(session, self.editor)
        self.search.set_session(session)
        has = session is not None
        for action_id in window_layout.NEEDS_PROJECT:
            self.actions[action_id].setEnabled(has)
        self._update_undo_actions()
        self.tier_box.setEnabled(has)
        self.stack.setCurrentIndex(1 if has else 0)
        for key, dock in self.docks.items():  # the Jobs panel shows up with the first job
            dock.setVisible(bool(self.runner.jobs) if key == "jobs" else has)
        self.setWindowTitle(f"{session.name} — Jazba" if session else "Jazba")
        self.welcome.set_recent(self.settings.recent_projects)
        self.saved_label.setText("")
        self.banner.show_report(session.project.open_report if session else None)
        if session is None:
            self.recordings.set_recordings([])
            self.tier_box.clear()
            return
        session.recordings_changed.connect(self.refresh_recordings)
        session.speakers_changed.connect(self.refresh_recordings)  # names in the tooltips
        session.tiers_changed.connect(self.refresh_tiers)
        self.refresh_tiers()
        self.refresh_recordings()
        first = self.recordings.model.recording(0)
        if first is not None:
            self.recordings.select(first.id)
        self.transcript.view.setFocus()
        open_hooks.after_open(self, session)  # interrupted work, the model pre-load

    def refresh_recordings(self) -> None:
        if self.session is not None:
            self.recordings.set_recordings(self.session.recording_list())
            self._update_transcript_title()  # a label changes when titles come to repeat

    def refresh_tiers(self) -> None:
        self.tier_box.clear()
        if self.session is None:
            return
        for tier in self.session.tier_list():
            self.tier_box.addItem(tier.name, tier.id)
        self.tier_box.setCurrentIndex(max(0, self.tier_box.findData(self.review.tier_id)))

    # -- commands ------------------------------------------------------------------------
    def undo(self) -> None:
        self.transcript.commit_editor()
        self.undo_stack.undo()

    def redo(self) -> None:
        self.transcript.commit_editor()
        self.undo_stack.redo()

    def choose_speaker(self) -> None:
        if self.session is None:
            return
        self.transcript.commit_editor()
        value = speaker_menu.ask_speaker(self.transcript.view, self.session.speaker_list())
        if value == speaker_menu.NEW_SPEAKER:
            sp = self.speakers.create()
            if sp is not None:
                self.review.assign_speaker(sp.id)
        elif value is not None:
            self.review.assign_speaker(None if value == speaker_menu.NO_SPEAKER else value)

    def step_recording(self, delta: int) -> None:
        """Show the previous/next recording of the list (keyboard navigation)."""
        model, current = self.recordings.model, self.review.recording
        ids = [r.id for row in range(model.rowCount()) if (r := model.recording(row))]
        if not ids:
            return
        k = ids.index(current.id) if current is not None and current.id in ids else -1
        target = ids[min(len(ids) - 1, max(0, k + delta))]
        if current is None or target != current.id:
            self.transcript.commit_editor()
            self.recordings.select(target)
        self.transcript.view.setFocus()

    def rename_recording(self, recording_id: int, title: str) -> bool:
        """A title typed in the recordings list (F2 or double-click)."""
        return self.ops.update_recording(recording_id, RecordingMeta(title=title))

    def show_history(self) -> None:
        seg = self.review.current_segment()
        if self.session is not None and seg is not None and self.editor is not None:
            show_segment_history(self, self.session, self.editor, seg)

    def show_help(self) -> None:
        HelpDialog(self.keys, self).exec()

    def open_settings(self) -> None:
        dialog = SettingsDialog(self.settings, self)
        if dialog.exec():
            self.apply_settings(dialog.result_settings())

    def apply_settings(self, new: Settings) -> None:
        self.settings.__dict__.update(new.__dict__)
        self.keys = shortcuts.effective_keys(self.settings.shortcuts)
        actionlib.apply_keys(self.actions, self.keys)
        self.review.refresh_low_confidence()
        self.actions["auto_advance"].setChecked(self.settings.auto_advance)
        self.actions["snap"].setChecked(self.settings.snap_to_silence)
        self.actions["dark_theme"].setChecked(self.settings.theme == "dark")
        self.set_theme(self.settings.theme)
        save_settings(self.settings)

    def set_theme(self, name: str) -> None:
        self.settings.theme = name
        if theme.current().name != name:
            theme.manager().apply(name)

    def jump_to_hit(self, hit) -> bool:
        self.recordings.select(hit.recording_id)
        return self.review.go_to_segment(hit.recording_id, hit.segment_id)

    def play_hit(self, hit) -> None:
        if self.jump_to_hit(hit):
            self.review.play_segment()

    def show_status_error(self, message: str) -> None:
        log.info("shown to the user: %s", message)
        self.statusBar().showMessage(f"⚠ {message}", 10000)

    # -- small slots ---------------------------------------------------------------------
    def _speaker_choices(self) -> list[tuple[str, object]]:
        return [(sp.name, sp.id) for sp in self.session.speaker_list()] if self.session else []

    def _edit_text(self) -> None:
        """The Edit key (F2) renames a recording in the list, else edits the text."""
        if self.recordings.view.hasFocus():
            self.recordings.rename_current()
        else:
            self.transcript.edit_text()

    def _focus_search(self) -> None:
        self.docks["search"].show()
        self.docks["search"].raise_()
        self.search.focus_query()

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in self.settings.recent_projects:
            self.recent_menu.addAction(path, lambda p=path: self.ops.open_project(p))
        self.recent_menu.setEnabled(bool(self.settings.recent_projects))

    def _set_auto_advance(self, on: bool) -> None:
        self.settings.auto_advance = on

    def _set_snap(self, on: bool) -> None:
        self.settings.snap_to_silence = on
        self.waveform.snap_enabled = on

    def _set_spectrogram(self, on: bool) -> None:
        self.settings.show_spectrogram = on
        self.waveform.set_spectrogram_visible(on)

    def _recording_changed(self, info) -> None:
        if info is not None:
            self.recordings.select(info.id)
        self._update_transcript_title()
        self._update_position(0)

    def _update_transcript_title(self) -> None:
        info, session = self.review.recording, self.session
        label = session.recording_label(info.id) if info and session else None
        self.transcript.title.setText(f"Transcript — {label}" if label else "Transcript")

    def _update_position(self, ms: int) -> None:
        info = self.review.recording
        self.position_label.setText(
            f"{fmt_ms(ms)} / {fmt_ms(info.duration_ms)}" if info is not None else ""
        )

    def _update_speed_label(self, speed: float) -> None:
        self.speed_label.setText(f"Speed {speed:g}×")

    def _sync_speed_box(self, speed: float) -> None:
        i = self.speed_box.findData(speed)
        if i >= 0:
            self.speed_box.setCurrentIndex(i)

    def _playing_changed(self, playing: bool) -> None:
        a = self.actions["play_pause"]
        a.setIcon(theme.icon("pause" if playing else "play"))
        a.setText("&Pause" if playing else "&Play / pause")

    def _loop_changed(self, on: bool) -> None:
        a = self.actions["loop"]
        a.blockSignals(True)
        a.setChecked(on)
        a.blockSignals(False)

    def _saved(self, _result: object) -> None:
        self.saved_label.setText(f"✓ Saved {time.strftime('%H:%M:%S')}")

    def _update_undo_actions(self) -> None:
        has = self.session is not None
        u, r = self.actions["undo"], self.actions["redo"]
        u.setEnabled(has and self.undo_stack.canUndo())
        r.setEnabled(has and self.undo_stack.canRedo())
        u.setText(f"&Undo {self.undo_stack.undoText()}".strip())
        r.setText(f"&Redo {self.undo_stack.redoText()}".strip())

    def _theme_changed(self, t: theme.Theme) -> None:
        actionlib.refresh_icons(self.actions)
        self._playing_changed(self.player.is_playing)
        self.waveform.set_theme(t)
        for view in self.findChildren(QAbstractItemView):
            view.viewport().update()

    # -- window state ----------------------------------------------------------------------
    def _restore_geometry(self) -> None:
        if self.settings.window_geometry:
            self.restoreGeometry(QByteArray.fromBase64(self.settings.window_geometry.encode()))
        if self.settings.window_state:
            self.restoreState(QByteArray.fromBase64(self.settings.window_state.encode()))

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.runner.running() and not dialogs.confirm(
            self, "Jobs are still running. Cancel them and quit?"
        ):
            event.ignore()
            return
        self.settings.window_geometry = bytes(self.saveGeometry().toBase64().data()).decode()
        self.settings.window_state = bytes(self.saveState().toBase64().data()).decode()
        self.ops.close_project(ask=False)
        self.runner.shutdown()
        self.player.shutdown()
        save_settings(self.settings)
        event.accept()
