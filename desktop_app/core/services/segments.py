"""Segment editing: add, edit, split, merge, delete, set fields, undo, redo.

Each public method is one unit of work and one undo step (an Operation).

Any change a person makes to a model segment (text, speaker, language,
boundaries, a split or merge) promotes it from ``auto`` to ``edited``, so the
next transcription pass keeps it; nobody can set a segment back to ``auto``
(only a model writes that status). An edit that reaches a segment a running
transcription has just replaced (the editor was open on it, or another process
transcribes) is not refused: the person's segment comes back with the edit and
the model's new segments that overlap it go (see :meth:`SegmentService._for_edit`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.core.errors import EditError, NotFoundError
from desktop_app.core.project import DEFAULT_TIER, Project
from desktop_app.core.services import revisions
from desktop_app.core.services import tier_children as tc
from desktop_app.core.services.dto import OpResult, RevisionInfo, SegmentInfo
from desktop_app.core.services.revisions import replaced_by_model
from desktop_app.core.services.word_lang_hooks import follow as follow_word_langs
from desktop_app.core.store.schema import (
    SEGMENT_STATUSES,
    Recording,
    Revision,
    Segment,
    Speaker,
    Tier,
)

MIN_SEGMENT_MS = tc.MIN_SEGMENT_MS
HUMAN_STATUSES = ("edited", "approved")
"""What a person may set; ``auto`` is the model's own status."""


RESTORED_FIELDS = (
    "start_ms",
    "end_ms",
    "text",
    "speaker_id",
    "language",
    "confidence",
    "model_version_id",
    "words",
    "word_langs",
    "parent_id",
    "ordinal",
)
"""What "Restore this version" brings back (the tier and recording stay)."""


def touched(status: str) -> str:
    """The status of a segment after a person changed it (``auto`` becomes ``edited``)."""
    return "edited" if status == "auto" else status


def to_info(seg: Segment) -> SegmentInfo:
    return SegmentInfo(
        id=seg.id,
        recording_id=seg.recording_id,
        tier_id=seg.tier_id,
        start_ms=seg.start_ms,
        end_ms=seg.end_ms,
        text=seg.text,
        speaker_id=seg.speaker_id,
        language=seg.language,
        status=seg.status,
        confidence=seg.confidence,
        model_version_id=seg.model_version_id,
        words=seg.words,
        unit_perplexity=seg.unit_perplexity,
        parent_id=seg.parent_id,
        ordinal=seg.ordinal,
        word_langs=seg.word_langs,
    )


@dataclass(frozen=True)
class NewSegment:
    """A segment to add (e.g. from a model or an import)."""

    start_ms: int
    end_ms: int
    text: str = ""
    speaker_id: int | None = None
    language: str | None = None
    confidence: float | None = None
    words: list[Any] | None = None
    parent_id: int | None = None  # on a child tier: the parent annotation (else found by time)


def default_tier_id(session: Session) -> int:
    tier_id = session.scalar(select(Tier.id).where(Tier.name == DEFAULT_TIER))
    if tier_id is None:
        tier = Tier(name=DEFAULT_TIER, kind="transcription")
        session.add(tier)
        session.flush()
        tier_id = tier.id
    return tier_id


def split_text(text: str, fraction: float) -> tuple[str, str]:
    """Split ``text`` at the word boundary nearest to ``fraction`` of its length."""
    text = text.strip()
    if not text:
        return "", ""
    target = round(len(text) * fraction)
    spaces = [i for i, ch in enumerate(text) if ch.isspace()]
    if not spaces:
        return (text, "") if fraction >= 0.5 else ("", text)
    cut = min(spaces, key=lambda i: abs(i - target))
    return text[:cut].strip(), text[cut:].strip()


class SegmentService:
    def __init__(self, project: Project) -> None:
        self.project = project

    # -- reading -----------------------------------------------------------
    def list(
        self, recording_id: int, tier_id: int | None = None, *, include_deleted: bool = False
    ) -> list[SegmentInfo]:
        with self.project.unit() as s:
            q = select(Segment).where(Segment.recording_id == recording_id)
            if tier_id is not None:
                q = q.where(Segment.tier_id == tier_id)
            if not include_deleted:
                q = q.where(Segment.deleted.is_(False))
            return [to_info(x) for x in s.scalars(q.order_by(Segment.start_ms, Segment.id))]

    def get(self, segment_id: int, *, include_deleted: bool = False) -> SegmentInfo:
        with self.project.unit() as s:
            return to_info(self._segment(s, segment_id, allow_deleted=include_deleted))

    def history(self, segment_id: int) -> list[RevisionInfo]:
        with self.project.unit() as s:
            self._segment(s, segment_id, allow_deleted=True)
            return revisions.history(s, segment_id)

    # -- edits -------------------------------------------------------------
    def add(
        self,
        recording_id: int,
        new: NewSegment,
        *,
        tier_id: int | None = None,
        status: str = "edited",
        source: str = "user",
        source_detail: str | None = None,
        model_version_id: str | None = None,
    ) -> OpResult:
        with self.project.unit() as s:
            rec = revisions.Recorder(s, "add", "Add segment", source, source_detail)
            self._add(s, rec, recording_id, new, tier_id, status, model_version_id)
            return rec.result()

    def add_many(
        self,
        recording_id: int,
        items: Iterable[NewSegment],
        *,
        tier_id: int | None = None,
        status: str = "auto",
        source: str = "import",
        source_detail: str | None = None,
        model_version_id: str | None = None,
    ) -> OpResult:
        """Add several segments as one undo step (imports, model output)."""
        with self.project.unit() as s:
            rec = revisions.Recorder(s, "add_many", "Add segments", source, source_detail)
            for new in items:
                self._add(s, rec, recording_id, new, tier_id, status, model_version_id)
            return rec.result()

    def edit_text(self, segment_id: int, text: str) -> OpResult:
        with self.project.unit() as s:
            rec = revisions.Recorder(s, "edit_text", "Edit text")
            seg = self._for_edit(s, rec, segment_id)
            fields: dict[str, Any] = {"text": text}
            if text != seg.text and seg.status in ("auto", "approved"):
                fields["status"] = "edited"
            if text != seg.text:  # the word language tags follow (a person's tags stay)
                fields["word_langs"] = follow_word_langs(s, seg, text)
            rec.change(seg, **fields)
            return rec.result()

    def set_times(self, segment_id: int, start_ms: int, end_ms: int) -> OpResult:
        with self.project.unit() as s:
            rec = revisions.Recorder(s, "set_times", "Move boundaries")
            seg = self._for_edit(s, rec, segment_id)
            self._check_times(s, seg.recording_id, start_ms, end_ms)
            tc.check_own_times(s, seg, start_ms, end_ms)
            old = (seg.start_ms, seg.end_ms)
            fields: dict[str, Any] = {"start_ms": int(start_ms), "end_ms": int(end_ms)}
            if old != (fields["start_ms"], fields["end_ms"]):
                fields["status"] = touched(seg.status)
            rec.change(seg, **fields)
            tc.relayout(s, rec, seg, old)
            return rec.result()

    def split(self, segment_id: int, at_ms: int, text_cut: int | None = None) -> OpResult:
        """Split a segment at ``at_ms``; the text is cut at ``text_cut`` (a
        character index) or, by default, at the word nearest to the time."""
        with self.project.unit() as s:
            seg = self._segment(s, segment_id)
            tc.check_structural(s, seg, "split")
            if not (seg.start_ms + MIN_SEGMENT_MS <= at_ms <= seg.end_ms - MIN_SEGMENT_MS):
                raise EditError(
                    f"Cannot split at {at_ms / 1000:.3f} s: it must lie inside the segment "
                    f"({seg.start_ms / 1000:.3f}–{seg.end_ms / 1000:.3f} s)."
                )
            if text_cut is None:
                frac = (at_ms - seg.start_ms) / (seg.end_ms - seg.start_ms)
                left, right = split_text(seg.text, frac)
            else:
                left, right = seg.text[:text_cut].strip(), seg.text[text_cut:].strip()
            words = seg.words or None
            lw = [w for w in words if w.get("e", 0) * 1000 <= at_ms] if words else None
            rw = [w for w in words if w.get("e", 0) * 1000 > at_ms] if words else None
            rec = revisions.Recorder(s, "split", "Split segment")
            status = "edited" if seg.status == "auto" else seg.status
            new = Segment(
                recording_id=seg.recording_id,
                tier_id=seg.tier_id,
                start_ms=int(at_ms),
                end_ms=seg.end_ms,
                speaker_id=seg.speaker_id,
                text=right,
                language=seg.language,
                status=status,
                confidence=seg.confidence,
                model_version_id=seg.model_version_id,
                words=rw,
                word_langs=follow_word_langs(s, seg, right),
                parent_id=seg.parent_id,
            )
            old = (seg.start_ms, seg.end_ms)
            rec.change(
                seg,
                end_ms=int(at_ms),
                text=left,
                words=lw,
                status=status,
                word_langs=follow_word_langs(s, seg, left),
            )
            rec.create(new)
            tc.on_split(s, rec, seg, new, old)
            return rec.result()

    def merge(self, segment_id: int, other_id: int | None = None) -> OpResult:
        """Merge a segment with ``other_id`` (default: the next one on its tier)."""
        with self.project.unit() as s:
            seg = self._segment(s, segment_id)
            other = self._segment(s, other_id) if other_id is not None else self._next(s, seg)
            if other is None:
                raise EditError("There is no next segment to merge with.")
            if (other.recording_id, other.tier_id) != (seg.recording_id, seg.tier_id):
                raise EditError("Only segments of the same recording and tier can be merged.")
            tc.check_structural(s, seg, "merge")
            first, second = sorted((seg, other), key=lambda x: (x.start_ms, x.id))
            rec = revisions.Recorder(s, "merge", "Merge segments")
            merged_text = " ".join(t for t in (first.text.strip(), second.text.strip()) if t)
            tags = (first.word_langs or []) + (second.word_langs or []) or None
            confs = [c for c in (first.confidence, second.confidence) if c is not None]
            rec.change(
                first,
                start_ms=min(first.start_ms, second.start_ms),
                end_ms=max(first.end_ms, second.end_ms),
                text=merged_text,
                words=(first.words or []) + (second.words or []) or None,
                word_langs=follow_word_langs(s, first, merged_text, tags),
                confidence=min(confs) if confs else None,
                status="approved" if first.status == second.status == "approved" else "edited",
            )
            tc.on_merge(s, rec, first, second)
            rec.change(second, deleted=True)
            tc.delete_tree(s, rec, second)
            return rec.result()

    def delete(self, segment_ids: int | Sequence[int]) -> OpResult:
        """Delete segments and, on parent tiers, their children (one undo step)."""
        ids = [segment_ids] if isinstance(segment_ids, int) else list(segment_ids)
        with self.project.unit() as s:
            rec = revisions.Recorder(s, "delete", "Delete segment")
            for sid in ids:
                seg = self._segment(s, sid)
                rec.change(seg, deleted=True)
                tc.delete_tree(s, rec, seg)
            return rec.result()

    def set_speaker(self, segment_ids: int | Sequence[int], speaker_id: int | None) -> OpResult:
        with self.project.unit() as s:
            sp = s.get(Speaker, speaker_id) if speaker_id is not None else None
            if speaker_id is not None and (sp is None or sp.merged_into_id is not None):
                raise NotFoundError(f"There is no speaker #{speaker_id}.")
        return self._set_many(segment_ids, "set_speaker", "Set speaker", speaker_id=speaker_id)

    def set_language(self, segment_ids: int | Sequence[int], language: str | None) -> OpResult:
        return self._set_many(segment_ids, "set_language", "Set language", language=language)

    def set_status(self, segment_ids: int | Sequence[int], status: str) -> OpResult:
        if status == "auto":
            raise EditError(
                "A segment cannot be set back to 'auto': that status marks model output "
                "nobody has checked, and the next transcription replaces it. Mark it "
                "'edited' or 'approved', or delete it to let the model redo that part."
            )
        if status not in HUMAN_STATUSES:
            raise EditError(f"Unknown status '{status}' (use one of {', '.join(HUMAN_STATUSES)}).")
        return self._set_many(segment_ids, "set_status", f"Mark {status}", status=status)

    def undo(self, operation_id: int) -> OpResult:
        with self.project.unit() as s:
            return revisions.undo(s, operation_id)

    def redo(self, operation_id: int) -> OpResult:
        with self.project.unit() as s:
            return revisions.redo(s, operation_id)

    def undo_timeline(self, limit: int = 200) -> tuple[list[revisions.UndoStep], int]:
        """The undo stack as the history left it (see :func:`revisions.undo_timeline`)."""
        with self.project.unit() as s:
            return revisions.undo_timeline(s, limit)

    def restore_version(self, segment_id: int, revision_id: int) -> OpResult:
        """Give a segment back the text, times, speaker and language it had after
        one of its revisions (a person's edit: an ``auto`` version comes back
        ``edited``; a removed segment comes back)."""
        with self.project.unit() as s:
            rev = s.get(Revision, revision_id)
            if rev is None or rev.segment_id != segment_id or rev.after is None:
                raise NotFoundError(f"Segment #{segment_id} has no version #{revision_id}.")
            seg = s.get(Segment, segment_id)
            if seg is None:
                raise NotFoundError(f"There is no segment #{segment_id}.")
            version = rev.after
            rec = revisions.Recorder(s, "restore_version", "Restore an earlier version")
            fields = {k: version[k] for k in RESTORED_FIELDS if k in version}
            self._check_times(s, seg.recording_id, fields["start_ms"], fields["end_ms"])
            fields["deleted"] = False
            fields["status"] = touched(version.get("status", seg.status))
            was_deleted, old = seg.deleted, (seg.start_ms, seg.end_ms)
            rec.change(seg, **fields)
            if was_deleted:
                tc.revive(s, rec, seg)
            else:
                tc.relayout(s, rec, seg, old)
            return rec.result()

    def last_undoable(self) -> int | None:
        with self.project.unit() as s:
            return revisions.last_undoable(s)

    # -- helpers -----------------------------------------------------------
    def _set_many(
        self,
        segment_ids: int | Sequence[int],
        kind: str,
        description: str,
        *,
        touch: bool = True,
        **fields: Any,
    ) -> OpResult:
        """Set ``fields`` on each segment; with ``touch`` (a person's change of its
        content) a change promotes an ``auto`` segment to ``edited``."""
        ids = [segment_ids] if isinstance(segment_ids, int) else list(segment_ids)
        with self.project.unit() as s:
            rec = revisions.Recorder(s, kind, description)
            for sid in ids:
                if not touch:
                    rec.change(self._segment(s, sid), **fields)
                    continue
                seg = self._for_edit(s, rec, sid)
                changes = dict(fields)
                if any(getattr(seg, k) != v for k, v in fields.items()):
                    changes.setdefault("status", touched(seg.status))
                rec.change(seg, **changes)
                if "speaker_id" in fields:
                    tc.follow_speaker(s, rec, seg)
            return rec.result()

    def _for_edit(self, s: Session, rec: revisions.Recorder, segment_id: int) -> Segment:
        """The segment a person is changing; one a transcription pass has just
        replaced comes back (the person wins over the model), and the pass's
        new segments that overlap it are retired in the same undo step."""
        seg = s.get(Segment, segment_id)
        if seg is None:
            raise NotFoundError(f"There is no segment #{segment_id}.")
        if not seg.deleted:
            return seg
        if not replaced_by_model(s, segment_id):
            raise NotFoundError(f"There is no segment #{segment_id} (it was deleted).")
        top = tc.deleted_root(s, seg)  # a child's parent went with it: it comes back too
        rec.change(top, deleted=False)
        tc.revive(s, rec, top)
        rec.change(seg, deleted=False, status=touched(seg.status))
        overlapping = s.scalars(
            select(Segment).where(
                Segment.recording_id == top.recording_id,
                Segment.tier_id == top.tier_id,
                Segment.deleted.is_(False),
                Segment.status == "auto",
                Segment.id != top.id,
                Segment.start_ms < top.end_ms,
                Segment.end_ms > top.start_ms,
            )
        )
        for other in overlapping:
            rec.change(other, deleted=True)
            tc.delete_tree(s, rec, other)
        rec.op.description += " (kept over the new transcription)"
        return seg

    def _add(
        self,
        s: Session,
        rec: revisions.Recorder,
        recording_id: int,
        new: NewSegment,
        tier_id: int | None,
        status: str,
        model_version_id: str | None,
    ) -> Segment:
        if status not in SEGMENT_STATUSES:
            raise EditError(f"Unknown status '{status}'.")
        tier = s.get(Tier, tier_id if tier_id is not None else default_tier_id(s))
        if tier is None:
            raise NotFoundError(f"There is no tier #{tier_id}.")
        if tier.constraint not in tc.SYMBOLIC:  # symbolic ones take the parent's times
            self._check_times(s, recording_id, new.start_ms, new.end_ms)
        parent, start, end, ordinal = tc.place_new(
            s, tier, recording_id, int(new.start_ms), int(new.end_ms), new.parent_id
        )
        seg = rec.create(
            Segment(
                recording_id=recording_id,
                tier_id=tier.id,
                start_ms=start,
                end_ms=end,
                parent_id=parent.id if parent is not None else None,
                ordinal=ordinal,
                speaker_id=new.speaker_id,
                text=new.text,
                language=new.language,
                status=status,
                confidence=new.confidence,
                model_version_id=model_version_id,
                words=new.words,
            )
        )
        if parent is not None and ordinal is not None:
            tc.relayout(s, rec, parent)  # a new subdivision: re-space its siblings
        tc.add_children(s, rec, seg)
        return seg

    @staticmethod
    def _segment(s: Session, segment_id: int, *, allow_deleted: bool = False) -> Segment:
        """The segment for reading or structural edits (split, merge, delete)."""
        seg = s.get(Segment, segment_id)
        if seg is None or (seg.deleted and not allow_deleted):
            raise NotFoundError(f"There is no segment #{segment_id}.")
        return seg

    @staticmethod
    def _next(s: Session, seg: Segment) -> Segment | None:
        return s.scalar(
            select(Segment)
            .where(
                Segment.recording_id == seg.recording_id,
                Segment.tier_id == seg.tier_id,
                Segment.deleted.is_(False),
                Segment.id != seg.id,
                (Segment.start_ms > seg.start_ms)
                | ((Segment.start_ms == seg.start_ms) & (Segment.id > seg.id)),
            )
            .order_by(Segment.start_ms, Segment.id)
            .limit(1)
        )

    @staticmethod
    def _check_times(s: Session, recording_id: int, start_ms: int, end_ms: int) -> None:
        recording = s.get(Recording, recording_id)
        if recording is None:
            raise NotFoundError(f"There is no recording #{recording_id}.")
        if start_ms < 0 or end_ms - start_ms < MIN_SEGMENT_MS:
            raise EditError(
                f"A segment must start at 0 s or later and last at least {MIN_SEGMENT_MS} ms "
                f"(got {start_ms}–{end_ms} ms)."
            )
        if end_ms > recording.duration_ms:
            raise EditError(
                f"A segment cannot end after the recording ({end_ms / 1000:.3f} s > "
                f"{recording.duration_ms / 1000:.3f} s)."
            )
