"""Pieces of the Training view: the loss and dev curves, and the before/after table."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem

from desktop_app.core.learning.metrics import EvalReport, Scores
from desktop_app.gui import theme
from desktop_app.modelbuild.protocol import LogMsg, Message, MetricsMsg

TREND_STEPS = 10  # the loss trend is the mean of the last this many steps

EVAL_COLUMNS = ("Model", "Utterances", "WER %", "CER %", "MER %", "WIL %", "Hyp/ref",
                "Insertions", "Hallucination-like")  # fmt: skip


def trailing_mean(values: list[float], span: int = TREND_STEPS) -> list[float]:
    """At each point, the mean of it and up to ``span - 1`` points before it."""
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v - (values[i - span] if i >= span else 0.0)
        out.append(total / min(i + 1, span))
    return out


class CurvesView(pg.GraphicsLayoutWidget):
    """Training loss (each step, and its trend), and dev WER and CER, against the step.

    Batches hold clips of about one length, so the loss of one step depends on
    which clips met in it (short known sentences score low, long clips high);
    the trend line is what to read.
    """

    def __init__(self) -> None:
        super().__init__()
        t = theme.current()
        self.setBackground(t.plot_bg)
        self.loss_plot = self.addPlot(row=0, col=0, title="Training loss")
        self.wer_plot = self.addPlot(row=1, col=0, title="Dev WER and CER %")
        for plot in (self.loss_plot, self.wer_plot):
            plot.showGrid(x=True, y=True, alpha=0.25)
            plot.setLabel("bottom", "step")
        self.loss_plot.addLegend(offset=(-10, 10))
        self.wer_plot.addLegend(offset=(-10, 10))
        faint = pg.mkColor(t.accent)
        faint.setAlpha(90)
        self.loss_curve = self.loss_plot.plot(pen=pg.mkPen(faint, width=1), name="each step")
        self.trend_curve = self.loss_plot.plot(
            pen=pg.mkPen(t.accent, width=2), name=f"mean of {TREND_STEPS} steps"
        )
        self.wer_curve = self.wer_plot.plot(
            pen=pg.mkPen(t.wave, width=2), symbol="o", symbolSize=6, symbolBrush=t.wave,
            name="WER",
        )  # fmt: skip
        self.cer_curve = self.wer_plot.plot(
            pen=pg.mkPen(t.low_conf_word, width=2, style=Qt.PenStyle.DashLine), symbol="s",
            symbolSize=6, symbolBrush=t.low_conf_word, name="CER",
        )  # fmt: skip
        self.kept_line = pg.InfiniteLine(
            angle=90, movable=False, pen=pg.mkPen(t.muted, width=1, style=Qt.PenStyle.DotLine),
            label="kept", labelOpts={"position": 0.5, "color": t.muted},  # between WER and CER
        )  # fmt: skip
        self.wer_plot.addItem(self.kept_line)
        self.clear_data()

    def clear_data(self) -> None:
        self.loss: list[tuple[int, float]] = []
        self.wer: list[tuple[int, float]] = []
        self.cer: list[tuple[int, float]] = []
        self.kept_step: int | None = None
        self._redraw()

    def _add_dev(self, step: int, values: dict[str, Any]) -> None:
        if "dev_wer" in values:
            self.wer.append((step, 100 * float(values["dev_wer"])))
        if "dev_cer" in values:
            self.cer.append((step, 100 * float(values["dev_cer"])))

    def add(self, step: int, values: dict[str, float]) -> None:
        if "loss" in values:
            self.loss.append((step, values["loss"]))
        self._add_dev(step, values)
        self._redraw()

    def set_history(self, training: dict[str, Any]) -> None:
        """Curves of a finished run from its ``training.json``."""
        self.clear_data()
        losses = training.get("losses") or []
        self.loss = [(int(step), float(loss)) for step, loss in losses]
        for row in training.get("history", []):
            if not losses and "loss" in row:
                self.loss.append((int(row.get("step", 0)), float(row["loss"])))
            self._add_dev(int(row.get("step", 0)), row)
        best = (training.get("summary") or {}).get("best_step")
        self.kept_step = int(best) if best is not None else None
        self._redraw()

    def _redraw(self) -> None:
        for curve, points in ((self.wer_curve, self.wer), (self.cer_curve, self.cer)):
            curve.setData([p[0] for p in points], [p[1] for p in points])
        steps, losses = [p[0] for p in self.loss], [p[1] for p in self.loss]
        self.loss_curve.setData(steps, losses)
        self.trend_curve.setData(steps, trailing_mean(losses))
        self.kept_line.setVisible(self.kept_step is not None)
        if self.kept_step is not None:
            self.kept_line.setValue(self.kept_step)


def fill_eval_table(table: QTableWidget, rows: list[tuple[str, Scores]]) -> None:
    table.setRowCount(len(rows))
    for r, (label, s) in enumerate(rows):
        values = [label, str(s.n), f"{100 * s.wer:.1f}", f"{100 * s.cer:.1f}",
                  f"{100 * s.mer:.1f}", f"{100 * s.wil:.1f}", f"{s.length_ratio:.2f}",
                  str(s.insertions), str(s.hallucinations)]  # fmt: skip
        for c, value in enumerate(values):
            item = QTableWidgetItem(value)
            if c:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, c, item)


def eval_rows(
    before: EvalReport | None, after: EvalReport | None, parent: str, child: str
) -> list[tuple[str, Scores]]:
    """Table rows: overall before/after, then before/after per speaker, gender, age, language."""
    rows: list[tuple[str, Scores]] = []
    if before is not None:
        rows.append((f"{parent} (before)", before.overall))
    if after is not None:
        rows.append((f"{child} (after)", after.overall))
        for key, groups in after.breakdown.items():
            if len(groups) < 2:
                continue
            for group, s in groups.items():
                label = f"  {key.replace('_', ' ')} {group}"
                old = before.breakdown.get(key, {}).get(group) if before else None
                if old is not None:
                    rows.append((f"{label}: before", old))
                rows.append((f"{label}: after", s))
    return rows


class TrainerMessages(QObject):
    """Carries the trainer's messages from the worker thread to the GUI thread."""

    metrics = Signal(int, object)
    log = Signal(str)

    def forward(self, msg: Message) -> None:  # worker thread
        if isinstance(msg, MetricsMsg):
            self.metrics.emit(msg.step, dict(msg.values))
        elif isinstance(msg, LogMsg):
            self.log.emit(msg.text)
