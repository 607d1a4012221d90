"""Keeping child tiers consistent with their parents (ELAN's tier constraints).

A child tier names its parent tier and one of :data:`TIER_CONSTRAINTS`; each
of its annotations names its parent annotation (``Segment.parent_id``):

* ``symbolic_association``: one annotation per parent (a translation, a free
  gloss), always with the parent's times; a new parent gets an empty one.
* ``symbolic_subdivision``: ordered annotations (``ordinal``: words,
  morphemes) that divide the parent's time evenly.
* ``time_subdivision``: annotations that tile the parent's time.
* ``included_in``: time-aligned annotations inside the parent's time.

The functions here run inside the caller's unit of work and record every
change with the caller's :class:`~desktop_app.core.services.revisions.Recorder`,
so a parent edit and what it does to the children are one undo step. The rules:

* **split**: an association child keeps its text on the first half and the
  second half gets an empty one; subdivision, time-subdivision and included-in
  children go to the half that holds their midpoint (times cut at the split).
* **merge**: association children's texts are joined with a space (their own
  children merged the same way); the other children move under the merged
  segment, in order.
* **new times**: association children take the parent's times; symbolic
  subdivisions are re-spaced evenly; time subdivisions are rescaled to tile
  the new span; included-in children are clamped into it (rescaled when
  clamping would leave too little of them).
* **delete** removes the whole subtree; a parent brought back brings back the
  children deleted with it.

Empty association children a person has not typed into are ``edited`` (not
``auto``: no model wrote them) and never training data: only ``transcription``
tiers are. A child with text counts as a person's work: a model pass keeps its
parent (see :func:`human_parents`).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.core.errors import EditError
from desktop_app.core.services import revisions
from desktop_app.core.store.schema import TIER_CONSTRAINTS, Operation, Revision, Segment, Tier

MIN_SEGMENT_MS = 20
ASSOCIATION, SUBDIVISION, INCLUDED, TIME_SUBDIVISION = TIER_CONSTRAINTS
SYMBOLIC = (ASSOCIATION, SUBDIVISION)
"""Constraints whose annotations have no times of their own."""
TIME_ALIGNED = (INCLUDED, TIME_SUBDIVISION)
_CACHE = "jazba.child_tiers"


def child_tiers(s: Session, tier_id: int) -> list[Tier]:
    """The child tiers of ``tier_id`` (cached for the unit of work)."""
    cache: dict[int, list[Tier]] = s.info.setdefault(_CACHE, {})
    if tier_id not in cache:
        cache[tier_id] = list(
            s.scalars(
                select(Tier).where(Tier.parent_id == tier_id).order_by(Tier.position, Tier.id)
            )
        )
    return cache[tier_id]


def forget_tiers(s: Session) -> None:
    """Drop the cached tier tree (after a tier is created or re-parented)."""
    s.info.pop(_CACHE, None)


def children_of(s: Session, seg_id: int, tier_id: int | None = None) -> list[Segment]:
    """The live children of annotation ``seg_id`` (on one tier), in order."""
    q = select(Segment).where(Segment.parent_id == seg_id, Segment.deleted.is_(False))
    if tier_id is not None:
        q = q.where(Segment.tier_id == tier_id)
    return list(s.scalars(q.order_by(Segment.ordinal, Segment.start_ms, Segment.id)))


def new_child(parent: Segment, tier: Tier, text: str = "", ordinal: int | None = None) -> Segment:
    """An annotation of ``tier`` under ``parent`` (not yet added)."""
    return Segment(
        recording_id=parent.recording_id,
        tier_id=tier.id,
        start_ms=parent.start_ms,
        end_ms=parent.end_ms,
        speaker_id=parent.speaker_id,
        text=text,
        language=tier.language,
        status="edited",
        parent_id=parent.id,
        ordinal=ordinal,
    )


def add_children(s: Session, rec: revisions.Recorder, parent: Segment) -> list[Segment]:
    """Give a new parent annotation an empty child on each association tier (recursively)."""
    out: list[Segment] = []
    for tier in child_tiers(s, parent.tier_id):
        if tier.constraint != ASSOCIATION or children_of(s, parent.id, tier.id):
            continue
        child = rec.create(new_child(parent, tier))
        out.append(child)
        out += add_children(s, rec, child)
    return out


def fill_association(
    s: Session,
    rec: revisions.Recorder,
    parent_tier_id: int,
    tier: Tier,
    recording_ids: Iterable[int] | None = None,
) -> int:
    """An empty annotation of association ``tier`` under every live segment of the
    parent tier that lacks one (in bulk); returns how many were added."""
    have = set(
        s.scalars(
            select(Segment.parent_id).where(Segment.tier_id == tier.id, Segment.deleted.is_(False))
        )
    )
    q = select(Segment).where(Segment.tier_id == parent_tier_id, Segment.deleted.is_(False))
    if recording_ids is not None:
        q = q.where(Segment.recording_id.in_(list(recording_ids)))
    rows = [
        {
            "recording_id": p.recording_id,
            "tier_id": tier.id,
            "start_ms": p.start_ms,
            "end_ms": p.end_ms,
            "speaker_id": p.speaker_id,
            "text": "",
            "language": tier.language,
            "status": "edited",
            "parent_id": p.id,
        }
        for p in s.scalars(q.order_by(Segment.recording_id, Segment.start_ms, Segment.id))
        if p.id not in have
    ]
    rec.create_many(rows)
    return len(rows)


# -- times ---------------------------------------------------------------------------------
def relayout(
    s: Session, rec: revisions.Recorder, parent: Segment, old: tuple[int, int] | None = None
) -> None:
    """Fit ``parent``'s children (recursively) to its times; ``old`` is the span it had
    (None: it kept its place, children keep their own times where they can)."""
    new = (parent.start_ms, parent.end_ms)
    old = old or new
    for tier in child_tiers(s, parent.tier_id):
        kids = children_of(s, parent.id, tier.id)
        if not kids:
            continue
        spans = fit(tier.constraint, [(k.start_ms, k.end_ms) for k in kids], old, new)
        for n, (kid, (a, b)) in enumerate(zip(kids, spans, strict=True)):
            before = (kid.start_ms, kid.end_ms)
            fields: dict[str, int] = {"start_ms": a, "end_ms": b}
            if tier.constraint == SUBDIVISION:
                fields["ordinal"] = n
            rec.change(kid, **fields)
            if before != (a, b):
                relayout(s, rec, kid, before)


def fit(
    constraint: str | None,
    kids: list[tuple[int, int]],
    old: tuple[int, int],
    new: tuple[int, int],
) -> list[tuple[int, int]]:
    """New spans for children (in order) of a parent that moved from ``old`` to ``new``."""
    ps, pe = new
    n = len(kids)
    if constraint == ASSOCIATION or not n:
        return [new] * n
    if constraint == SUBDIVISION:
        cuts = [ps + (pe - ps) * k // n for k in range(n + 1)]
        return [(cuts[k], max(cuts[k + 1], cuts[k] + 1)) for k in range(n)]

    def scale(t: int) -> int:
        os_, oe = old
        if oe == os_:
            return t
        return ps + round((t - os_) * (pe - ps) / (oe - os_))

    if constraint == TIME_SUBDIVISION:
        order = sorted(range(n), key=lambda k: kids[k])
        bounds = [scale(kids[k][0]) for k in order] + [pe]
        bounds[0] = ps
        for k in range(1, len(bounds)):  # keep them rising inside the parent
            bounds[k] = min(max(bounds[k], bounds[k - 1] + 1), pe)
        out = [new] * n
        for j, k in enumerate(order):
            a, b = bounds[j], bounds[j + 1]
            out[k] = (min(a, pe - 1), max(b, min(a, pe - 1) + 1))
        return out
    out = []
    for a, b in kids:  # included_in (and anything else time-aligned): clamp
        ca, cb = max(a, ps), min(b, pe)
        if cb - ca < min(MIN_SEGMENT_MS, b - a):
            ca, cb = max(ps, min(scale(a), pe - 1)), min(pe, max(scale(b), ps + 1))
            if cb - ca < min(MIN_SEGMENT_MS, pe - ps):
                cb = min(pe, ca + MIN_SEGMENT_MS)
                ca = max(ps, cb - MIN_SEGMENT_MS)
        out.append((ca, cb))
    return out


# -- structural edits of a parent ---------------------------------------------------------
def on_split(
    s: Session, rec: revisions.Recorder, left: Segment, right: Segment, old: tuple[int, int]
) -> None:
    """``left`` (which spanned ``old``) was cut at ``right.start_ms``."""
    on_pieces(s, rec, left, [right], old)


def on_pieces(
    s: Session, rec: revisions.Recorder, first: Segment, rest: list[Segment], old: tuple[int, int]
) -> None:
    """``first`` (which spanned ``old``) was cut into ``first`` and the new ``rest``
    (in time order): children follow the piece holding their middle, association
    children stay with ``first`` and the new pieces get empty ones."""
    pieces = [first, *rest]
    for tier in child_tiers(s, first.tier_id):
        if tier.constraint == ASSOCIATION:
            continue
        for kid in children_of(s, first.id, tier.id):
            mid = (kid.start_ms + kid.end_ms) / 2
            home = next((p for p in reversed(pieces) if p.start_ms <= mid), first)
            if home is not first:
                rec.change(kid, parent_id=home.id)
    ends = [p.start_ms for p in rest] + [old[1]]
    starts = [old[0]] + [p.start_ms for p in rest]
    for piece, a, b in zip(pieces, starts, ends, strict=True):
        relayout(s, rec, piece, (a, b))
    for piece in rest:
        add_children(s, rec, piece)


def on_merge(s: Session, rec: revisions.Recorder, first: Segment, second: Segment) -> None:
    """``second`` was merged into ``first`` (and is being retired)."""
    for tier in child_tiers(s, first.tier_id):
        mine, theirs = children_of(s, first.id, tier.id), children_of(s, second.id, tier.id)
        if tier.constraint == ASSOCIATION and mine and theirs:
            keep, gone = mine[0], theirs[0]
            text = " ".join(t for t in (keep.text.strip(), gone.text.strip()) if t)
            rec.change(keep, text=text)
            on_merge(s, rec, keep, gone)
            rec.change(gone, deleted=True)
            theirs = theirs[1:]
        base = len(mine)
        for n, kid in enumerate(theirs):
            fields: dict[str, object] = {"parent_id": first.id}
            if tier.constraint == SUBDIVISION:
                fields["ordinal"] = base + n
            rec.change(kid, **fields)
    relayout(s, rec, first)
    add_children(s, rec, first)


def delete_tree(s: Session, rec: revisions.Recorder, seg: Segment) -> int:
    """Delete ``seg``'s descendants (the caller deletes ``seg``); returns how many."""
    count = 0
    for kid in children_of(s, seg.id):
        rec.change(kid, deleted=True)
        count += 1 + delete_tree(s, rec, kid)
    return count


def revive(s: Session, rec: revisions.Recorder, seg: Segment) -> None:
    """``seg`` came back: bring back the children deleted with it, fit them, and
    give it the association children it lacks."""
    op_id = _deleting_op(s, seg.id)
    if op_id is not None:
        gone = s.scalars(
            select(Segment).where(Segment.parent_id == seg.id, Segment.deleted.is_(True))
        )
        for kid in gone:
            if _deleting_op(s, kid.id) == op_id:
                rec.change(kid, deleted=False)
                revive(s, rec, kid)
    relayout(s, rec, seg)
    add_children(s, rec, seg)


def deleted_root(s: Session, seg: Segment) -> Segment:
    """The highest deleted annotation above ``seg`` (``seg`` itself if its parent lives)."""
    top, seen = seg, {seg.id}
    while top.parent_id is not None and top.parent_id not in seen:
        up = s.get(Segment, top.parent_id)
        if up is None or not up.deleted:
            break
        seen.add(up.id)
        top = up
    return top


def follow_speaker(s: Session, rec: revisions.Recorder, seg: Segment) -> None:
    """Give ``seg``'s descendants its speaker (they are its participant's annotations)."""
    for kid in children_of(s, seg.id):
        if kid.speaker_id != seg.speaker_id:
            rec.change(kid, speaker_id=seg.speaker_id)
        follow_speaker(s, rec, kid)


def _deleting_op(s: Session, seg_id: int) -> int | None:
    """The operation of the segment's last revision that deleted it (before this one)."""
    rows = s.execute(
        select(Revision.operation_id, Revision.before, Revision.after)
        .join(Operation, Operation.id == Revision.operation_id)
        .where(Revision.segment_id == seg_id)
        .order_by(Revision.id.desc())
    )
    for op_id, before, after in rows:
        if (after or {}).get("deleted") and not (before or {}).get("deleted", False):
            return int(op_id)
    return None


# -- checks for edits of a child ----------------------------------------------------------
def tier_of(s: Session, seg: Segment) -> Tier | None:
    return s.get(Tier, seg.tier_id)


def check_own_times(s: Session, seg: Segment, start_ms: int, end_ms: int) -> None:
    """A child's own times: refused on symbolic tiers, kept inside the parent otherwise."""
    tier = tier_of(s, seg)
    if tier is None or tier.parent_id is None or seg.parent_id is None:
        return
    if tier.constraint in SYMBOLIC:
        raise EditError(
            f"Annotations of tier '{tier.name}' take their times from the parent tier; "
            "move the parent's boundaries instead."
        )
    parent = s.get(Segment, seg.parent_id)
    if parent is not None and not (parent.start_ms <= start_ms and end_ms <= parent.end_ms):
        raise EditError(
            f"An annotation of tier '{tier.name}' stays inside its parent "
            f"({parent.start_ms / 1000:.3f}–{parent.end_ms / 1000:.3f} s)."
        )


def check_structural(s: Session, seg: Segment, what: str) -> None:
    """Splitting or merging a symbolic child is refused (edit the parent)."""
    tier = tier_of(s, seg)
    if tier is not None and tier.parent_id is not None and tier.constraint in SYMBOLIC:
        raise EditError(
            f"Cannot {what} annotations of tier '{tier.name}': they follow their parent's "
            "segments; change those instead."
        )


def place_new(
    s: Session, tier: Tier, recording_id: int, start_ms: int, end_ms: int, parent_id: int | None
) -> tuple[Segment | None, int, int, int | None]:
    """Where a new annotation of ``tier`` goes: ``(parent, start, end, ordinal)``.

    On an independent tier nothing changes; on a child tier the parent is
    ``parent_id`` or the parent-tier annotation holding the middle of the span.
    """
    if tier.parent_id is None:
        return None, start_ms, end_ms, None
    if parent_id is not None:
        parent = s.get(Segment, parent_id)
        if parent is None or parent.deleted or parent.tier_id != tier.parent_id:
            raise EditError(f"Segment #{parent_id} is not on the parent tier of '{tier.name}'.")
    else:
        mid = (start_ms + end_ms) // 2
        parent = s.scalar(
            select(Segment)
            .where(
                Segment.recording_id == recording_id,
                Segment.tier_id == tier.parent_id,
                Segment.deleted.is_(False),
                Segment.start_ms <= mid,
                Segment.end_ms > mid,
            )
            .order_by(Segment.start_ms, Segment.id)
            .limit(1)
        )
        if parent is None:
            raise EditError(
                f"Tier '{tier.name}' depends on its parent tier: add the annotation under "
                "one of the parent's segments."
            )
    siblings = children_of(s, parent.id, tier.id)
    if tier.constraint == ASSOCIATION:
        if siblings:
            raise EditError(
                f"Segment #{parent.id} already has its annotation on tier '{tier.name}'; "
                "edit that one."
            )
        return parent, parent.start_ms, parent.end_ms, None
    if tier.constraint == SUBDIVISION:
        return parent, parent.start_ms, parent.end_ms, len(siblings)
    start, end = max(start_ms, parent.start_ms), min(end_ms, parent.end_ms)
    if end <= start:
        raise EditError(f"An annotation of tier '{tier.name}' must lie inside its parent.")
    return parent, start, end, None


def human_parents(s: Session, ids: Iterable[int]) -> set[int]:
    """Those of ``ids`` with a descendant holding text (a person's work to keep)."""
    wanted = set(ids)
    found: set[int] = set()
    level = {i: i for i in wanted}  # descendant id -> the top id it belongs to
    for _ in range(4):  # tiers nest a few levels deep at most
        if not level:
            break
        rows = s.execute(
            select(Segment.id, Segment.parent_id, Segment.text).where(
                Segment.parent_id.in_(list(level)), Segment.deleted.is_(False)
            )
        ).all()
        nxt = {}
        for sid, parent, text in rows:
            top = level[parent]
            if text.strip():
                found.add(top)
            nxt[sid] = top
        level = {k: v for k, v in nxt.items() if v not in found}
    return found
