"""What the Training view shows before a run, so its tabs are never blank and
Start says what it needs: the conditions (in a linguist's words, from
:class:`~desktop_app.core.learning.readiness.Readiness`), what the Log tab will
hold (and the last run's log), and the card of the model training starts from.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from desktop_app.core.errors import JazbaError
from desktop_app.gui import theme
from desktop_app.services.learning_loop import model_card

if TYPE_CHECKING:
    from desktop_app.asr.manifest import Manifest
    from desktop_app.asr.registry import ModelRegistry
    from desktop_app.core.learning.readiness import Readiness
    from desktop_app.core.services.job_log import JobInfo


def conditions_html(readiness: Readiness, base: str | None, base_problem: str | None) -> str:
    """The conditions for Start, in words: what there is, what is missing."""
    t = theme.current()
    lines = [escape(readiness.summary())]
    if base_problem:
        lines.append(f'<span style="color:{t.error}">{escape(base_problem)}</span>')
    elif base:
        lines.append(f"Training starts from <b>{escape(base)}</b>.")
    problems = readiness.problems()
    for problem in problems:
        lines.append(f'<span style="color:{t.error}">{escape(problem)}</span>')
    if not problems and not base_problem:
        ok = t.status_color("approved")
        lines.append(f'<b style="color:{ok}">Ready to train.</b>')
    return "<br>".join(lines)


LOG_INTRO = (
    "The log of a training run appears here while it runs: the clips cut from the approved "
    "segments, the score of the current model on the held-out test segments, each check of "
    "the new model on the progress segments (word error rate), the checkpoints kept, and the "
    "export and score of the new model."
)


def log_before_run(last: JobInfo | None) -> str:
    """The Log tab before Start: what will be logged, and the last run's log if any."""
    if last is None:
        return f"{LOG_INTRO}\n\nNo model has been trained on this project yet."
    when = f"{last.created_at:%Y-%m-%d %H:%M}"
    outcome = {"done": "finished", "failed": "failed", "cancelled": "was cancelled",
               "running": "did not finish"}.get(last.status, last.status)  # fmt: skip
    head = f"{LOG_INTRO}\n\nThe last run on this project ({when}) {outcome}"
    head += f": {last.error}" if last.error else "."
    return f"{head}\nIts log:\n\n{last.log.strip() or '(empty)'}"


def card_before_run(manifest: Manifest | None, card: str | None) -> str:
    """The Model card tab before a run: the card of the model training starts from."""
    if manifest is None:
        return "*No speech model is installed yet.*"
    intro = "*The model training starts from. The new version's card replaces this after a run.*"
    if card:
        return f"{intro}\n\n{card}"
    facts = [f"- Version: `{manifest.id}`", f"- Source: {manifest.source}"]
    if manifest.created_at:
        facts.append(f"- Installed: {manifest.created_at[:16].replace('T', ' ')}")
    langs = manifest.languages
    if len(langs) > 12:  # a multilingual model: say how many, and ours
        ours = [code for code in ("kk", "ru") if code in langs]
        facts.append(f"- Languages: {len(langs)}, among them {', '.join(ours) or 'none of kk, ru'}")
    elif langs:
        facts.append(f"- Languages: {', '.join(langs)}")
    for key, value in sorted(manifest.metrics.items()):
        facts.append(f"- {key.replace('_', ' ')}: {value:.3g}")
    if manifest.notes:
        facts.append(f"- Notes: {manifest.notes}")
    return (
        f"{intro}\n\n# {manifest.name}\n\nThis version was not trained in Jazba, so it has "
        "no model card of its own; what is known about it:\n\n" + "\n".join(facts)
    )


def base_card(registry: ModelRegistry, model_id: str | None) -> str:
    """:func:`card_before_run` for ``model_id`` (None: the active version)."""
    try:
        manifest = registry.get(model_id) if model_id else registry.active()
        card = model_card(registry, manifest.id) if manifest else None
    except JazbaError as exc:
        return f"*{escape(str(exc))}*"
    return card_before_run(manifest, card)
