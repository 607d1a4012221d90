"""``jazba langtag``: tag the language of every word (Kazakh / Russian / other)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from desktop_app.cli.common import fmt_time, open_project, user_errors
from desktop_app.core.services.word_langs import WordLangService


@user_errors
def langtag(
    project_path: Annotated[Path, typer.Argument(help="Project folder (NAME.jazba).")],
    recording: Annotated[
        int | None, typer.Option(help="Only this recording id (default: all).")
    ] = None,
    show_mixed: Annotated[
        bool, typer.Option("--show-mixed", help="List the code-switched segments.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Tag each word of the transcription segments as Kazakh, Russian or other.

    Tags a person set are kept; the run is one step in the project's history
    (undo it like any edit). Prints the words of each language and how many
    segments are code-switched.
    """
    with open_project(project_path) as project:
        service = WordLangService(project)
        summary = service.tag_project() if recording is None else service.tag_recording(recording)
        mixed = service.mixed_segments(recording) if show_mixed else []
    if summary.warning:
        typer.echo(f"Warning: {summary.warning}", err=True)
    if as_json:
        out = {
            "segments": summary.segments,
            "changed": summary.changed,
            "words": dict(summary.words),
            "mixed_segments": summary.mixed,
            "monolingual_segments": summary.monolingual,
            "operation_id": summary.operation_id,
        }
        if show_mixed:
            out["mixed"] = [
                {"segment_id": m.segment_id, "recording_id": m.recording_id, "tags": m.tags}
                for m in mixed
            ]
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    words = summary.words
    typer.echo(
        f"{summary.segments} segments ({summary.changed} newly tagged): words "
        f"kk {words.get('kk', 0)}, ru {words.get('ru', 0)}, other {words.get('other', 0)}; "
        f"mixed segments {summary.mixed}, monolingual {summary.monolingual}"
    )
    for m in mixed:
        text = " ".join(f"{t['w']}/{t['l']}" for t in m.tags)
        typer.echo(f"  #{m.recording_id} {fmt_time(m.start_ms)}  {text}")
