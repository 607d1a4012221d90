"""Word language tags that follow a segment's text through edits and model passes.

Called from inside the operation that changes the text (an edit, a split, a
merge, a transcription pass), so the tags change in the same undo step. Only
segments of transcription tiers are tagged; a person's tags (``by: "user"``)
are kept on every word that is still there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from desktop_app.core.langtag import default_tagger
from desktop_app.core.store.schema import Segment, Tier

TAGGED_TIER_KINDS = ("transcription",)
"""Tiers whose words are tagged (a translation or a note is not the speech)."""


def tier_is_tagged(s: Session, tier_id: int | None) -> bool:
    tier = s.get(Tier, tier_id) if tier_id is not None else None
    return tier is None or tier.kind in TAGGED_TIER_KINDS


def auto_tags(
    s: Session,
    tier_id: int | None,
    text: str,
    language: str | None,
    words: Sequence[Mapping[str, Any]] | None = None,
) -> list[dict[str, str]] | None:
    """Automatic tags for a new segment's text (None on an untagged tier or no words)."""
    if not text.strip() or not tier_is_tagged(s, tier_id):
        return None
    return default_tagger().tag(text, language, words) or None


def follow(
    s: Session,
    seg: Segment,
    text: str,
    old: Sequence[Mapping[str, Any]] | None = None,
) -> list[dict[str, str]] | None:
    """The tags of ``seg`` once its text is ``text``: ``old`` (default: its
    current tags) re-aligned to the new words, the person's tags kept."""
    old = seg.word_langs if old is None else old
    if not tier_is_tagged(s, seg.tier_id):
        return [dict(t) for t in old] if old else None
    if not text.strip():
        return None
    return default_tagger().retag(old, text, seg.language, seg.words) or None
