"""The user's settings: a typed, versioned dataclass stored as JSON.

Settings live in ``<config dir>/settings.json`` (see :mod:`desktop_app.core.paths`;
tests point ``JAZBA_CONFIG_DIR`` at a temporary folder). Every stored file
carries a ``version``; older files are migrated step by step on load, unknown
keys are dropped, values of the wrong type fall back to their defaults (with a
log line), and a file that cannot be parsed is kept aside as
``settings.json.bad`` instead of being overwritten silently. A file written by
a newer Jazba is read as far as we understand it and never overwritten.

Qt-free: the GUI keeps its own defaults (e.g. shortcut keys) and stores only
what the user changed.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from desktop_app.core.paths import config_dir

log = logging.getLogger(__name__)

SETTINGS_VERSION = 2
SETTINGS_FILE = "settings.json"
MAX_RECENT = 10

THEMES = ("light", "dark")
DEVICES = ("auto", "cpu", "cuda")
#: Same values as ``desktop_app.services.transcription.PRECISIONS`` (kept here
#: so that loading settings needs no ASR runtime).
PRECISIONS = ("auto", "fp32", "int8")


@dataclass
class Settings:
    """Everything the user can change that outlives one session."""

    version: int = SETTINGS_VERSION
    # Appearance
    theme: str = "light"
    # Transcription
    model_version: str = ""  # "" = the default model
    device: str = "auto"
    precision: str = "auto"  # auto (int8 on the CPU when the model has it), fp32, int8
    decoding_preset: str = "kk-ru"  # a name from desktop_app.asr.presets
    # Review
    # Words are marked "low confidence" below a threshold calibrated to the model
    # (see desktop_app.core.services.confidence); with low_confidence_fixed the
    # user's own threshold applies instead, to words and segments alike.
    low_confidence: float = 0.6
    low_confidence_fixed: bool = False
    auto_advance: bool = True  # after "play segment" ends, go on to the next one
    playback_speed: float = 1.0
    show_spectrogram: bool = False
    snap_to_silence: bool = True  # dragged/drawn boundaries move to nearby silence
    # Keyboard: action id -> key sequence text ("" = no shortcut); only changed ones
    shortcuts: dict[str, str] = field(default_factory=dict)
    # Hints: once dismissed with "Don't show again", never shown again
    kk_model_hint_dismissed: bool = False  # "Whisper base drafts Kazakh poorly…"
    # Session
    recent_projects: list[str] = field(default_factory=list)
    window_geometry: str = ""  # opaque, written by the GUI (base64)
    window_state: str = ""

    def add_recent(self, path: str | os.PathLike[str]) -> None:
        """Put ``path`` first in the recent projects (no duplicates, at most 10)."""
        p = str(Path(path))
        self.recent_projects = [p, *(r for r in self.recent_projects if r != p)][:MAX_RECENT]

    def remove_recent(self, path: str | os.PathLike[str]) -> None:
        p = str(Path(path))
        self.recent_projects = [r for r in self.recent_projects if r != p]

    def validated(self) -> Settings:
        """A copy with every out-of-range value replaced by its default."""
        d = Settings()
        out = Settings(**asdict(self))
        if out.theme not in THEMES:
            out.theme = d.theme
        if out.device not in DEVICES:
            out.device = d.device
        if out.precision not in PRECISIONS:
            out.precision = d.precision
        if not out.decoding_preset.strip():
            out.decoding_preset = d.decoding_preset
        if not 0.0 <= out.low_confidence <= 1.0:
            out.low_confidence = d.low_confidence
        if not 0.5 <= out.playback_speed <= 2.0:
            out.playback_speed = d.playback_speed
        out.recent_projects = list(dict.fromkeys(out.recent_projects))[:MAX_RECENT]
        return out


# -- migrations -----------------------------------------------------------
# When a field is renamed or its meaning changes, bump SETTINGS_VERSION and add
# ``MIGRATIONS[old_version] = fn`` turning an old-version dict into the next
# version's dict (e.g. ``{"dark_mode": True}`` -> ``{"theme": "dark"}``).
# A new field needs no migration: an older file simply lacks it and gets the
# default (e.g. ``precision`` was added to version 1 files that way).


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 2 calibrates the low-confidence threshold to the model. Version 1
    stored ``low_confidence`` always; a value other than its default (0.6) was
    the user's choice and stays in force as a fixed threshold."""
    value = data.get("low_confidence", 0.6)
    chose = isinstance(value, int | float) and not isinstance(value, bool) and value != 0.6
    return {**data, "low_confidence_fixed": chose}


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}
"""``MIGRATIONS[n]`` turns a version-``n`` dict into a version-``n + 1`` dict."""


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Bring a stored settings dict up to :data:`SETTINGS_VERSION`."""
    version = data.get("version", 1)
    if not isinstance(version, int) or version < 1:
        version = 1
    while version < SETTINGS_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:  # a gap we cannot bridge: keep what still fits
            log.warning("no settings migration from version %s; using defaults", version)
            break
        data = step(data)
        version += 1
    data["version"] = SETTINGS_VERSION
    return data


def _coerce(name: str, value: Any, default: Any) -> Any:
    """``value`` if it has the type of ``default`` (ints accepted for floats)."""
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, str):
        ok = isinstance(value, str)
    elif isinstance(default, list):
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    elif isinstance(default, dict):
        ok = isinstance(value, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        )
    else:
        ok = False
    if not ok:
        log.warning("settings: ignoring %s=%r (wrong type)", name, value)
        return default
    return value


def from_dict(data: dict[str, Any]) -> Settings:
    """Settings from a stored dict of any version (lenient, never raises)."""
    stored_version = data.get("version", 1)
    data = migrate(dict(data))
    defaults = Settings()
    values = {}
    for f in fields(Settings):
        if f.name in data and f.name != "version":
            values[f.name] = _coerce(f.name, data[f.name], getattr(defaults, f.name))
    settings = Settings(**values).validated()
    if isinstance(stored_version, int) and stored_version > SETTINGS_VERSION:
        settings.version = stored_version  # remembered so that save() refuses
    return settings


def settings_path() -> Path:
    return config_dir() / SETTINGS_FILE


def load_settings(path: Path | None = None) -> Settings:
    """Read the settings (defaults when there is no file or it is unreadable)."""
    path = path or settings_path()
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except OSError as exc:
        log.warning("cannot read settings %s: %s; using defaults", path, exc)
        return Settings()
    try:
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
    except ValueError as exc:
        log.warning("settings %s are damaged (%s); kept as .bad, using defaults", path, exc)
        try:
            os.replace(path, path.with_name(path.name + ".bad"))
        except OSError:
            log.exception("cannot move damaged settings aside")
        return Settings()
    return from_dict(data)


def save_settings(settings: Settings, path: Path | None = None) -> bool:
    """Write the settings atomically. Returns ``False`` (and logs) when the file
    belongs to a newer Jazba or cannot be written; settings are never worth a crash."""
    path = path or settings_path()
    if settings.version > SETTINGS_VERSION:
        log.info("settings were written by a newer Jazba; not overwriting %s", path)
        return False
    data = asdict(settings.validated())
    data["version"] = SETTINGS_VERSION
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("cannot save settings to %s: %s", path, exc)
        return False
    return True
