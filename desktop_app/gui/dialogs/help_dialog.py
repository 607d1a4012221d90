"""F1: every keyboard shortcut (as currently configured) and a few tips."""

from __future__ import annotations

import html
from collections.abc import Mapping

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from desktop_app.gui import shortcuts

TIPS = """
<h3>Working with the keyboard</h3>
<ul>
<li>Select a row and start typing (or press F2) to correct its text; <b>Enter</b> saves,
<b>Esc</b> cancels. Every change is saved to the project at once.</li>
<li><b>Approve and next</b> saves the text, marks the segment approved and moves on; with
<i>Auto-advance</i> on, the next segment starts playing.</li>
<li>Playback speed goes from 0.5× to 2×. Speed is changed by simple resampling, so the
<b>pitch changes with the speed</b> (faster sounds higher).</li>
<li>Sound plays from the recording's 16 kHz copy (the one the model hears).</li>
<li>On the waveform: the wheel zooms, dragging pans, a click moves the playhead,
a click on a segment selects it, a double-click plays it; drag a segment's edges to move
its boundaries (undoable).</li>
<li>Words the model was unsure of are <u>underlined</u> and tinted: the fifth of this
model's words in the project it was least sure of (or those below your own threshold,
if you set one in Settings); a whole row is tinted only when the segment is among the
model's weakest. <b>Next low-confidence
segment</b> jumps between rows, <b>Next low-confidence word</b> moves the playhead from
one underlined word to the next. Hover a word to see its probability.</li>
<li><b>Click a word</b> in the Text column to move the playhead to it (Shift/Ctrl+click
only select rows; a double-click edits the text). The word under the playhead is shaded
while it plays. A word you typed yourself has no timing, so a click on it goes to the end
of the model's word before it.</li>
</ul>
"""


def shortcuts_html(keys: Mapping[str, str]) -> str:
    parts = ["<h2>Keyboard shortcuts</h2>"]
    for group, specs in shortcuts.groups():
        parts.append(f"<h3>{html.escape(group)}</h3><table cellspacing='0' cellpadding='3'>")
        for spec in specs:
            key = keys.get(spec.id, "")
            native = QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText)
            parts.append(
                f"<tr><td width='170'><b>{html.escape(native) or '—'}</b></td>"
                f"<td>{html.escape(spec.text.replace('&', ''))}"
                + (f"<br><small>{html.escape(spec.help)}</small>" if spec.help else "")
                + "</td></tr>"
            )
        parts.append("</table>")
    return "".join(parts) + TIPS


class HelpDialog(QDialog):
    def __init__(self, keys: Mapping[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Jazba — keyboard shortcuts")
        self.resize(620, 680)
        self.browser = QTextBrowser()
        self.browser.setHtml(shortcuts_html(keys))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
