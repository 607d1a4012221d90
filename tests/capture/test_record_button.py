"""The Record command without a microphone, and the level meter's scale."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from desktop_app.core.capture import Level
from desktop_app.core.capture import sources as sources_mod
from desktop_app.core.project import Project
from desktop_app.core.settings import Settings
from desktop_app.gui.dialogs import common as dialogs
from tests.capture.conftest import FakeSoundDevice

pytestmark = [
    pytest.mark.gui,
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore(
        "This plugin does not support propagateSizeHints",
        "This plugin does not support raise",
        "QStandardPaths: XDG_RUNTIME_DIR",
    ),
]


@pytest.fixture(autouse=True)
def _qt_guard(qapp) -> None:
    from desktop_app.gui.qtfix import install_refcount_guard

    install_refcount_guard()


class PluggableSoundDevice(FakeSoundDevice):
    """No input until the sound system looks again after ``plug_in``."""

    def __init__(self) -> None:
        super().__init__([("HDMI output", 0)])
        self.plugged: list[tuple[str, int]] | None = None
        self.rescans = 0

    def plug_in(self, name: str) -> None:
        self.plugged = [("HDMI output", 0), (name, 1)]

    def _terminate(self) -> None:
        self.rescans += 1

    def _initialize(self) -> None:
        if self.plugged is not None:
            self.inputs = self.plugged
            self.default.device = [1, -1]


@pytest.fixture
def sound(monkeypatch: pytest.MonkeyPatch) -> PluggableSoundDevice:
    sd = PluggableSoundDevice()
    monkeypatch.setattr(sources_mod, "_sounddevice", lambda: sd)
    return sd


@pytest.fixture
def infos(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []
    monkeypatch.setattr(dialogs, "show_info", lambda _p, msg, *a: shown.append(msg))
    return shown


@pytest.fixture
def window(qtbot, tmp_path: Path):
    from desktop_app.gui.app import create_window

    with Project.create(tmp_path / "field") as project:
        folder = project.path
    w = create_window(folder, Settings())
    qtbot.addWidget(w)
    yield w
    dialog = getattr(w, "record_dialog", None)
    if dialog is not None:
        dialog.close()
    w.ops.close_project(ask=False)
    w.close()


def _icon_image(action):
    return action.icon().pixmap(24, 24).toImage()


def test_record_looks_disabled_and_says_why_without_a_microphone(window, sound, infos) -> None:
    from desktop_app.gui import theme
    from desktop_app.gui.capture import capture_hook

    action = window.actions["record"]
    assert action.isEnabled()  # clickable, to say why it cannot record
    assert "No microphone found" in action.toolTip()
    assert _icon_image(action) == theme.icon("record", muted=True).pixmap(24, 24).toImage()
    assert _icon_image(action) != theme.icon("record").pixmap(24, 24).toImage()

    action.trigger()
    assert infos == [capture_hook.NO_MICROPHONE]
    assert infos[0].startswith("No microphone found. Connect one and try again, or import audio")
    assert getattr(window, "record_dialog", None) is None
    assert sound.rescans == 1  # it looked again before saying so


def test_a_microphone_plugged_in_later_is_found(window, sound, infos) -> None:
    from desktop_app.gui import theme

    action = window.actions["record"]
    assert "No microphone" in action.toolTip()
    sound.plug_in("USB microphone")
    action.trigger()
    assert infos == []
    dialog = window.record_dialog
    assert dialog.isVisible() and dialog.device_box.currentText().startswith("USB microphone")
    assert "No microphone" not in action.toolTip()
    assert _icon_image(action) == theme.icon("record").pixmap(24, 24).toImage()


def test_the_unavailable_look_survives_a_theme_change(window, sound) -> None:
    from desktop_app.gui import theme

    window.set_theme("dark")
    try:
        action = window.actions["record"]
        assert _icon_image(action) == theme.icon("record", muted=True).pixmap(24, 24).toImage()
        window.apply_settings(window.settings)  # re-applies keys and tooltips
        assert "No microphone found" in action.toolTip()
    finally:
        window.set_theme("light")


@pytest.mark.parametrize("width", [160, 240, 420, 700])
def test_level_meter_labels_fit_and_do_not_overlap(qtbot, width: int) -> None:
    from desktop_app.gui.capture.level_meter import LevelMeter

    meter = LevelMeter()
    qtbot.addWidget(meter)
    meter.resize(width, meter.minimumHeight())
    meter.set_level(Level(peak_db=(-7.0, -9.0), rms_db=(-12.0, -15.0), clipped=False))
    meter.show()
    qtbot.waitExposed(meter)
    labels = meter.scale_labels()
    shown = [db for db, _rect in labels]
    assert -60 in shown and 0 in shown  # the ends are always labelled
    if width >= 420:
        assert shown == sorted([-60, -48, -36, -24, -18, -12, -6, -3, 0])
    inside = meter.rect().toRectF()
    for db, rect in labels:
        assert inside.contains(rect), (db, rect, inside)
    for (_a, r1), (_b, r2) in itertools.pairwise(labels):
        assert r1.right() < r2.left()
    # -60 sits under the start of the bars, 0 under their end (not squeezed to the edges)
    x0, span = meter.bar_span()
    assert labels[0][1].center().x() == pytest.approx(x0, abs=1)
    assert labels[-1][1].center().x() == pytest.approx(x0 + span, abs=1)
    meter.grab()  # paints without warnings
