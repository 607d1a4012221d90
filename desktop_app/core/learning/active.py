"""Active learning: which unapproved segments should a person review next?

Segments the model was least sure of come first. A segment's score is its
confidence (exp of the mean token log-probability), pulled down by its
weakest word, so one garbled word in an otherwise confident line still
surfaces. Segments never scored (imported ones) come last.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from desktop_app.core.project import Project
from desktop_app.core.services.dto import SegmentInfo
from desktop_app.core.services.segments import to_info
from desktop_app.core.store.schema import Recording, Segment


@dataclass(frozen=True)
class ReviewItem:
    segment: SegmentInfo
    recording_title: str
    score: float  # lower = review sooner
    weakest_word: str | None


def _score(seg: SegmentInfo) -> tuple[float, str | None]:
    conf = seg.confidence if seg.confidence is not None else 1.0
    weakest: tuple[float, str | None] = (1.0, None)
    for w in seg.words or []:
        p = w.get("p") if isinstance(w, dict) else None
        if isinstance(p, (int, float)) and p < weakest[0]:
            weakest = (float(p), str(w.get("w", "")).strip() or None)
    return min(conf, 0.5 * (conf + weakest[0])), weakest[1]


def rank_for_review(
    project: Project, limit: int | None = 50, recording_id: int | None = None
) -> list[ReviewItem]:
    """Unapproved segments with text, least confident first."""
    with project.unit() as s:
        q = (
            select(Segment, Recording.title)
            .join(Recording, Segment.recording_id == Recording.id)
            .where(Segment.deleted.is_(False), Segment.status != "approved")
        )
        if recording_id is not None:
            q = q.where(Segment.recording_id == recording_id)
        rows = [(to_info(seg), title) for seg, title in s.execute(q).all()]
    items = []
    for seg, title in rows:
        if not seg.text.strip():
            continue
        score, weakest = _score(seg)
        unscored = seg.confidence is None
        items.append((unscored, score, seg.id, ReviewItem(seg, title, score, weakest)))
    items.sort(key=lambda t: t[:3])
    ranked = [t[3] for t in items]
    return ranked if limit is None else ranked[:limit]
