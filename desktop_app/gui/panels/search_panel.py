"""Concordance search over every transcript, with jump-to-hit and play-hit.

The query is read as words (the last may be the start of a word), whole
words, or a regular expression, over all tiers or one, optionally telling
capitals apart. Each hit is a keyword-in-context line (left context, the
match in bold, right context) with its recording, time, tier and speaker; a
single click on a hit (or Enter in the query) jumps to it; a double click,
Enter in the list or "Play hit" jumps and plays its segment;
"Export hits…" writes the list as CSV. The hits follow the transcripts: after
any edit or job (the session's ``segments_changed``) the search runs again,
keeping the chosen hit selected; while the panel is hidden it runs when the
panel is shown again. Searches the index can narrow take well under 100 ms
on 100,000 segments (see ``benchmarks/concordance.py``) and run in the GUI
thread; a pattern that has to scan every segment runs in a worker
(:mod:`.search_worker`) while the panel says "Searching…".
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.errors import JazbaError
from desktop_app.core.services.concordance import ConcordanceHit, Mode, SearchPatternError, plan
from desktop_app.gui import theme
from desktop_app.gui.panels.concordance_model import (
    HIT_ROLE,
    ConcordanceModel,
    KwicCol,
    LeftElideDelegate,
)
from desktop_app.gui.panels.search_worker import SearchWorker
from desktop_app.gui.session import ProjectSession

__all__ = ["HIT_ROLE", "SearchPanel", "ask_csv_path"]
LIMIT = 1000
MODES: tuple[tuple[str, Mode], ...] = (
    ("Words", "prefix"),
    ("Whole word", "word"),
    ("Regex", "regex"),
)
PLACEHOLDERS = {
    "prefix": "Search all transcripts…",
    "word": "Whole words, e.g. алматы…",
    "regex": r"Regular expression, e.g. \bалмат\w*…",
}


def ask_csv_path(parent: QWidget | None, start: Path) -> Path | None:
    """Where to write the hit list (None: cancelled)."""
    path, _ = QFileDialog.getSaveFileName(
        parent, "Export hits as CSV", str(start), "CSV (*.csv);;All files (*)"
    )
    if not path:
        return None
    out = Path(path)
    return out if out.suffix else out.with_suffix(".csv")


class SearchPanel(QWidget):
    jump_requested = Signal(object)  # ConcordanceHit
    play_requested = Signal(object)  # ConcordanceHit
    error = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.session: ProjectSession | None = None
        self.query = QLineEdit()
        self.query.setClearButtonEnabled(True)
        theme.bind_icon(
            self.query.addAction(theme.icon("search"), QLineEdit.ActionPosition.LeadingPosition),
            "search",
        )
        self.mode = QComboBox()
        for label, mode in MODES:
            self.mode.addItem(label, mode)
        self.mode.setToolTip(
            "Words: the last word may be the start of a word. Whole word: exact words. "
            "Regex: a regular expression (Python syntax)."
        )
        self.tier = QComboBox()
        self.tier.setToolTip("Search all tiers or one")
        self.case = QCheckBox("Aa")
        self.case.setToolTip("Tell capitals from small letters (Қ ≠ қ)")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #c0392b;")
        self.message.hide()
        self.model = ConcordanceModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setWordWrap(False)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.view.setItemDelegateForColumn(KwicCol.LEFT, LeftElideDelegate(self.view))
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for col, width in ((KwicCol.LEFT, 220), (KwicCol.RIGHT, 220), (KwicCol.RECORDING, 110)):
            header.resizeSection(col, width)
        header.setSectionResizeMode(KwicCol.MATCH, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.view.clicked.connect(self._activated)  # one click jumps
        self.view.activated.connect(self._play_index)  # Enter or double click: play it
        self.count = QLabel("")
        self.export_button = QPushButton("Export hits…")
        self.export_button.setToolTip("Write the hits as a CSV table")
        self.export_button.clicked.connect(self.export_hits)
        self.export_button.setEnabled(False)
        self.play_button = QPushButton("Play hit")
        theme.bind_icon(self.play_button, "play")
        self.play_button.clicked.connect(self._play)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(200)
        self._timer.timeout.connect(self.run_search)
        self.query.textChanged.connect(lambda _t: self._timer.start())
        self.query.returnPressed.connect(self._return_pressed)
        self.mode.currentIndexChanged.connect(self._options_changed)
        self.tier.currentIndexChanged.connect(self._options_changed)
        self.case.toggled.connect(self._options_changed)
        self._stale = False  # the transcripts changed while the panel was hidden
        self.worker = SearchWorker(self)
        self.worker.finished.connect(self._worker_finished)
        self._kept: ConcordanceHit | None = None
        self._options_changed()
        top = QHBoxLayout()
        top.addWidget(self.query, 1)
        top.addWidget(self.mode)
        top.addWidget(self.tier)
        top.addWidget(self.case)
        row = QHBoxLayout()
        row.addWidget(self.count, 1)
        row.addWidget(self.export_button)
        row.addWidget(self.play_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.view, 1)
        layout.addLayout(row)

    def set_session(self, session: ProjectSession | None) -> None:
        self.session = session
        self.worker.next_generation()  # a search of the last project never shows here
        self.model.set_hits([])
        self.count.setText("")
        self.export_button.setEnabled(False)
        self._stale = False
        self._fill_tiers()
        if session is not None:
            session.segments_changed.connect(self._segments_changed)
            session.recordings_changed.connect(self._segments_changed)  # labels in the hits
            session.speakers_changed.connect(self._segments_changed)  # speaker names
            session.tiers_changed.connect(self._tiers_changed)

    def focus_query(self) -> None:
        self.query.setFocus()
        self.query.selectAll()

    # -- options ---------------------------------------------------------------------
    def current_mode(self) -> Mode:
        return self.mode.currentData()

    def set_mode(self, mode: Mode) -> None:
        self.mode.setCurrentIndex(self.mode.findData(mode))

    def current_tier_id(self) -> int | None:
        return self.tier.currentData()

    def set_tier(self, tier_id: int | None) -> None:
        self.tier.setCurrentIndex(max(0, self.tier.findData(tier_id)))

    def _fill_tiers(self) -> None:
        kept = self.current_tier_id()
        self.tier.blockSignals(True)
        self.tier.clear()
        self.tier.addItem("All tiers", None)
        for t in self.session.tier_list() if self.session is not None else []:
            self.tier.addItem(t.name, t.id)
        self.tier.setCurrentIndex(max(0, self.tier.findData(kept)))
        self.tier.blockSignals(False)

    def _tiers_changed(self) -> None:
        self._fill_tiers()  # a removed tier falls back to all tiers
        self._segments_changed()  # tier names in the hits

    def _options_changed(self, *_args: object) -> None:
        self.query.setPlaceholderText(PLACEHOLDERS[self.current_mode()])
        if self.query.text().strip():
            self._timer.start()

    # -- searching -------------------------------------------------------------------
    def run_search(self) -> None:
        """Search now; the hit selected before stays selected if it still matches."""
        self._timer.stop()
        self._stale = False
        if self.session is None:
            return
        self._kept = self.current_hit()
        self._show_message("")
        session, query, mode = self.session, self.query.text(), self.current_mode()
        tier_id, case = self.current_tier_id(), self.case.isChecked()

        def search() -> list[ConcordanceHit]:
            return session.search.concordance(
                query, mode=mode, tier_id=tier_id, case_sensitive=case, limit=LIMIT + 1
            )

        try:
            slow = (p := plan(query, mode, case_sensitive=case)) is not None and p.strategy in (
                "scan",
                "vocabulary",
            )
        except SearchPatternError:
            slow = False  # the search itself says what is wrong
        if slow:
            self.worker.start(search)
            self.count.setText("Searching…")
            return
        self.worker.next_generation()  # a slow search still running is overtaken
        try:
            hits = search()
        except Exception as exc:
            hits = exc
        self._show_hits(hits)

    def _worker_finished(self, generation: int, hits: object) -> None:
        if self.worker.is_current(generation) and self.session is not None:
            self._show_hits(hits)

    def _show_hits(self, hits: object) -> None:
        if isinstance(hits, SearchPatternError):
            self._show_message(str(hits))
            hits = []
        elif isinstance(hits, JazbaError):
            self.error.emit(str(hits))
            hits = []
        elif isinstance(hits, Exception):
            raise hits
        assert isinstance(hits, list) and self.session is not None
        kept = self._kept
        more = len(hits) > LIMIT
        hits = hits[:LIMIT]
        self.model.set_hits(hits, self.session.recording_labels())
        self.export_button.setEnabled(bool(hits))
        self.count.setText(self._count_text(len(hits), more))
        if hits:
            row = -1
            if kept is not None:
                row = self.model.row_of(kept.segment_id, kept.match_start)
            self.view.setCurrentIndex(self.model.index(max(0, row), KwicCol.LEFT))

    def _count_text(self, n: int, more: bool) -> str:
        if not self.query.text().strip() or self.message.isVisible():
            return ""
        if more:
            return f"first {n} hits"
        return f"{n} hit{'s' if n != 1 else ''}"

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def current_hit(self) -> ConcordanceHit | None:
        return self.model.hit(self.view.currentIndex().row())

    def export_hits(self) -> Path | None:
        """Ask where, then write every hit shown as CSV; returns the file written."""
        if self.session is None or not self.model.rowCount():
            return None
        start = self.session.path.parent / f"{self.session.name} hits.csv"
        path = ask_csv_path(self, start)
        if path is None:
            return None
        try:
            n = self.session.search.write_csv(self.model.hits, path)
        except JazbaError as exc:
            self.error.emit(str(exc))
            return None
        self.count.setText(f"{n} hit{'s' if n != 1 else ''} written to {path.name}")
        return path

    def _segments_changed(self, *_args: object) -> None:
        if not self.query.text().strip():
            return
        if self.isVisible():
            self._timer.start()
        else:
            self._stale = True

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self._timer.start()

    def _return_pressed(self) -> None:
        if self._timer.isActive():
            self.run_search()
        hit = self.current_hit()
        if hit is not None:
            self.jump_requested.emit(hit)

    def _activated(self, index: QModelIndex) -> None:
        hit = self.model.hit(index.row())
        if hit is not None:
            self.jump_requested.emit(hit)

    def _play_index(self, index: QModelIndex) -> None:
        hit = self.model.hit(index.row())
        if hit is not None:
            self.play_requested.emit(hit)

    def _play(self) -> None:
        hit = self.current_hit()
        if hit is not None:
            self.play_requested.emit(hit)
