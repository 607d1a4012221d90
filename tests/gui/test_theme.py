"""Themes, icons and fonts."""

from __future__ import annotations

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from desktop_app.core.resources import resources_dir
from desktop_app.gui import shortcuts, theme
from desktop_app.gui.qtfix import pyside_leaks_refs


def test_every_icon_named_in_the_code_exists() -> None:
    names = {a.icon for a in shortcuts.ACTIONS if a.icon}
    names |= {"pause", "speaker-add", "speaker-merge", "rename", "cancel", "jobs", "waveform"}
    folder = resources_dir() / "icons"
    missing = [n for n in sorted(names) if not (folder / f"{n}.svg").is_file()]
    assert missing == []
    for name in names:
        assert not theme.load_icon(name, "#123456").isNull(), name


def _pixels(icon_name: str) -> bytes:
    image = theme.load_icon(icon_name, "#000000").pixmap(48, 48).toImage()
    return bytes(image.constBits())


def test_toolbar_icons_are_distinct_and_match_their_actions(qapp) -> None:
    """Each toolbar command has its own picture; the microphone means Record
    (transcribing has a waveform-to-text glyph of its own)."""
    from desktop_app.gui.window_layout import TOOLBAR

    specs = [shortcuts.BY_ID[i] for i in TOOLBAR if i is not None and not i.startswith("@")]
    names = [s.icon for s in specs]
    assert all(names) and len(set(names)) == len(names), names
    images = {name: _pixels(name) for name in names}
    assert len(set(images.values())) == len(images)  # no two look alike
    assert shortcuts.BY_ID["record"].icon == "record"
    assert shortcuts.BY_ID["transcribe"].icon == "transcribe"
    microphone = (resources_dir() / "icons" / "record.svg").read_text()
    assert 'rx="3"' in microphone  # the capsule of the microphone
    assert 'rx="3"' not in (resources_dir() / "icons" / "transcribe.svg").read_text()


def test_dark_and_light_themes(qapp) -> None:
    manager = theme.manager()
    try:
        manager.apply("dark")
        assert QApplication.palette().color(QPalette.ColorRole.Window).name() == theme.DARK.window
        assert "#1b1f26" in qapp.styleSheet()
        manager.apply("light")
        assert QApplication.palette().color(QPalette.ColorRole.Base).name() == theme.LIGHT.base
    finally:
        manager.apply("light")


def test_rgba_colours() -> None:
    c = theme.color("#2a9d8f28")
    assert (c.red(), c.green(), c.blue(), c.alpha()) == (0x2A, 0x9D, 0x8F, 0x28)
    assert theme.color("#ffffff").alpha() == 255


def test_ui_font_has_every_kazakh_letter(qapp) -> None:
    family = theme.pick_font_family()
    assert family is not None, "install fonts-noto-core (Noto Sans)"
    assert theme.covers_kazakh(family)
    assert len(set(theme.KAZAKH_LETTERS)) == 84  # 42 letters, both cases


def test_refcount_guard_detection_runs(qapp) -> None:
    assert pyside_leaks_refs() in (True, False)
