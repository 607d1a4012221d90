"""How the desktop app words errors: the core's message, then what to do as
the app's own actions (menu paths that exist), never command-line flags.

The core raises :class:`~desktop_app.core.errors.JazbaError` with a neutral
message and a :class:`~desktop_app.core.errors.Fix`; the command line appends
its own wording (``str(error)``), the app appends :data:`GUI_FIXES`. Menu
paths are written ``Menu ▸ Command`` (``▸ Tab`` for a dialog's tab) and a test
checks each one against the window's menus.
"""

from __future__ import annotations

from desktop_app.core.errors import Fix, JazbaError

GUI_FIXES: dict[Fix, str] = {
    Fix.INSTALL_SPEECH_MODEL: (
        "Install the default model (offline, about a minute) with the button under "
        "Project ▸ Settings… ▸ Transcription."
    ),
    Fix.ADD_INT8: (
        "Add it with Upgrade under Project ▸ Settings… ▸ Transcription, or choose the "
        "precision Full precision (fp32) there."
    ),
    Fix.LEARN_UNIT_LM: (
        "Learn one from this project's audio first: Project ▸ Learn a unit LM from this project…"
    ),
    Fix.CHOOSE_RECORDING: "Choose it in the Recording box above.",
    Fix.IMPORT_AUDIO_OR_CHOOSE_RECORDING: (
        "Import its audio first (Project ▸ Import audio…), or choose the recording in the "
        "Recording box above."
    ),
}


def gui_text(exc: JazbaError) -> str:
    """The message of ``exc`` for the app: its fix named as the app's actions."""
    message = getattr(exc, "message", None)
    fix = getattr(exc, "fix", None)
    if message is None:  # built without JazbaError.__init__ (e.g. unpickled)
        return str(exc)
    if fix is not None and fix in GUI_FIXES:
        return f"{message} {GUI_FIXES[fix]}".strip()
    return message or str(exc)
