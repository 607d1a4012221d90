"""Messages in the app name the app's own actions: every "Menu ▸ Command" path
written in the GUI exists in the window's menus, no GUI text tells a user to
type a command or a flag, and errors from the shared core carry their fix as
data (each front end words it) instead of command-line text."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.core.errors import Fix, InteropError, ModelError
from desktop_app.gui.error_text import GUI_FIXES, gui_text

ROOT = Path(__file__).resolve().parents[2] / "desktop_app"
#: "jazba <command>" or a "--flag": command-line speech
CLI = re.compile(r"(?:^|[\s'\"(`])jazba [a-z]|(?<![\w-])--[a-z]")
#: "Menu ▸ Command ▸ Tab": a path ends at punctuation, a quote or the end
PATH = re.compile(r"(\w+)((?: ▸ [^▸.,;:()\"'\n]+)+)")


def literal_strings(path: Path) -> Iterator[tuple[int, str]]:
    """String literals of a module (f-strings with ``{}`` for their fields), not docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docs.add(id(body[0].value))
    in_fstring = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts = []
            for v in node.values:
                in_fstring.add(id(v))
                parts.append(v.value if isinstance(v, ast.Constant) else "{}")
            yield node.lineno, "".join(parts)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docs | in_fstring
        ):
            yield node.lineno, node.value


def gui_strings() -> list[tuple[str, str]]:
    return [
        (f"{f.relative_to(ROOT)}:{line}", text)
        for f in sorted((ROOT / "gui").rglob("*.py"))
        for line, text in literal_strings(f)
    ]


def menu_paths(window) -> set[tuple[str, ...]]:
    """("Project", "Settings…") for every command in the window's menus."""

    def clean(text: str) -> str:
        return text.replace("&", "").split("\t")[0].strip()

    paths = set()
    for top in window.menuBar().actions():
        menu = top.menu()
        if menu is None:
            continue
        for action in menu.actions():
            if not action.isSeparator() and action.text():
                paths.add((clean(top.text()), clean(action.text())))
    return paths


def dialog_tabs() -> dict[str, set[str]]:
    """The tabs a path may name after a command that opens a tabbed dialog."""
    from PySide6.QtWidgets import QTabWidget

    from desktop_app.core.settings import Settings
    from desktop_app.gui.dialogs.settings_dialog import SettingsDialog

    dialog = SettingsDialog(Settings())
    tabs = dialog.findChild(QTabWidget)
    names = {tabs.tabText(i).replace("&", "") for i in range(tabs.count())}
    dialog.deleteLater()
    return {"Settings…": names}


def test_every_menu_path_in_the_gui_exists(window) -> None:
    menus = menu_paths(window)
    assert ("Project", "Import audio…") in menus  # the collection itself works
    tabs = dialog_tabs()
    found, wrong = 0, []
    for where, text in gui_strings():
        for m in PATH.finditer(text):
            parts = [m.group(1), *(p.strip() for p in m.group(2).split(" ▸ ")[1:])]
            found += 1
            if tuple(parts[:2]) not in menus:
                wrong.append(f"{where}: {' ▸ '.join(parts)} (no such menu command)")
            elif len(parts) > 2 and (len(parts) > 3 or parts[2] not in tabs.get(parts[1], ())):
                wrong.append(f"{where}: {' ▸ '.join(parts)} (no such tab)")
    assert found >= 6
    assert wrong == []


def test_no_gui_text_asks_for_a_command_or_a_flag() -> None:
    bad = [f"{where}: {text!r}" for where, text in gui_strings() if CLI.search(text)]
    assert bad == []


def _error_messages(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """The message arguments of ``SomethingError(...)`` calls (positional)."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", "")
        if not name.endswith("Error"):
            continue
        arg = node.args[0]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            yield node.lineno, arg.value
        elif isinstance(arg, ast.JoinedStr):
            yield (
                node.lineno,
                "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in arg.values),
            )


def test_core_errors_keep_command_line_text_out_of_their_message() -> None:
    """Shared errors say what to do as a ``Fix`` (and ``cli=`` for the command
    line), so the app never shows a Jazba command or flag; nor do they name app
    menus. (Package-manager commands such as the default model's ``pip install``
    hint are the same for both front ends and live in named constants.)"""
    bad = []
    for f in sorted(ROOT.rglob("*.py")):
        rel = f.relative_to(ROOT)
        if rel.parts[0] in ("cli", "gui"):
            continue
        for line, text in _error_messages(ast.parse(f.read_text(encoding="utf-8"))):
            if CLI.search(text) or "▸" in text:
                bad.append(f"{rel}:{line}: {text!r}")
    assert bad == []


def test_every_fix_has_app_wording() -> None:
    assert set(GUI_FIXES) == set(Fix)


@pytest.mark.parametrize(
    ("error", "cli_part", "app_part"),
    [
        (
            ModelError("No speech model is installed.", fix=Fix.INSTALL_SPEECH_MODEL,
                       cli="Run 'jazba models install-default'."),
            "jazba models install-default",
            "Project ▸ Settings… ▸ Transcription",
        ),
        (
            InteropError("'a.eaf' is not in this project.",
                         fix=Fix.IMPORT_AUDIO_OR_CHOOSE_RECORDING, cli="(--recording ID)"),
            "--recording ID",
            "Project ▸ Import audio…",
        ),
        (ModelError("No unit model has the id 'x'.", cli="(See 'jazba units list'.)"),
         "jazba units list", None),
    ],
)  # fmt: skip
def test_each_front_end_words_the_fix(error, cli_part: str, app_part: str | None) -> None:
    assert cli_part in str(error)  # the command line (and the log) keep their wording
    shown = gui_text(error)
    assert cli_part not in shown and not CLI.search(shown)
    assert shown.startswith(error.message)
    if app_part:
        assert app_part in shown


def test_the_app_shows_the_transcription_fix(window, qtbot) -> None:
    """No model installed: the failed job names the button, not the command."""
    job = window.ops.transcribe_current()
    qtbot.waitUntil(lambda: job.status.finished, timeout=10_000)
    assert job.error.startswith("No speech model is installed.")
    assert "Project ▸ Settings… ▸ Transcription" in job.error
    assert "jazba" not in job.error


def test_the_learn_unit_lm_action_runs_both_steps(window, qtbot, monkeypatch, answers) -> None:
    """The command the unit-LM errors name exists and fits units, then trains the LM."""
    from desktop_app.gui.units import unit_lm_hook

    calls: list[str] = []
    monkeypatch.setattr(unit_lm_hook, "fit_units", lambda p, o, s: calls.append("fit"))
    monkeypatch.setattr(
        unit_lm_hook, "train_unit_lm", lambda p, o, s: calls.append("train") or "unitlm-1"
    )
    assert ("Project", "Learn a unit LM from this project…") in menu_paths(window)
    job = window.unit_lm.learn()
    qtbot.waitUntil(lambda: job.status.finished, timeout=5000)
    assert job.status.value == "done" and calls == ["fit", "train"]
    assert "Project ▸ Score with the unit LM" in window.statusBar().currentMessage()
    assert answers.errors == []
