"""A Markdown model card for each fine-tuned version.

Laid out like the cards published for Kazakh ASR models: details, the data
it learnt from, evaluation before and after on the held-out test set (with
normalisation stated), per-group breakdowns, the training run, limitations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from desktop_app.core.learning.audit import DataAudit
from desktop_app.core.learning.config import FinetuneConfig
from desktop_app.core.learning.metrics import (
    WORD_GROUPS,
    EvalReport,
    Scores,
    relative_reduction,
)

MIN_GROUP_FOR_CLAIMS = 20  # groups with fewer test utterances get a warning


@dataclass
class CardInput:
    name: str
    model_id: str
    parent_name: str
    parent_id: str | None
    config: FinetuneConfig
    audit: DataAudit
    before: EvalReport | None
    after: EvalReport | None  # None: nothing real was held out (text bootstrap alone)
    training: Mapping[str, Any] = field(default_factory=dict)  # steps, minutes, device, ...
    projects: list[str] = field(default_factory=list)
    created_at: str = ""
    synthetic: Mapping[str, Any] | None = None  # the text bootstrap's summary


def _synthetic_lines(syn: Mapping[str, Any], share: float) -> list[str]:
    """The text bootstrap: sources, voices, settings and how it was mixed in."""
    opts = syn.get("options", {})
    sources = "; ".join(
        f"{s['name']} ({s['kind']}: {s['sentences']} sentences, {s['words']} words)"
        for s in syn.get("sources", [])
    )
    aug = "room reverb, noise and tempo (seeded)" if opts.get("augment") else "none"
    return [
        "",
        "**Synthetic speech (text bootstrap)**",
        "",
        f"- {syn.get('clips', 0)} clips ({syn.get('minutes', 0):.1f} min) of "
        f"{syn.get('sentences', 0)} sentences by {syn.get('synthesizer', '?')}; "
        f"{syn.get('dropped_held_out', 0)} sentences dropped as held-out text",
        f"- Text: {sources or '–'}",
        f"- Voices: {', '.join(syn.get('voices', [])) or '–'}; "
        f"{opts.get('voices_per_text', '?')} per sentence, speed {opts.get('speed')}, "
        f"pitch {opts.get('pitch')}, augmentation: {aug}, seed {opts.get('seed')}",
        f"- Listed words in {opts.get('carriers_per_word', '?')} carrier phrases each",
        f"- Mixed in at most {100 * share:.0f} % of each epoch when real speech exists "
        "(a fresh subset each epoch); never in the dev or test set",
        *_synthesizer_lines(syn.get("synthesizers", [])),
    ]


def _synthesizer_lines(synths: list[Mapping[str, Any]]) -> list[str]:
    """Each synthesiser: what it is, its licence (non-commercial said plainly), settings."""
    lines = []
    for s in synths:
        source = f", from {s['source']}" if s.get("source") else ""
        lines.append(
            f"- Synthesiser {s.get('title') or s.get('name')} {s.get('version', '')}{source}: "
            f"{s.get('clips', '?')} clips; licence {s.get('license', 'not recorded')}"
        )
        settings = s.get("settings")
        if settings:
            text = "; ".join(f"{k}: {v}" for k, v in settings.items())
            lines.append(f"  - Settings: {text}")
    if any(s.get("non_commercial") for s in synths):
        lines += [
            "",
            "**Non-commercial use only**: part of this model's training audio was made by "
            "a voice licensed for non-commercial use (see above), so this model may be "
            "used for non-commercial purposes only.",
        ]
    return lines


def _recall_lines(before: EvalReport | None, after: EvalReport) -> list[str]:
    if not any(r.words for r in after.word_recall.values()):
        return []
    lines = [
        "",
        "**Word recall by where training saw the word**",
        "",
        "| Words | Distinct | Occurrences | Recall % before | Recall % after |",
        "|---|---|---|---|---|",
    ]
    for group, label in WORD_GROUPS.items():
        r = after.word_recall.get(group)
        if r is None or not r.words:
            continue
        b = before.word_recall.get(group) if before else None
        b = b if b is not None and b.words else None
        lines.append(
            f"| {label} | {r.distinct} | {r.words} | {_pct(b.recall) if b else '–'} "
            f"| {_pct(r.recall)} |"
        )
    return lines


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def _row(label: str, s: Scores) -> str:
    return (
        f"| {label} | {s.n} | {_pct(s.wer)} | {_pct(s.cer)} | {_pct(s.mer)} | {_pct(s.wil)} "
        f"| {s.length_ratio:.2f} | {s.insertions} | {s.hallucinations} |"
    )


HEADER = (
    "| Model | Utterances | WER % | CER % | MER % | WIL % | Hyp/ref length | Insertions "
    "| Hallucination-like |\n|---|---|---|---|---|---|---|---|---|"
)


def _breakdown(before: EvalReport | None, after: EvalReport, key: str) -> list[str]:
    groups = after.breakdown.get(key, {})
    if len(groups) < 2 and "unknown" in groups:
        return []
    lines = [
        f"\n**By {key.replace('_', ' ')}**\n",
        "| Group | Utterances | WER % before | WER % after | CER % before | CER % after |",
        "|---|---|---|---|---|---|",
    ]
    for group, s in groups.items():
        b = before.breakdown.get(key, {}).get(group) if before else None
        lines.append(
            f"| {group} | {s.n} | {_pct(b.wer) if b else '–'} | {_pct(s.wer)} "
            f"| {_pct(b.cer) if b else '–'} | {_pct(s.cer)} |"
        )
    return lines


def render_model_card(card: CardInput) -> str:
    cfg, audit, after, before = card.config, card.audit, card.after, card.before
    created = card.created_at or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    t = card.training
    ctc = t.get("architecture") == "ctc"
    if ctc:  # the trainer's own choices (no LoRA; its learning rate default)
        method = "full fine-tune, CTC loss, feature encoder frozen"
        method += ", transformer frozen" if cfg.freeze_encoder else ""
        architecture = f"CTC ({t.get('model_type', 'wav2vec2')}, characters)"
    else:
        method = "LoRA (merged)" if cfg.method == "lora" else "full fine-tune"
        method += ", encoder frozen" if cfg.freeze_encoder else ""
        architecture = "Whisper (encoder-decoder)"
    lr = float(t.get("learning_rate") or cfg.lr)
    out = [
        f"# {card.name}",
        "",
        "## Model details",
        "",
        f"- **Id:** `{card.model_id}`",
        f"- **Fine-tuned from:** {card.parent_name}"
        + (f" (`{card.parent_id}`)" if card.parent_id else ""),
        f"- **Architecture:** {architecture}, exported to ONNX for Jazba's runtime",
        f"- **Method:** {method}; learning rate {lr:g}, batch {cfg.batch_size}"
        f"×{cfg.grad_accum}, SpecAugment {'on' if cfg.spec_augment else 'off'}",
        f"- **Language:** {t.get('language') or cfg.language}",
        f"- **Created:** {created} with Jazba",
        f"- **Projects:** {', '.join(card.projects) or '–'}",
        "",
        "## Training data",
        "",
        *[f"- {line.strip()}" for line in audit.summary_lines()],
        *([f"- {t['skipped_summary']}."] if t.get("skipped_summary") else []),
        *(_synthetic_lines(card.synthetic, cfg.synthetic_share) if card.synthetic else []),
        "",
        "## Evaluation",
        "",
    ]
    if after is None:
        out.append(
            "Not evaluated: no real speech was held out for testing (only real speech "
            "is ever scored, never synthetic). Approve segments to get a test set."
        )
    else:
        out += _evaluation(card, before, after)
    out += _training_and_limits(card, t, cfg, audit, after)
    return "\n".join(out)


def _evaluation(card: CardInput, before: EvalReport | None, after: EvalReport) -> list[str]:
    out = [
        f"Held-out test set: {after.overall.n} utterances that were never trained on. "
        "Both sides are normalised before scoring (lowercase, punctuation removed, "
        "whitespace collapsed, numbers spelled out in Kazakh; FLEURS-style). "
        "Hallucination-like: a hypothesis over 1.5× the reference length or stuck "
        "repeating a word or phrase.",
        "",
        HEADER,
    ]
    if before is not None:
        out.append(_row(f"{card.parent_name} (before)", before.overall))
    out.append(_row(f"{card.name} (after)", after.overall))
    if before is not None and before.overall.wer > 0:
        change = -100 * relative_reduction(before.overall.wer, after.overall.wer) + 0.0
        out += ["", f"Relative WER change: **{change:+.1f} %** "
                f"({_pct(before.overall.wer)} → {_pct(after.overall.wer)})."]  # fmt: skip
    out += _recall_lines(before, after)
    for key in ("speaker", "gender", "age_band", "language", "code_switching"):
        out += _breakdown(before, after, key)
    if after.worst:
        out += ["", "**Hardest test utterances (after)**", "", "| Reference | Hypothesis | WER % |",
                "|---|---|---|"]  # fmt: skip
        for u, w in after.worst[:5]:
            ref = u.reference.replace("|", "/")
            hyp = u.hypothesis.replace("|", "/")
            out.append(f"| {ref} | {hyp} | {_pct(w)} |")
    return out


def _training_and_limits(
    card: CardInput,
    t: Mapping[str, Any],
    cfg: FinetuneConfig,
    audit: DataAudit,
    after: EvalReport | None,
) -> list[str]:
    out: list[str] = []
    by = str(t.get("select_by", "wer")).upper()
    best_dev = f"{_pct(t['best_dev_wer'])} %" if t.get("best_dev_wer") is not None else "–"
    if t.get("best_dev_cer") is not None:
        best_dev += f" (CER {_pct(t['best_dev_cer'])} %)"
    out += [
        "",
        "## Training",
        "",
        f"- **Steps:** {t.get('steps', '–')} ({t.get('epochs', '–')} epochs)"
        + (f", stopped early on dev {by}" if t.get("stopped_early") else ""),
        f"- **Kept checkpoint:** step {t.get('best_step', '–')}, the best dev {by}; "
        f"dev WER there {best_dev}",
        f"- **Final training loss:** {t.get('final_loss', '–')}",
        f"- **Device:** {t.get('device', '–')}, precision {t.get('precision', '–')}",
        f"- **Wall time:** {t.get('minutes', 0):.1f} minutes",
        "",
        "## Limitations",
        "",
        "- Trained on a small, project-specific set: expect it to be better for these "
        "speakers, this recording setup and this domain, and possibly worse elsewhere. "
        "Compare with the parent before relying on it for new material.",
    ]
    if after is not None:
        out.append(
            f"- The test set has {after.overall.n} utterances; differences of a few points "
            "are within noise at that size."
        )
    small = [
        f"{key.replace('_', ' ')} '{g}'"
        for key, groups in (after.breakdown.items() if after else ())
        for g, s in groups.items()
        if g != "unknown" and s.n < MIN_GROUP_FOR_CLAIMS
    ]
    if small:
        out.append(
            f"- Groups with under {MIN_GROUP_FOR_CLAIMS} test utterances ("
            + ", ".join(small[:8])
            + (", …" if len(small) > 8 else "")
            + ") give no reliable per-group figures."
        )
    if audit.counts_by_kind():
        out.append(
            "- The audit flagged suspicious training texts ("
            + ", ".join(f"{k}: {v}" for k, v in sorted(audit.counts_by_kind().items()))
            + "); they were trained on as they are."
        )
    out += [
        "- Word timings are estimated, not aligned; speaker turns are not modelled.",
        "- Re-transcribing with this version changes only automatic segments; edited and "
        "approved ones stay as people left them.",
        "",
    ]
    return out
