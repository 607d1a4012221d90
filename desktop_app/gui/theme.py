"""Light and dark themes: palette, style sheet, fonts, icons and plot colours.

The style sheets live in ``resources/styles/<theme>.qss``; icons are SVGs in
``resources/icons/`` drawn with ``currentColor``, which is replaced by the
theme's icon colour when they are loaded, so one file serves both themes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QObject, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QIcon,
    QPainter,
    QPalette,
    QPixmap,
    QRawFont,
)
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

from desktop_app.core.resources import resources_dir

log = logging.getLogger(__name__)

KAZAKH_LETTERS = (
    "АаӘәБбВвГгҒғДдЕеЁёЖжЗзИиЙйКкҚқЛлМмНнҢңОоӨөПпРрСсТтУуҰұҮүФфХхҺһЦцЧчШшЩщЪъЫыІіЬьЭэЮюЯя"
)
"""Every letter of the Kazakh Cyrillic alphabet; the UI font must have them all."""

PREFERRED_FONTS = ("Noto Sans", "Segoe UI", "Ubuntu", "Cantarell", "DejaVu Sans", "Arial")


@dataclass(frozen=True)
class Theme:
    name: str
    window: str
    base: str
    alt_base: str
    text: str
    muted: str
    accent: str
    icon: str
    highlight: str
    # waveform
    plot_bg: str
    wave: str
    wave_raw: str
    region: str
    region_selected: str
    region_line: str
    playhead: str
    label: str
    # transcript
    low_conf_bg: str
    low_conf_word: str
    status_colors: tuple[tuple[str, str], ...]
    error: str = "#c92a2a"  # failed jobs, invalid input

    def status_color(self, status: str) -> str:
        return dict(self.status_colors).get(status, self.muted)


LIGHT = Theme(
    name="light",
    window="#f6f7f9",
    base="#ffffff",
    alt_base="#f8f9fb",
    text="#1d2430",
    muted="#6b7280",
    accent="#1f6f8b",
    icon="#374151",
    highlight="#cfe6f0",
    plot_bg="#ffffff",
    wave="#1f6f8b",
    wave_raw="#0e4a60",
    region="#2a9d8f28",
    region_selected="#f2b13455",
    region_line="#2a9d8f",
    playhead="#d1495b",
    label="#374151",
    low_conf_bg="#fff4d6",
    low_conf_word="#b45309",
    status_colors=(("auto", "#6b7280"), ("edited", "#2563eb"), ("approved", "#15803d")),
)

DARK = Theme(
    name="dark",
    window="#1b1f26",
    base="#20252d",
    alt_base="#242a33",
    text="#e3e7ee",
    muted="#9aa3b0",
    accent="#4aa3c4",
    icon="#d5dbe3",
    highlight="#25546a",
    plot_bg="#161a20",
    wave="#4aa3c4",
    wave_raw="#8fd0e8",
    region="#2a9d8f33",
    region_selected="#f2b13450",
    region_line="#3fbfae",
    playhead="#ff6b7d",
    label="#c9d1dc",
    low_conf_bg="#4a3b14",
    low_conf_word="#fbbf24",
    status_colors=(("auto", "#9aa3b0"), ("edited", "#60a5fa"), ("approved", "#4ade80")),
    error="#ff6b6b",
)

THEMES = {"light": LIGHT, "dark": DARK}


def color(value: str) -> QColor:
    """A colour from ``#RRGGBB`` or CSS-style ``#RRGGBBAA`` (Qt itself reads
    eight hex digits as ``#AARRGGBB``)."""
    if len(value) == 9 and value.startswith("#"):
        c = QColor(value[:7])
        c.setAlpha(int(value[7:], 16))
        return c
    return QColor(value)


class ThemeManager(QObject):
    """The current theme; widgets that paint themselves listen to ``changed``."""

    changed = Signal(object)  # Theme

    def __init__(self) -> None:
        super().__init__()
        self.theme = LIGHT
        self._icons: dict[tuple[str, str], QIcon] = {}

    def apply(self, name: str, app: QApplication | None = None) -> Theme:
        theme = THEMES.get(name, LIGHT)
        app = app or QApplication.instance()  # type: ignore[assignment]
        if app is not None and app.property("jazbaTheme") == theme.name and self.theme is theme:
            return theme  # restyling every live widget is not free
        self.theme = theme
        if app is not None:
            app.setProperty("jazbaTheme", theme.name)
            app.setStyle("Fusion")
            app.setPalette(make_palette(theme))
            app.setStyleSheet(load_style_sheet(theme.name))
        self.changed.emit(theme)
        return theme

    def icon(self, name: str, muted: bool = False) -> QIcon:
        """The icon ``name`` in the theme's icon colour, or greyed (``muted``:
        a command that cannot run now but still says why when clicked)."""
        colour = self.theme.muted if muted else self.theme.icon
        key = (name, colour)
        if key not in self._icons:
            self._icons[key] = load_icon(name, colour)
        return self._icons[key]


_manager: ThemeManager | None = None


def manager() -> ThemeManager:
    """The application's theme manager (created on first use, in the GUI thread)."""
    global _manager
    if _manager is None:
        _manager = ThemeManager()
    return _manager


def current() -> Theme:
    return manager().theme


def icon(name: str, muted: bool = False) -> QIcon:
    return manager().icon(name, muted)


class _IconBinding(QObject):
    """Re-colours one widget's icon when the theme changes; a child of the
    widget, so the connection ends with it."""

    def __init__(self, widget: QObject, name: str) -> None:
        super().__init__(widget)
        self.name = name
        manager().changed.connect(self.update_icon)
        self.update_icon()

    def update_icon(self, *_args: object) -> None:
        self.parent().setIcon(icon(self.name))  # type: ignore[attr-defined]


def bind_icon(widget: QObject, name: str) -> None:
    """Give ``widget`` (anything with ``setIcon``) the themed icon ``name``, kept
    in the theme's colour."""
    _IconBinding(widget, name)


def make_palette(theme: Theme) -> QPalette:
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: theme.window,
        QPalette.ColorRole.Base: theme.base,
        QPalette.ColorRole.AlternateBase: theme.alt_base,
        QPalette.ColorRole.Text: theme.text,
        QPalette.ColorRole.WindowText: theme.text,
        QPalette.ColorRole.ButtonText: theme.text,
        QPalette.ColorRole.Button: theme.base,
        QPalette.ColorRole.ToolTipBase: theme.base,
        QPalette.ColorRole.ToolTipText: theme.text,
        QPalette.ColorRole.PlaceholderText: theme.muted,
        QPalette.ColorRole.Highlight: theme.highlight,
        QPalette.ColorRole.HighlightedText: theme.text,
        QPalette.ColorRole.Link: theme.accent,
    }
    for role, colour in roles.items():
        p.setColor(role, QColor(colour))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.ButtonText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(theme.muted))
    return p


def load_style_sheet(name: str) -> str:
    path = resources_dir() / "styles" / f"{name}.qss"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        log.warning("style sheet %s is missing; using the plain style", path)
        return ""


def load_icon(name: str, colour: str) -> QIcon:
    """An SVG icon from ``resources/icons`` with ``currentColor`` set to ``colour``."""
    path = resources_dir() / "icons" / f"{name}.svg"
    try:
        svg = path.read_text(encoding="utf-8").replace("currentColor", colour)
    except OSError:
        log.warning("icon %s is missing", path)
        return QIcon()
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    result = QIcon()
    for size in (16, 20, 24, 32, 48, 64):
        for mode, opacity in ((QIcon.Mode.Normal, 1.0), (QIcon.Mode.Disabled, 0.3)):
            pm = QPixmap(size, size)
            pm.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pm)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setOpacity(opacity)
            renderer.render(painter, QRectF(0, 0, size, size))
            painter.end()
            result.addPixmap(pm, mode)
    return result


def covers_kazakh(family: str) -> bool:
    """True if ``family`` itself (not a fallback font) has every Kazakh letter."""
    raw = QRawFont.fromFont(QFont(family))
    return raw.isValid() and all(raw.supportsCharacter(ord(ch)) for ch in KAZAKH_LETTERS)


def pick_font_family() -> str | None:
    """The first preferred installed family that has every Kazakh letter."""
    installed = set(QFontDatabase.families())
    for family in PREFERRED_FONTS:
        if family in installed and covers_kazakh(family):
            return family
    return None


def apply_font(app: QApplication, point_size: int = 10) -> str:
    family = pick_font_family()
    font = QFont(family) if family else app.font()
    font.setPointSize(point_size)
    app.setFont(font)
    if family is None:
        log.warning("no preferred font with all Kazakh letters; install Noto Sans")
    return font.family()
