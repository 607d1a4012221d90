"""``jazba words PROJECT list|add|remove|import|clear``: the project's word list.

The word list (names, terms) is what transcription leans towards without any
training: Whisper gets the words as a prompt and a capped bonus for their
tokens, a CTC model a bonus in its beam search. ``jazba transcribe`` uses it
unless ``--bias-words``, ``--bias-file`` or ``--no-bias`` say otherwise.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from desktop_app.cli.common import open_project, user_errors
from desktop_app.core.services.bias_words import (
    BiasWord,
    add_words,
    load_words,
    parse_word_file,
    remove_words,
    save_words,
    set_prompt,
    uses_prompt,
)


class Action(StrEnum):
    list = "list"
    add = "add"
    remove = "remove"
    import_ = "import"
    clear = "clear"
    prompt = "prompt"


def _show(words: list[BiasWord], as_json: bool) -> None:
    if as_json:
        data = [{"w": b.word, "weight": b.weight} for b in words]
        typer.echo(json.dumps(data, ensure_ascii=False, indent=1))
        return
    if not words:
        typer.echo("The word list is empty.")
    for b in words:
        typer.echo(b.word if b.weight == 1.0 else f"{b.word}\t{b.weight:g}")


@user_errors
def words_cmd(
    project_path: Annotated[Path, typer.Argument(help="Project folder (NAME.jazba).")],
    action: Annotated[
        Action, typer.Argument(help="list, add, remove, import, clear, or prompt on|off.")
    ],
    items: Annotated[
        list[str] | None,
        typer.Argument(help="Words to add or remove; for import: word files (UTF-8)."),
    ] = None,
    weight: Annotated[
        float, typer.Option(help="Weight of the words added (1 = normal, up to 10).")
    ] = 1.0,
    as_json: Annotated[bool, typer.Option("--json", help="List as JSON.")] = False,
) -> None:
    """The project's word list: names and terms transcription leans towards.

    Examples: 'jazba words P.jazba add Жамбыл Алматы', 'jazba words P.jazba
    import names.txt' (one word per line, optional ';weight'), 'jazba words
    P.jazba remove Алматы', 'jazba words P.jazba clear'. 'jazba words P.jazba prompt on'
    also gives Whisper the words as its prompt (off by default: it finds more
    listed words but made other words worse in our tests)."""
    items = items or []
    if action in (Action.list, Action.clear) and items:
        raise typer.BadParameter(f"'{action.value}' takes no words.")
    if action in (Action.add, Action.remove, Action.import_) and not items:
        raise typer.BadParameter(f"'{action.value}' needs at least one word or file.")
    if action is Action.prompt and items not in (["on"], ["off"]):
        raise typer.BadParameter("'prompt' takes 'on' or 'off'.")
    with open_project(project_path) as project:
        before = len(load_words(project))
        if action is Action.list:
            _show(load_words(project), as_json)
            if not as_json:
                state = "on" if uses_prompt(project) else "off"
                typer.echo(f"(Whisper prompt: {state})", err=True)
            return
        if action is Action.prompt:
            set_prompt(project, items == ["on"])
            typer.echo(f"Whisper prompt from the word list: {items[0]}.")
            return
        if action is Action.clear:
            save_words(project, [])
            typer.echo(f"Cleared the word list ({before} word(s)).")
            return
        if action is Action.add:
            after = add_words(project, [BiasWord(w, weight) for w in items])
        elif action is Action.import_:
            given: list[BiasWord] = []
            for name in items:
                given += parse_word_file(Path(name))
            after = add_words(project, given)
        else:
            after, missing = remove_words(project, items)
            if missing:
                typer.echo(f"Not in the list: {', '.join(missing)}", err=True)
        typer.echo(f"The word list has {len(after)} word(s) ({len(after) - before:+d}).")
