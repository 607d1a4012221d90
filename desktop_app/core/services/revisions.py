"""Revision recording and undo/redo over segments.

Every change of a segment is stored as a :class:`Revision` holding complete
snapshots of the segment before and after, grouped under an
:class:`Operation` (one undo step). Undo and redo are operations too, so the
history is append-only: nothing a user typed is ever lost.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from desktop_app.core.errors import EditError, NotFoundError
from desktop_app.core.services import profile_fold
from desktop_app.core.services.dto import OpResult, RevisionInfo
from desktop_app.core.store.schema import Operation, Revision, Segment, Speaker

SNAPSHOT_FIELDS = (
    "recording_id",
    "tier_id",
    "start_ms",
    "end_ms",
    "speaker_id",
    "text",
    "language",
    "status",
    "confidence",
    "model_version_id",
    "words",
    "parent_id",
    "ordinal",
    "word_langs",
    "deleted",
)
"""What a revision remembers of a segment (older revisions may lack the later
fields, ``parent_id``/``ordinal``/``word_langs``: they compare and restore only
what they hold)."""


_NEW_SEGMENT = {
    "speaker_id": None,
    "text": "",
    "language": None,
    "status": "auto",
    "confidence": None,
    "model_version_id": None,
    "words": None,
    "parent_id": None,
    "ordinal": None,
    "word_langs": None,
    "deleted": False,
}
"""What a new segment holds in the fields its creator leaves out."""


def snapshot(seg: Segment) -> dict[str, Any]:
    return {f: getattr(seg, f) for f in SNAPSHOT_FIELDS}


def matches(seg: Segment, snap: dict[str, Any]) -> bool:
    """Whether ``seg`` is as ``snap`` says, in the fields ``snap`` holds."""
    return all(getattr(seg, f) == snap[f] for f in SNAPSHOT_FIELDS if f in snap)


def apply_snapshot(seg: Segment, snap: dict[str, Any]) -> None:
    for f in SNAPSHOT_FIELDS:
        if f in snap:
            setattr(seg, f, snap[f])


class Recorder:
    """Records the changes of one operation inside one session."""

    def __init__(
        self,
        session: Session,
        kind: str,
        description: str = "",
        source: str = "user",
        source_detail: str | None = None,
        target_op_id: int | None = None,
    ) -> None:
        self.session = session
        self.op = Operation(
            kind=kind,
            description=description or kind.replace("_", " "),
            source=source,
            source_detail=source_detail,
            target_op_id=target_op_id,
        )
        session.add(self.op)
        self.touched: list[int] = []
        self._seen: set[int] = set()

    @classmethod
    def resume(cls, session: Session, operation_id: int) -> Recorder:
        """Add more revisions to an operation begun in an earlier transaction
        (a transcription writes its segments one by one as they are decoded)."""
        rec = cls.__new__(cls)
        rec.session = session
        rec.op = _operation(session, operation_id)
        rec.touched = []
        rec._seen = set()
        return rec

    def create(self, seg: Segment) -> Segment:
        self.session.add(seg)
        self.session.flush()
        self._add(seg, None)
        return seg

    def create_many(self, values: Sequence[dict[str, Any]]) -> list[int]:
        """Insert new segments in bulk (imports): ``values`` are their column values.

        Multi-row INSERTs for the segments and their revisions instead of a
        flush per segment; the revisions are the same as :meth:`create`'s.
        The segments are not loaded into the session.
        """
        if not values:
            return []
        # Flushing the operation's row takes the database's write lock for the rest of
        # this transaction, so the next ids are ours: SQLite would give the same ones
        # (max + 1), and plain multi-row INSERTs are much faster than INSERT … RETURNING.
        self.session.flush()
        first = (self.session.scalar(select(func.max(Segment.id))) or 0) + 1
        ids = list(range(first, first + len(values)))
        rows = [{**_NEW_SEGMENT, **v, "id": i} for i, v in zip(ids, values, strict=True)]
        self.session.execute(insert(Segment), rows)
        self.session.execute(
            insert(Revision),
            [
                {
                    "operation_id": self.op.id,
                    "segment_id": seg_id,
                    "before": None,
                    "after": {f: row[f] for f in SNAPSHOT_FIELDS},
                }
                for seg_id, row in zip(ids, rows, strict=True)
            ],
        )
        self.touched.extend(ids)
        self._seen.update(ids)
        return ids

    def change_many(self, segs: Sequence[Segment], **fields: Any) -> int:
        """Set the same ``fields`` on many segments: one flush, revisions in bulk.
        Returns how many changed."""
        changed = []
        for seg in segs:
            before = snapshot(seg)
            apply_snapshot(seg, fields)
            after = snapshot(seg)
            if after != before:
                changed.append((seg, before, after))
        if not changed:
            return 0
        self.session.flush()
        self.session.execute(
            insert(Revision),
            [
                {"operation_id": self.op.id, "segment_id": seg.id, "before": b, "after": a}
                for seg, b, a in changed
            ],
        )
        for seg, _, _ in changed:
            self._touch(seg.id)
        return len(changed)

    def change(self, seg: Segment, **fields: Any) -> Segment:
        """Set ``fields`` on ``seg`` and record the revision (if anything changed)."""
        before = snapshot(seg)
        apply_snapshot(seg, fields)
        if snapshot(seg) != before:
            self.session.flush()
            self._add(seg, before)
        return seg

    def _add(self, seg: Segment, before: dict[str, Any] | None) -> None:
        self.session.add(
            Revision(operation=self.op, segment_id=seg.id, before=before, after=snapshot(seg))
        )
        self._touch(seg.id)

    def _touch(self, seg_id: int) -> None:
        if seg_id not in self._seen:  # a set: a list look-up made big operations quadratic
            self._seen.add(seg_id)
            self.touched.append(seg_id)

    def result(self) -> OpResult:
        self.session.flush()
        return OpResult(operation_id=self.op.id, segment_ids=tuple(self.touched))


def _operation(session: Session, operation_id: int) -> Operation:
    op = session.get(Operation, operation_id)
    if op is None:
        raise NotFoundError(f"There is no edit #{operation_id} to undo or redo.")
    return op


def _restore(
    rec: Recorder,
    seg_id: int,
    expected: dict[str, Any],
    target: dict[str, Any],
    *,
    keep_later: bool = False,
) -> None:
    """Set a segment back to ``target`` if it is still as ``expected``.

    A segment changed since is an error (undo the later edits first), except
    with ``keep_later`` (undoing a model pass), where the later change is kept.
    """
    seg = rec.session.get(Segment, seg_id)
    if seg is None:
        raise NotFoundError(f"Segment #{seg_id} no longer exists.")
    if not matches(seg, expected):
        if keep_later:
            return
        raise EditError(
            f"Segment #{seg_id} was changed after this edit; undo the later edits first."
        )
    rec.change(seg, **target)


def undo(session: Session, operation_id: int) -> OpResult:
    """Reverse an operation (itself an operation, so it can be redone).

    Undoing a model pass keeps what a person changed since in the segments it
    wrote (the person's work wins; the rest of the pass is undone).
    """
    op = _operation(session, operation_id)
    if op.undone:
        raise EditError(f"Edit '{op.description}' is already undone.")
    rec = Recorder(session, "undo", f"Undo {op.description}", "undo", target_op_id=op.id)
    for rev in reversed(op.revisions):
        assert rev.after is not None
        target = rev.before if rev.before is not None else {**rev.after, "deleted": True}
        _restore(rec, rev.segment_id, rev.after, target, keep_later=op.source == "model")
    op.undone = True
    _apply_side_effects(session, op, undo=True)
    return rec.result()


def redo(session: Session, operation_id: int) -> OpResult:
    op = _operation(session, operation_id)
    if not op.undone:
        raise EditError(f"Edit '{op.description}' is not undone; nothing to redo.")
    rec = Recorder(session, "redo", f"Redo {op.description}", "redo", target_op_id=op.id)
    for rev in op.revisions:
        assert rev.after is not None
        expected = rev.before if rev.before is not None else {**rev.after, "deleted": True}
        _restore(rec, rev.segment_id, expected, rev.after, keep_later=op.source == "model")
    op.undone = False
    _apply_side_effects(session, op, undo=False)
    return rec.result()


def speaker_merge_detail(
    source: Speaker, target: Speaker, extra: dict[str, Any] | None = None
) -> str:
    """What a speaker merge must remember so that undo can bring the speaker back
    (``extra``: an accepted suggestion's profile fold, see ``profile_fold``)."""
    return json.dumps(
        {"merged": source.id, "into": target.id, "name": source.name, **(extra or {})}
    )


def merged_name(name: str, target: Speaker, source_id: int) -> str:
    return f"{name} (merged into {target.name} #{source_id})"


def _apply_side_effects(session: Session, op: Operation, *, undo: bool) -> None:
    """Changes outside segments that some operations make (speaker merges)."""
    if op.kind != "merge_speakers" or not op.source_detail:
        return
    detail = json.loads(op.source_detail)
    source = session.get(Speaker, detail["merged"])
    target = session.get(Speaker, detail["into"])
    if source is None or target is None:
        return
    source.merged_into_id = None if undo else target.id
    source.name = detail["name"] if undo else merged_name(detail["name"], target, source.id)
    if "suggestion" in detail:
        profile_fold.apply_accept(session, detail, undo=undo)


def last_undoable(session: Session) -> int | None:
    """The newest user-level operation that is not undone (for a CLI ``undo``)."""
    return session.scalar(
        select(Operation.id)
        .where(Operation.kind.not_in(("undo", "redo")), Operation.undone.is_(False))
        .order_by(Operation.id.desc())
        .limit(1)
    )


def history(session: Session, segment_id: int) -> list[RevisionInfo]:
    rows = session.execute(
        select(Revision, Operation)
        .join(Operation, Revision.operation_id == Operation.id)
        .where(Revision.segment_id == segment_id)
        .order_by(Revision.id)
    )
    return [
        RevisionInfo(
            id=rev.id,
            operation_id=op.id,
            operation_kind=op.kind,
            source=op.source,
            source_detail=op.source_detail,
            before=rev.before,
            after=rev.after,
            created_at=rev.created_at,
        )
        for rev, op in rows
    ]


@dataclass(frozen=True)
class UndoStep:
    """One step of the undo stack as the project's history left it."""

    operation_id: int
    kind: str
    description: str


def undo_timeline(
    session: Session, limit: int = 200, window: int = 5000
) -> tuple[list[UndoStep], int]:
    """The undo stack rebuilt from the history, so that it survives a restart.

    Replays the last ``window`` operations as an undo stack would have seen
    them (an edit drops the steps above the current one, an undo moves down,
    a redo up) and returns the steps and the current index: steps below the
    index can be undone, those above it redone. At most ``limit`` steps are kept.
    Operations that changed nothing (a pass stopped before its first cut) are
    left out.
    """
    rows = session.execute(
        select(
            Operation.id,
            Operation.kind,
            Operation.description,
            Operation.target_op_id,
            func.count(Revision.id),
        )
        .outerjoin(Revision, Revision.operation_id == Operation.id)
        .group_by(Operation.id)
        .order_by(Operation.id.desc())
        .limit(window)
    ).all()
    stack: list[UndoStep] = []
    index = 0
    for op_id, kind, description, target, n_revisions in reversed(rows):
        if kind == "undo":
            ids = [step.operation_id for step in stack]
            if index and ids[index - 1] == target:
                index -= 1
            elif target in ids:  # undone out of order (from the command line)
                k = ids.index(target)
                del stack[k]
                index -= k < index
        elif kind == "redo":
            if index < len(stack) and stack[index].operation_id == target:
                index += 1
        elif n_revisions or kind == "merge_speakers":
            del stack[index:]
            stack.append(UndoStep(op_id, kind, description))
            index += 1
    if len(stack) > limit:
        cut = len(stack) - limit
        stack, index = stack[cut:], max(0, index - cut)
    return stack, index


def replaced_by_model(s: Session, segment_id: int) -> bool:
    """Whether the segment's last change was a transcription pass retiring it."""
    row = s.execute(
        select(Revision.before, Revision.after, Operation.kind)
        .join(Operation, Revision.operation_id == Operation.id)
        .where(Revision.segment_id == segment_id)
        .order_by(Revision.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return False
    before, after, kind = row
    return (
        kind == "transcribe"
        and bool(after and after.get("deleted"))
        and not (before or {}).get("deleted", False)
    )
