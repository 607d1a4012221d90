"""What an export includes and what it leaves out, and why.

Datasets hold by default only what a person checked on transcription tiers
(:meth:`~desktop_app.core.interop.select.ExportFilter.for_dataset`); the
user must be told what that left out ("212 model drafts and 40 comment-tier
rows left out; --include-drafts to add drafts"). :func:`describe` counts the
project's segments by one grouped query, so the export dialog can show the
counts before anything is written, and every export writes them into its
``stats.json`` and ``.jazba-export.json``.

Each left-out segment is counted once, under the first reason that applies:
the user's own filters (recordings, speakers, languages, tiers), then its
tier's kind, then its review status, then empty text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, func, select

from desktop_app.core.interop.select import ExportFilter
from desktop_app.core.project import Project
from desktop_app.core.store.schema import Segment, Speaker, Tier

STATUS_REASONS = {"auto": "drafts", "edited": "edited", "approved": "approved"}
_WORDS = {  # (one, many)
    "filters": ("outside the chosen filters", "outside the chosen filters"),
    "drafts": ("model draft", "model drafts"),
    "edited": ("edited but not approved", "edited but not approved"),
    "approved": ("approved (status not chosen)", "approved (status not chosen)"),
    "empty": ("empty", "empty"),
}
_HINTS = {
    "drafts": "--include-drafts to add drafts",
    "edited": "--include-edited to add edited segments",
    "tier": "--tier NAME to add another tier",
}


def _rank(reason: str) -> tuple[int, str]:
    order = ("drafts", "edited", "approved", "filters", "empty")
    if reason.endswith("-tier"):
        return (len(order), reason)
    return (order.index(reason) if reason in order else len(order) + 1, reason)


@dataclass(frozen=True)
class Selection:
    """Segments included and left out (by reason), with their audio in milliseconds."""

    included: int = 0
    included_ms: int = 0
    left_out: dict[str, int] = field(default_factory=dict)
    left_out_ms: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)  # of the included segments

    @property
    def total_left_out(self) -> int:
        return sum(self.left_out.values())

    def reasons(self) -> list[str]:
        """``['212 model drafts', '40 comment-tier rows']`` (largest first)."""
        out = []
        for key, n in sorted(self.left_out.items(), key=lambda kv: (-kv[1], _rank(kv[0]))):
            one, many = _WORDS.get(key) or (f"{key} row", f"{key} rows")
            out.append(f"{n} {one if n == 1 else many}")
        return out

    def hints(self) -> list[str]:
        keys = set(self.left_out)
        out = [_HINTS[k] for k in ("drafts", "edited") if k in keys]
        if any(k.endswith("-tier") for k in keys):
            out.append(_HINTS["tier"])
        return out

    def summary(self, hints: bool = True) -> str:
        """One line: what went in and what was left out (and how to add it)."""
        text = f"{self.included} segment(s) included"
        if not self.left_out:
            return text + "; nothing left out."
        reasons = self.reasons()
        joined = ", ".join(reasons[:-1]) + " and " + reasons[-1] if len(reasons) > 1 else reasons[0]
        text += f"; {joined} left out"
        if hints and self.hints():
            text += "; " + "; ".join(self.hints())
        return text + "."

    def to_json(self) -> dict[str, Any]:
        return {
            "included": self.included,
            "included_hours": round(self.included_ms / 3_600_000, 4),
            "included_statuses": dict(sorted(self.statuses.items())),
            "left_out": dict(sorted(self.left_out.items())),
            "left_out_hours": {
                k: round(v / 3_600_000, 4) for k, v in sorted(self.left_out_ms.items())
            },
            "summary": self.summary(hints=False),
        }


def _reason(
    requested: ExportFilter,
    effective: ExportFilter,
    row: tuple[str, str, str, str | None, str | None, int, bool],
) -> str | None:
    status, tier, kind, speaker, language, recording, empty = row
    if (
        (requested.recordings and recording not in requested.recordings)
        or (requested.speakers and speaker not in requested.speakers)
        or (requested.tiers and tier not in requested.tiers)
        or (requested.languages and (language or "") not in requested.languages)
    ):
        return "filters"
    if effective.kinds and kind not in effective.kinds:
        return f"{kind}-tier"
    if effective.statuses and status not in effective.statuses:
        return STATUS_REASONS.get(status, status)
    if effective.skip_empty and empty:
        return "empty"
    return None


def describe(project: Project, requested: ExportFilter, effective: ExportFilter) -> Selection:
    """Count the project's segments that ``effective`` keeps and those it leaves out;
    ``requested`` is the user's filter before the dataset defaults were added (what
    it excludes counts as "outside the chosen filters")."""
    empty = case((func.trim(Segment.text, " \t\r\n") == "", True), else_=False)
    q = (
        select(
            Segment.status,
            Tier.name,
            Tier.kind,
            Speaker.name,
            Segment.language,
            Segment.recording_id,
            empty,
            func.count(),
            func.sum(Segment.end_ms - Segment.start_ms),
        )
        .join(Tier, Tier.id == Segment.tier_id)
        .outerjoin(Speaker, Speaker.id == Segment.speaker_id)
        .where(Segment.deleted.is_(False))
        .group_by(
            Segment.status, Tier.name, Tier.kind, Speaker.name, Segment.language,
            Segment.recording_id, empty,
        )
    )  # fmt: skip
    included = included_ms = 0
    left: dict[str, int] = {}
    left_ms: dict[str, int] = {}
    statuses: dict[str, int] = {}
    with project.unit() as s:
        for *key, count, ms in s.execute(q):
            reason = _reason(requested, effective, tuple(key))  # type: ignore[arg-type]
            if reason is None:
                included += count
                included_ms += ms or 0
                statuses[key[0]] = statuses.get(key[0], 0) + count
            else:
                left[reason] = left.get(reason, 0) + count
                left_ms[reason] = left_ms.get(reason, 0) + (ms or 0)
    return Selection(included, included_ms, left, left_ms, statuses)
