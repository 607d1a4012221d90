"""Word-level language tags of segments: tag automatically, correct by hand.

Each change is one operation in the project's history (undoable like any
segment edit). Automatic tagging never overwrites a tag a person set and does
not change a segment's status; a person's tag (:meth:`WordLangService.set_word_lang`)
promotes an ``auto`` segment to ``edited``, as any human touch does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.core.errors import EditError, NotFoundError
from desktop_app.core.langtag import LANGS, Tagger, default_tagger, is_mixed, tags_for, word_counts
from desktop_app.core.project import Project
from desktop_app.core.services import revisions
from desktop_app.core.services.dto import OpResult
from desktop_app.core.services.segments import touched
from desktop_app.core.services.word_lang_hooks import TAGGED_TIER_KINDS, tier_is_tagged
from desktop_app.core.store.schema import Recording, Segment, Tier


@dataclass(frozen=True)
class TagSummary:
    """What a tagging run found and changed."""

    operation_id: int | None
    segments: int
    changed: int
    words: Mapping[str, int] = field(default_factory=dict)
    mixed: int = 0
    warning: str | None = None

    @property
    def monolingual(self) -> int:
        return self.segments - self.mixed


@dataclass(frozen=True)
class MixedSegment:
    """A code-switched segment: where it is and its words' tags."""

    segment_id: int
    recording_id: int
    start_ms: int
    tags: list[dict[str, str]]


class WordLangService:
    def __init__(self, project: Project, tagger: Tagger | None = None) -> None:
        self.project = project
        self._tagger = tagger

    @property
    def tagger(self) -> Tagger:
        if self._tagger is None:
            self._tagger = default_tagger()
        return self._tagger

    # -- reading -----------------------------------------------------------
    def get(self, segment_id: int) -> list[dict[str, str]]:
        """The segment's word tags (worked out afresh when none are stored or
        the text changed since, keeping the person's tags); none for a segment
        of a tier that is not a transcription (a translation, a note)."""
        with self.project.unit() as s:
            seg = _segment(s, segment_id)
            if not tier_is_tagged(s, seg.tier_id):
                return []
            return tags_for(seg.word_langs, seg.text, seg.language, seg.words, self.tagger)

    def for_recording(self, recording_id: int) -> dict[int, list[dict[str, str]]]:
        """Stored word tags of a recording's transcription segments, by segment id
        (for views that draw many segments at once; untagged segments are left out)."""
        with self.project.unit() as s:
            return {
                seg.id: tags_for(seg.word_langs, seg.text, seg.language, seg.words, self.tagger)
                for seg in _tagged_segments(s, recording_id)
                if seg.word_langs
            }

    def summary(self, recording_id: int | None = None) -> TagSummary:
        """Word and segment counts over the stored tags (no change made)."""
        with self.project.unit() as s:
            segs = list(_tagged_segments(s, recording_id))
            return self._summary(segs, None, 0)

    def mixed_segments(self, recording_id: int | None = None) -> list[MixedSegment]:
        """The segments whose stored tags have two languages or more, in time order."""
        with self.project.unit() as s:
            return [
                MixedSegment(seg.id, seg.recording_id, seg.start_ms, list(seg.word_langs or []))
                for seg in _tagged_segments(s, recording_id)
                if is_mixed(seg.word_langs)
            ]

    # -- automatic tags ----------------------------------------------------
    def tag_recording(self, recording_id: int) -> TagSummary:
        """Tag every word of the recording's transcription segments (one undo step)."""
        return self._tag(recording_id, "Tag word languages")

    def tag_project(self) -> TagSummary:
        """Tag every recording of the project (one undo step)."""
        return self._tag(None, "Tag word languages (all recordings)")

    def _tag(self, recording_id: int | None, description: str) -> TagSummary:
        tagger = self.tagger
        with self.project.unit() as s:
            if recording_id is not None and s.get(Recording, recording_id) is None:
                raise NotFoundError(f"There is no recording #{recording_id}.")
            segs = list(_tagged_segments(s, recording_id))
            rec = revisions.Recorder(s, "tag_word_langs", description, source="system")
            changed = 0
            for seg in segs:
                tags = tagger.retag(seg.word_langs, seg.text, seg.language, seg.words) or None
                if tags != seg.word_langs:
                    rec.change(seg, word_langs=tags)
                    changed += 1
            result = rec.result()
            return self._summary(segs, result.operation_id if changed else None, changed)

    def _summary(self, segs: Sequence[Segment], op_id: int | None, changed: int) -> TagSummary:
        words: Counter[str] = Counter()
        mixed = 0
        for seg in segs:
            tags = seg.word_langs or []
            words.update(word_counts(tags))
            mixed += is_mixed(tags)
        return TagSummary(
            operation_id=op_id,
            segments=len(segs),
            changed=changed,
            words={lang: words.get(lang, 0) for lang in LANGS},
            mixed=mixed,
            warning=self.tagger.warning,
        )

    # -- a person's tags ---------------------------------------------------
    def set_word_lang(self, segment_id: int, index: int, lang: str) -> OpResult:
        """Set the language of word ``index`` (by a person: kept through later
        tagging and text edits); the other automatic tags follow their new neighbour."""
        if lang not in LANGS:
            raise EditError(f"Unknown word language '{lang}' (use one of {', '.join(LANGS)}).")
        with self.project.unit() as s:
            seg = _segment(s, segment_id)
            if not tier_is_tagged(s, seg.tier_id):
                raise EditError(
                    f"Segment #{segment_id} is not on a transcription tier: only the words "
                    "of transcriptions carry a language."
                )
            tags = tags_for(seg.word_langs, seg.text, seg.language, seg.words, self.tagger)
            if not 0 <= index < len(tags):
                raise EditError(
                    f"Segment #{segment_id} has {len(tags)} words; there is no word {index + 1}."
                )
            tags[index] = {**tags[index], "l": lang, "by": "user"}
            tags = self.tagger.retag(tags, seg.text, seg.language, seg.words)
            rec = revisions.Recorder(
                s, "set_word_lang", f"Set '{tags[index]['w']}' to {lang}", source="user"
            )
            fields: dict[str, Any] = {"word_langs": tags}
            if tags != seg.word_langs:
                fields["status"] = touched(seg.status)
            rec.change(seg, **fields)
            return rec.result()


def _segment(s: Session, segment_id: int) -> Segment:
    seg = s.get(Segment, segment_id)
    if seg is None or seg.deleted:
        raise NotFoundError(f"There is no segment #{segment_id}.")
    return seg


def _tagged_segments(s: Session, recording_id: int | None) -> Iterable[Segment]:
    """The live segments of transcription tiers (of one recording, or all)."""
    q = (
        select(Segment)
        .join(Tier, Tier.id == Segment.tier_id)
        .where(Segment.deleted.is_(False), Tier.kind.in_(TAGGED_TIER_KINDS))
    )
    if recording_id is not None:
        q = q.where(Segment.recording_id == recording_id)
    return s.scalars(q.order_by(Segment.recording_id, Segment.start_ms, Segment.id))
