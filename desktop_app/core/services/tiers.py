"""Tiers and their hierarchy (ELAN-style child tiers under a parent tier).

A child tier (translation, words, gloss…) names its parent tier and one of
ELAN's constraints (:data:`~desktop_app.core.store.schema.TIER_CONSTRAINTS`);
how its annotations follow the parent's is in
:mod:`~desktop_app.core.services.tier_children`. The tier rows themselves are
not part of the undo history; the annotations a tier operation creates,
deletes or re-attaches are, as one undo step.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from desktop_app.core.errors import EditError, NotFoundError
from desktop_app.core.project import DEFAULT_TIER, Project
from desktop_app.core.services import revisions
from desktop_app.core.services import tier_children as tc
from desktop_app.core.services.dto import OpResult, TierInfo
from desktop_app.core.store.schema import TIER_CONSTRAINTS, Segment, Tier


def tier_info(t: Tier) -> TierInfo:
    return TierInfo(
        t.id, t.name, t.kind, t.language, t.parent_id, t.constraint, t.cv_id, t.position
    )


def check_constraint(
    s: Session, parent: Tier, constraint: str, kind: str, child_id: int | None = None
) -> None:
    """ELAN's rules for a child tier of ``parent`` (``child_id``: an existing tier)."""
    if constraint not in TIER_CONSTRAINTS:
        raise EditError(
            f"Unknown tier constraint '{constraint}' (use one of {', '.join(TIER_CONSTRAINTS)})."
        )
    if constraint in tc.TIME_ALIGNED and parent.constraint in tc.SYMBOLIC:
        raise EditError(
            f"Tier '{parent.name}' has no times of its own ({parent.constraint}), so a "
            f"{constraint} tier cannot hang under it."
        )
    if constraint in tc.SYMBOLIC and kind == "transcription":
        raise EditError(
            "A symbolic child tier cannot be a transcription: transcription tiers are what "
            "training reads, with times of their own. Choose another kind (translation, "
            "words, gloss, comment…)."
        )
    up: Tier | None = parent
    seen: set[int] = set()
    while up is not None and up.id not in seen:
        if child_id is not None and up.id == child_id:
            raise EditError(f"Tier '{parent.name}' lies under this tier: that would be a loop.")
        seen.add(up.id)
        up = s.get(Tier, up.parent_id) if up.parent_id is not None else None


class TierService:
    def __init__(self, project: Project) -> None:
        self.project = project

    # -- reading -----------------------------------------------------------------------
    def list(self) -> list[TierInfo]:
        with self.project.unit() as s:
            rows = s.scalars(select(Tier).order_by(Tier.position, Tier.id))
            return [tier_info(t) for t in rows]

    def get(self, tier_id: int) -> TierInfo:
        with self.project.unit() as s:
            return tier_info(self._tier(s, tier_id))

    def by_name(self, name: str) -> TierInfo:
        with self.project.unit() as s:
            tier = s.scalar(select(Tier).where(Tier.name == name.strip()))
            if tier is None:
                raise NotFoundError(f"There is no tier named '{name}'.")
            return tier_info(tier)

    def children(self, tier_id: int) -> list[TierInfo]:
        """The tiers directly under ``tier_id``."""
        with self.project.unit() as s:
            self._tier(s, tier_id)
            return [tier_info(t) for t in tc.child_tiers(s, tier_id)]

    def tree(self) -> list[tuple[int, TierInfo]]:
        """Every tier with its depth, parents before their children (a tree walk)."""
        tiers = self.list()
        by_parent: dict[int | None, list[TierInfo]] = {}
        known = {t.id for t in tiers}
        for t in tiers:
            by_parent.setdefault(t.parent_id if t.parent_id in known else None, []).append(t)
        out: list[tuple[int, TierInfo]] = []

        def walk(parent: int | None, depth: int) -> None:
            for t in by_parent.get(parent, []):
                out.append((depth, t))
                walk(t.id, depth + 1)

        walk(None, 0)
        return out

    def counts(self) -> dict[int, int]:
        """Live annotations per tier id."""
        with self.project.unit() as s:
            rows = s.execute(
                select(Segment.tier_id, func.count())
                .where(Segment.deleted.is_(False))
                .group_by(Segment.tier_id)
            )
            return {tid: n for tid, n in rows}

    # -- independent tiers ---------------------------------------------------------------
    def create(
        self, name: str, kind: str = "transcription", language: str | None = None
    ) -> TierInfo:
        name = self._name(name)
        try:
            with self.project.unit() as s:
                tier = Tier(name=name, kind=kind, language=language, position=self._next_pos(s))
                s.add(tier)
                s.flush()
                return tier_info(tier)
        except IntegrityError as exc:
            raise EditError(f"A tier named '{name}' already exists.") from exc

    def get_or_create(self, name: str, kind: str = "transcription") -> TierInfo:
        for tier in self.list():
            if tier.name == name:
                return tier
        return self.create(name, kind)

    def rename(self, tier_id: int, name: str) -> TierInfo:
        """Give a tier a new name. The model's tier (``transcription``) keeps its
        name: transcription and training find it by that name."""
        name = self._name(name)
        try:
            with self.project.unit() as s:
                tier = self._tier(s, tier_id)
                if tier.name == DEFAULT_TIER and name != DEFAULT_TIER:
                    raise EditError(
                        f"The '{DEFAULT_TIER}' tier is where the speech model writes and what "
                        "training reads, so it keeps its name. Create a new tier instead."
                    )
                tier.name = name
                s.flush()
                return tier_info(tier)
        except IntegrityError as exc:
            raise EditError(f"A tier named '{name}' already exists.") from exc

    # -- hierarchy -------------------------------------------------------------------
    def create_child(
        self,
        parent_tier_id: int,
        name: str,
        *,
        kind: str = "translation",
        constraint: str = tc.ASSOCIATION,
        language: str | None = None,
    ) -> TierInfo:
        """A new tier under ``parent_tier_id``. A symbolic association tier starts
        with one empty annotation under every segment of the parent tier, in every
        recording (one undo step, the newest operation); other constraints start empty."""
        name = self._name(name)
        try:
            with self.project.unit() as s:
                parent = self._tier(s, parent_tier_id)
                check_constraint(s, parent, constraint, kind)
                tier = Tier(
                    name=name,
                    kind=kind,
                    language=language,
                    position=self._next_pos(s),
                    parent_id=parent.id,
                    constraint=constraint,
                )
                s.add(tier)
                s.flush()
                tc.forget_tiers(s)
                rec = revisions.Recorder(s, "add_tier", f"Add tier {name}")
                if constraint == tc.ASSOCIATION:
                    tc.fill_association(s, rec, parent.id, tier)
                return tier_info(tier)
        except IntegrityError as exc:
            raise EditError(f"A tier named '{name}' already exists.") from exc

    def set_parent(
        self, tier_id: int, parent_tier_id: int | None, constraint: str | None = None
    ) -> OpResult:
        """Hang a tier under another (each annotation goes under the parent segment
        holding its middle; symbolic ones take its times) or make it independent
        (``parent_tier_id`` None). The annotations' changes are one undo step."""
        with self.project.unit() as s:
            tier = self._tier(s, tier_id)
            rec = revisions.Recorder(s, "set_tier_parent", f"Re-attach tier {tier.name}")
            segs = list(
                s.scalars(
                    select(Segment).where(Segment.tier_id == tier.id, Segment.deleted.is_(False))
                )
            )
            if parent_tier_id is None:
                tier.parent_id, tier.constraint = None, None
                rec.change_many(segs, parent_id=None, ordinal=None)
                tc.forget_tiers(s)
                return rec.result()
            parent = self._tier(s, parent_tier_id)
            constraint = constraint or tc.INCLUDED
            if tier.name == DEFAULT_TIER:
                raise EditError(f"The '{DEFAULT_TIER}' tier stays independent.")
            check_constraint(s, parent, constraint, tier.kind, child_id=tier.id)
            tier.parent_id, tier.constraint = parent.id, constraint
            tc.forget_tiers(s)
            orphans = 0
            for seg in segs:
                try:
                    host, start, end, _ = tc.place_new(
                        s, tier, seg.recording_id, seg.start_ms, seg.end_ms, None
                    )
                except EditError:
                    orphans += 1
                    continue
                assert host is not None
                rec.change(seg, parent_id=host.id, start_ms=start, end_ms=end)
            if orphans:
                raise EditError(
                    f"{orphans} annotation(s) of tier '{tier.name}' lie outside every segment "
                    f"of '{parent.name}' (or two share one parent on an association tier); "
                    "nothing was changed."
                )
            hosts = {seg.parent_id for seg in segs}
            for host_seg in s.scalars(select(Segment).where(Segment.id.in_(hosts))):
                tc.relayout(s, rec, host_seg)
            if constraint == tc.ASSOCIATION:
                tc.fill_association(s, rec, parent.id, tier)
            return rec.result()

    def delete(self, tier_id: int, *, with_annotations: bool = False) -> OpResult | None:
        """Remove a tier. One with live annotations only ``with_annotations``
        (they are deleted as one undo step, and the tier row stays while its
        history does); one with child tiers never (delete those first)."""
        with self.project.unit() as s:
            tier = self._tier(s, tier_id)
            if tier.name == DEFAULT_TIER:
                raise EditError(f"The '{DEFAULT_TIER}' tier is the model's and stays.")
            kids = tc.child_tiers(s, tier.id)
            if kids:
                raise EditError(
                    f"Tier '{tier.name}' has child tiers ({', '.join(k.name for k in kids)}); "
                    "delete or re-attach them first."
                )
            live = list(
                s.scalars(
                    select(Segment).where(Segment.tier_id == tier.id, Segment.deleted.is_(False))
                )
            )
            if live and not with_annotations:
                raise EditError(
                    f"Tier '{tier.name}' holds {len(live)} annotation(s); confirm deleting them "
                    "with the tier."
                )
            rec = revisions.Recorder(s, "delete_tier", f"Delete tier {tier.name}")
            rec.change_many(live, deleted=True)
            any_rows = s.scalar(select(Segment.id).where(Segment.tier_id == tier.id).limit(1))
            if any_rows is None:
                s.delete(tier)
                tc.forget_tiers(s)
            return rec.result() if live else None

    # -- helpers -----------------------------------------------------------------------
    @staticmethod
    def _tier(s: Session, tier_id: int) -> Tier:
        tier = s.get(Tier, tier_id)
        if tier is None:
            raise NotFoundError(f"There is no tier #{tier_id}.")
        return tier

    @staticmethod
    def _name(name: str) -> str:
        name = name.strip()
        if not name:
            raise EditError("A tier needs a name.")
        return name

    @staticmethod
    def _next_pos(s: Session) -> int:
        return (s.scalar(select(func.max(Tier.position))) or 0) + 1
