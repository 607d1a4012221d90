"""Active learning: which unapproved segments should a person review next?

This is the fine-tuning view of the project's one review ranking,
:func:`desktop_app.services.unit_scoring.review_queue`: segments the ASR
was least sure of come first (confidence pulled down by the weakest word), and
once the unit LM has scored the project, audio unlike the rest of it too.
Segments without text are left out; segments never scored come last.
"""

from __future__ import annotations

from desktop_app.core.project import Project
from desktop_app.services.unit_scoring import ReviewItem, review_queue

__all__ = ["ReviewItem", "rank_for_review"]


def rank_for_review(
    project: Project, limit: int | None = 50, recording_id: int | None = None
) -> list[ReviewItem]:
    """Unapproved segments with text, most doubtful first (see the module docstring)."""
    return review_queue(project, recording_id, text_only=True, limit=limit)
