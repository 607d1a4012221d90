"""Who speaks in a recording: the edit-recording dialog and the recordings list."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from desktop_app.core.services.dto import SpeakerRef
from desktop_app.gui.dialogs.recording_dialog import RecordingDialog
from desktop_app.gui.panels.recordings_panel import metadata_tooltip


def tick(dialog: RecordingDialog, names: list[str]) -> None:
    box = dialog.speakers
    assert box is not None
    for i in range(box.count()):
        item = box.item(i)
        on = item.text() in names
        item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)


def test_edit_dialog_sets_the_speakers_shown_in_the_list(window, qtbot, monkeypatch) -> None:
    session = window.session
    rec = window.recordings.model.recording(1)
    assert rec.speakers == ()
    names = [sp.name for sp in session.speaker_list()]
    chosen = [names[2], names[0]]

    def run_dialog(dialog: RecordingDialog) -> int:
        assert [dialog.speakers.item(i).text() for i in range(dialog.speakers.count())] == names
        tick(dialog, chosen)
        return 1

    monkeypatch.setattr(RecordingDialog, "exec", run_dialog)
    window.ops.edit_recording(rec.id)  # Recordings panel: right-click > Edit details…
    shown = window.recordings.model.recording(1)
    assert shown.speaker_names == [names[0], names[2]]  # ticked, in list order
    tip = window.recordings.model.data(
        window.recordings.model.index(1), Qt.ItemDataRole.ToolTipRole
    )
    assert f"Speakers: {names[0]}, {names[2]}" in tip
    assert session.recordings.get(rec.id).speaker_names == shown.speaker_names  # saved

    # the dialog opens with them ticked; unticking one keeps the other's place
    dialog = RecordingDialog(shown, window, speakers=session.speaker_list())
    qtbot.addWidget(dialog)
    ticked = [
        dialog.speakers.item(i).text()
        for i in range(dialog.speakers.count())
        if dialog.speakers.item(i).checkState() == Qt.CheckState.Checked
    ]
    assert ticked == [names[0], names[2]]
    tick(dialog, [names[2], names[1]])
    ids = {sp.name: sp.id for sp in session.speaker_list()}
    assert dialog.meta().speaker_ids == (ids[names[2]], ids[names[1]])  # kept one first


def test_renaming_a_speaker_updates_the_recording_tooltip(window, answers) -> None:
    session = window.session
    rec = window.recordings.model.recording(0)
    sp = session.speaker_list()[0]
    session.recordings.set_speakers(rec.id, [sp.id])
    window.refresh_recordings()
    window.speakers.view.setCurrentIndex(window.speakers.model.index(0))
    answers.texts.append("Айгүл")
    window.speakers.rename()
    assert window.recordings.model.recording(0).speaker_names == ["Айгүл"]


def test_dialog_without_project_speakers_leaves_them_alone(window, qtbot) -> None:
    rec = window.recordings.model.recording(0)
    dialog = RecordingDialog(rec, window, speakers=[])
    qtbot.addWidget(dialog)
    assert dialog.speakers is None
    assert any("No speakers" in label.text() for label in dialog.findChildren(QLabel))
    assert dialog.meta().speaker_ids is None  # None: the service keeps the list as it is
    plain = RecordingDialog(rec, window)  # e.g. from code that does not offer speakers
    qtbot.addWidget(plain)
    assert plain.meta().speaker_ids is None


def test_tooltip_escapes_metadata() -> None:
    from dataclasses import replace

    tip = metadata_tooltip(replace(_info(), title="a <b> c", speakers=(SpeakerRef(1, "Ә<й>"),)))
    assert "a &lt;b&gt; c" in tip and "Speakers: Ә&lt;й&gt;" in tip


def _info():
    from datetime import datetime

    from desktop_app.core.services.dto import RecordingInfo

    return RecordingInfo(
        id=1,
        title="t",
        original_filename="t.wav",
        audio_path="audio/t.wav",
        model_audio_path="cache/t.flac",
        peaks_path="cache/t.npy",
        sha256="0" * 64,
        duration_ms=1000,
        sample_rate=16000,
        channels=1,
        format="WAV",
        origin="imported",
        recorded_on=None,
        place=None,
        languages=None,
        consent=None,
        notes=None,
        created_at=datetime(2026, 1, 1),
    )
