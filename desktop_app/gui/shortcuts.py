"""Every keyboard command: its id, label, default key, icon and help text.

Keys can be changed in the settings dialog; :class:`Settings.shortcuts` keeps
only the user's changes (action id -> key text, "" = no key). Defaults use
Ctrl/Alt combinations so they also work while a transcript cell is being
edited (plain keys type into the editor).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from PySide6.QtGui import QKeySequence


@dataclass(frozen=True)
class ActionSpec:
    id: str
    text: str
    key: str  # default, in QKeySequence portable text
    group: str
    icon: str | None = None
    help: str = ""
    checkable: bool = False


ACTIONS: tuple[ActionSpec, ...] = (
    # Project
    ActionSpec("new_project", "&New project…", "Ctrl+N", "Project", "new"),
    ActionSpec("open_project", "&Open project…", "Ctrl+O", "Project", "open"),
    ActionSpec("open_demo", "Open the &demo project", "", "Project", None),
    ActionSpec("import_audio", "&Import audio…", "Ctrl+I", "Project", "import"),
    ActionSpec(
        "record",
        "&Record…",
        "Ctrl+Alt+R",
        "Project",
        "record",
        "Record from a microphone into the project (crash-safe; M drops a marker).",
    ),
    ActionSpec("close_project", "&Close project", "Ctrl+W", "Project", "close"),
    ActionSpec(
        "transcribe",
        "&Transcribe recording",
        "Ctrl+T",
        "Project",
        "transcribe",
        "Run the speech model on the selected recording (a job you can cancel).",
    ),
    ActionSpec("settings", "&Settings…", "Ctrl+,", "Project", "settings"),
    ActionSpec("quit", "&Quit", "Ctrl+Q", "Project", None),
    # Playback
    ActionSpec(
        "play_pause",
        "&Play / pause",
        "Ctrl+Space",
        "Playback",
        "play",
        "Play from the playhead; press again to pause.",
    ),
    ActionSpec(
        "replay",
        "&Replay segment",
        "Ctrl+R",
        "Playback",
        "replay",
        "Play the current segment from its start.",
    ),
    ActionSpec(
        "loop",
        "&Loop segment",
        "Ctrl+L",
        "Playback",
        "loop",
        "Play the current segment over and over until paused.",
        checkable=True,
    ),
    ActionSpec("seek_back", "Back 2 seconds", "Alt+Left", "Playback", None),
    ActionSpec("seek_forward", "Forward 2 seconds", "Alt+Right", "Playback", None),
    ActionSpec(
        "slower",
        "Slower",
        "Ctrl+[",
        "Playback",
        None,
        "Playback speed down (0.5x at least). The pitch changes with the speed.",
    ),
    ActionSpec(
        "faster",
        "Faster",
        "Ctrl+]",
        "Playback",
        None,
        "Playback speed up (2x at most). The pitch changes with the speed.",
    ),
    ActionSpec(
        "auto_advance",
        "&Auto-advance",
        "",
        "Playback",
        None,
        "After approve-and-next (and next/previous segment) the new segment plays.",
        checkable=True,
    ),
    # Navigation
    ActionSpec("prev_segment", "Pre&vious segment", "Ctrl+Up", "Navigate", "prev"),
    ActionSpec("next_segment", "&Next segment", "Ctrl+Down", "Navigate", "next"),
    ActionSpec(
        "next_low",
        "Next &low-confidence segment",
        "Ctrl+Shift+Down",
        "Navigate",
        None,
        "Jump to the next unapproved segment with low model confidence.",
    ),
    ActionSpec(
        "next_low_word",
        "Next low-confidence &word",
        "Ctrl+Shift+L",
        "Navigate",
        None,
        "Move the playhead to the next underlined word (in this segment, then the next "
        "ones); a plain click on a word does the same for that word.",
    ),
    ActionSpec(
        "edit_text",
        "&Edit text",
        "F2",
        "Navigate",
        None,
        "Edit the current segment's text; Enter saves, Esc cancels.",
    ),
    ActionSpec("search", "&Search transcripts", "Ctrl+F", "Navigate", "search"),
    ActionSpec("prev_recording", "Previous recor&ding", "Ctrl+PgUp", "Navigate", None),
    ActionSpec("next_recording", "Next rec&ording", "Ctrl+PgDown", "Navigate", None),
    ActionSpec(
        "next_tier",
        "Next &tier",
        "Ctrl+Shift+T",
        "Navigate",
        None,
        "Show the next tier of the project in the transcript.",
    ),
    ActionSpec(
        "tier_up",
        "Tier a&bove",
        "Alt+Up",
        "Navigate",
        None,
        "In the stacked tiers, select the annotation at the same time on the tier above.",
    ),
    ActionSpec(
        "tier_down",
        "Tier bel&ow",
        "Alt+Down",
        "Navigate",
        None,
        "In the stacked tiers, select the annotation at the same time on the tier below.",
    ),
    ActionSpec(
        "box_prev",
        "Previous annotation on the tier",
        "Alt+Shift+Left",
        "Navigate",
        None,
        "In the stacked tiers, select the previous annotation of the selected tier.",
    ),
    ActionSpec(
        "box_next",
        "Next annotation on the tier",
        "Alt+Shift+Right",
        "Navigate",
        None,
        "In the stacked tiers, select the next annotation of the selected tier.",
    ),
    # Editing
    ActionSpec("undo", "&Undo", "Ctrl+Z", "Edit", "undo"),
    ActionSpec("redo", "&Redo", "Ctrl+Shift+Z", "Edit", "redo"),
    ActionSpec(
        "approve_next",
        "&Approve and next",
        "Ctrl+Return",
        "Edit",
        "approve",
        "Save the text, mark the segment approved and go to the next one.",
    ),
    ActionSpec(
        "split",
        "S&plit at playhead",
        "Ctrl+B",
        "Edit",
        "split",
        "Cut the segment under the playhead in two; the text is cut at the nearest word.",
    ),
    ActionSpec("merge", "&Merge with next", "Ctrl+M", "Edit", "merge"),
    ActionSpec(
        "add_segment",
        "A&dd segment at playhead",
        "Ctrl+Shift+A",
        "Edit",
        None,
        "Create a segment from the playhead to the next silence (Shift+drag on the "
        "waveform draws one).",
    ),
    ActionSpec("delete_segment", "&Delete segment", "Ctrl+Del", "Edit", "delete"),
    ActionSpec(
        "set_speaker",
        "Set &speaker…",
        "Ctrl+P",
        "Edit",
        "speaker",
        "Choose the speaker of the selected segments (1–9 pick, N creates).",
    ),
    ActionSpec("lang_kk", "Language: Kazakh (kk)", "Ctrl+Shift+K", "Edit", None),
    ActionSpec("lang_ru", "Language: Russian (ru)", "Ctrl+Shift+R", "Edit", None),
    ActionSpec("lang_mixed", "Language: mixed", "Ctrl+Shift+X", "Edit", None),
    ActionSpec(
        "history",
        "Segment &history…",
        "Ctrl+H",
        "Edit",
        "history",
        "Every saved version of the current segment.",
    ),
    ActionSpec("new_tier", "New &tier…", "", "Edit", None, "Add a tier (a layer of segments)."),
    ActionSpec("rename_tier", "Rena&me tier…", "", "Edit", None, "Rename the tier shown."),
    ActionSpec(
        "new_child_tier",
        "New &child tier…",
        "",
        "Edit",
        None,
        "Add a tier under another (translation, words, morphemes…); its boxes follow the parent's.",
    ),
    # View
    ActionSpec("zoom_in", "Zoom &in", "Ctrl+=", "View", "zoom-in"),
    ActionSpec("zoom_out", "Zoom &out", "Ctrl+-", "View", "zoom-out"),
    ActionSpec("zoom_fit", "&Whole recording", "Ctrl+0", "View", "zoom-fit"),
    ActionSpec("spectrogram", "S&pectrogram", "Ctrl+G", "View", "spectrogram", checkable=True),
    ActionSpec(
        "snap",
        "Snap to &silence",
        "",
        "View",
        None,
        "Dragged and drawn segment boundaries move to the nearest silence a few pixels "
        "away (hold Alt to place them exactly).",
        checkable=True,
    ),
    ActionSpec("dark_theme", "&Dark theme", "", "View", None, checkable=True),
    ActionSpec("help", "&Keyboard shortcuts", "F1", "Help", "help"),
)

BY_ID: dict[str, ActionSpec] = {a.id: a for a in ACTIONS}


def normalize(key: str) -> str:
    """Portable text of a key sequence (so "ctrl+k" and "Ctrl+K" compare equal)."""
    return QKeySequence(key).toString(QKeySequence.SequenceFormat.PortableText)


def effective_keys(overrides: Mapping[str, str]) -> dict[str, str]:
    """Action id -> key text: the defaults with the user's changes applied."""
    keys = {a.id: a.key for a in ACTIONS}
    for action_id, key in overrides.items():
        if action_id in keys:
            keys[action_id] = normalize(key) if key else ""
    return keys


def overrides_for(keys: Mapping[str, str]) -> dict[str, str]:
    """The entries of ``keys`` that differ from the defaults (what settings store)."""
    return {
        a.id: normalize(keys[a.id]) if keys[a.id] else ""
        for a in ACTIONS
        if a.id in keys and normalize(keys[a.id] or "") != normalize(a.key)
    }


def conflicts(keys: Mapping[str, str]) -> dict[str, list[str]]:
    """Key text -> the action ids sharing it (only keys used more than once)."""
    used: dict[str, list[str]] = {}
    for action_id, key in keys.items():
        if key:
            used.setdefault(normalize(key), []).append(action_id)
    return {k: ids for k, ids in used.items() if len(ids) > 1}


def groups() -> Iterable[tuple[str, list[ActionSpec]]]:
    order: dict[str, list[ActionSpec]] = {}
    for a in ACTIONS:
        order.setdefault(a.group, []).append(a)
    return order.items()
