"""Writing model output into a recording without losing anything a person did.

A :class:`ModelPass` is one undo step spanning several transactions. It never
destroys the old draft before its replacement exists: the new segments are
held back until the model has decoded past a point where no old segment is
cut in two (a *cut*), and then, in one transaction, the old ``auto`` segments
before the cut are retired and the new ones written. A cancel, a crash or a
``kill -9`` at any moment therefore leaves the new draft before the last cut
and the old draft after it, with nothing missing and nothing doubled. The cut
(``done_ms``) is stored with the job in the same transaction, so the job log
says how far a pass got.

Segments a person touched (status ``edited`` or ``approved``: any change of
text, speaker, language or boundary promotes an ``auto`` segment, see
:mod:`~desktop_app.core.services.segments`) are never changed, whenever the
touch happened, also while the pass runs: each cut re-reads them, and model
segments overlapping them are trimmed or skipped. A draft segment under which
a person typed on a child tier (a translation, a gloss: see
:mod:`~desktop_app.core.services.tier_children`) counts as a person's work too:
it is kept like an edited one. A retired draft takes its empty child
annotations with it, and each new segment gets empty ones on the association
tiers under its tier.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.core.errors import NotFoundError
from desktop_app.core.project import Project
from desktop_app.core.services import revisions
from desktop_app.core.services import tier_children as tc
from desktop_app.core.services.dto import SegmentInfo
from desktop_app.core.services.segments import MIN_SEGMENT_MS, NewSegment, default_tier_id, to_info
from desktop_app.core.services.word_lang_hooks import auto_tags
from desktop_app.core.store.schema import Job, ModelVersion, Recording, Segment

MAX_TRIM_MS = 300  # model segments overlapping human ones by more than this are skipped


@dataclass(frozen=True)
class ModelRef:
    """The model version that produces segments (mirrored into the project)."""

    id: str
    name: str
    source: str = ""
    parent_id: str | None = None
    kind: str = "asr"


@dataclass(frozen=True)
class PassUpdate:
    """What one cut of a pass committed (for views that follow the pass)."""

    recording_id: int
    operation_id: int
    added: tuple[SegmentInfo, ...]
    retired: tuple[int, ...]  # old draft segments replaced
    done_ms: int  # the new draft is in place before this time


@dataclass(frozen=True)
class RetranscribePlan:
    """What a new pass over a recording's tier would replace and keep."""

    auto: int  # model segments nobody touched: replaced as the pass reaches them
    edited: int  # changed by a person: kept as they are
    approved: int  # approved by a person: kept as they are

    @property
    def human(self) -> int:
        return self.edited + self.approved


def retranscribe_plan(project: Project, recording_id: int, tier_id: int | None) -> RetranscribePlan:
    """Count what a transcription of ``recording_id`` would replace and keep."""
    with project.unit() as s:
        tier = tier_id if tier_id is not None else default_tier_id(s)
        statuses = s.scalars(
            select(Segment.status).where(
                Segment.recording_id == recording_id,
                Segment.tier_id == tier,
                Segment.deleted.is_(False),
            )
        ).all()
    return RetranscribePlan(
        auto=statuses.count("auto"),
        edited=statuses.count("edited"),
        approved=statuses.count("approved"),
    )


@dataclass
class ModelPass:
    project: Project
    recording_id: int
    model: ModelRef
    tier_id: int | None = None
    job_id: int | None = None  # the job row that records how far the pass got
    operation_id: int | None = None
    added: int = 0
    skipped: int = 0  # model segments that fell on human work
    replaced: int = 0  # old draft segments retired
    kept: int = 0  # old draft segments a person touched while the pass ran
    duration_ms: int = 0
    done_ms: int = 0
    _old: dict[int, tuple[int, int]] = field(default_factory=dict, repr=False)
    _turns: list[tuple[int, int, int]] = field(default_factory=list, repr=False)
    _pending: list[NewSegment] = field(default_factory=list, repr=False)

    def begin(self) -> int:
        """Open the pass's undo step and note the old draft; nothing is removed yet."""
        with self.project.unit() as s:
            recording = s.get(Recording, self.recording_id)
            if recording is None:
                raise NotFoundError(f"There is no recording #{self.recording_id}.")
            self.duration_ms = recording.duration_ms
            if self.tier_id is None:
                self.tier_id = default_tier_id(s)
            if s.get(ModelVersion, self.model.id) is None:
                s.add(
                    ModelVersion(
                        id=self.model.id,
                        name=self.model.name,
                        source=self.model.source,
                        parent_id=self.model.parent_id,
                        kind=self.model.kind,
                    )
                )
            rec = revisions.Recorder(
                s, "transcribe", f"Transcribe with {self.model.name}", "model", self.model.id
            )
            old = s.execute(
                select(Segment.id, Segment.start_ms, Segment.end_ms, Segment.speaker_id).where(
                    Segment.recording_id == self.recording_id,
                    Segment.tier_id == self.tier_id,
                    Segment.deleted.is_(False),
                    Segment.status == "auto",
                )
            ).all()
            self._old = {sid: (start, end) for sid, start, end, _sp in old}
            self._turns = [(start, end, sp) for _id, start, end, sp in old if sp is not None]
            self.operation_id = rec.result().operation_id
        return self.operation_id

    def add(self, new: NewSegment) -> PassUpdate | None:
        """Take one model segment (in time order); commits what is ready before it."""
        if self.operation_id is None:
            raise RuntimeError("ModelPass.begin() must be called first")
        update = self._advance(new.start_ms)
        self._pending.append(new)
        return update

    def reached(self, ms: int) -> PassUpdate | None:
        """The model has decoded everything before ``ms``: commit up to there if possible."""
        return self._advance(ms)

    def finish(self) -> PassUpdate | None:
        """The model is done: commit the rest and retire what is left of the old draft."""
        return self._advance(self.duration_ms, final=True)

    @property
    def pending(self) -> int:
        """Model segments decoded but not yet committed (lost on cancel, by design)."""
        return len(self._pending)

    # -- internals ----------------------------------------------------------------
    def _advance(self, cut: int, *, final: bool = False) -> PassUpdate | None:
        batch = [p for p in self._pending if p.start_ms < cut or final]
        end = self.duration_ms if final else max([cut, *(p.end_ms for p in batch)])
        if not final and self._straddled(end):
            # An old segment runs across the cut: commit only what ends before it starts.
            end = min(s for s, e in self._old.values() if s < end < e)
            batch = [p for p in batch if p.end_ms <= end]
            if self._straddled(end):
                return None
        if end <= self.done_ms and not batch:
            return None
        with self.project.unit() as s:
            assert self.operation_id is not None
            rec = revisions.Recorder.resume(s, self.operation_id)
            retired = self._retire_old(s, rec, end)
            protected = self._human_spans(s, batch)
            added = []
            for new in batch:
                seg = self._write(rec, new, protected)
                if seg is not None:
                    added.append(to_info(seg))
            self.done_ms = max(self.done_ms, min(end, self.duration_ms))
            self._record_progress(s)
        done = {id(p) for p in batch}
        self._pending = [p for p in self._pending if id(p) not in done]
        if not added and not retired:
            return None
        return PassUpdate(
            self.recording_id, self.operation_id, tuple(added), tuple(retired), self.done_ms
        )

    def _straddled(self, ms: int) -> bool:
        return any(start < ms < end for start, end in self._old.values())

    def _retire_old(self, s: Session, rec: revisions.Recorder, end: int) -> list[int]:
        """Retire the old draft before ``end``, except segments a person touched since."""
        retired = []
        due = [sid for sid, (start, _e) in self._old.items() if start < end]
        worked_on = tc.human_parents(s, due)
        for sid in due:
            del self._old[sid]
            seg = s.get(Segment, sid)
            if seg is None or seg.deleted:
                continue
            if seg.status != "auto" or sid in worked_on:
                self.kept += 1
                continue
            rec.change(seg, deleted=True)
            tc.delete_tree(s, rec, seg)
            retired.append(sid)
        self.replaced += len(retired)
        return retired

    def _human_spans(self, s: Session, batch: list[NewSegment]) -> list[tuple[int, int]]:
        """Spans of segments a person edited or approved, as they are now."""
        if not batch:
            return []
        lo = min(p.start_ms for p in batch)
        hi = max(p.end_ms for p in batch)
        rows = s.execute(
            select(Segment.id, Segment.status, Segment.start_ms, Segment.end_ms).where(
                Segment.recording_id == self.recording_id,
                Segment.tier_id == self.tier_id,
                Segment.deleted.is_(False),
                Segment.start_ms < hi,
                Segment.end_ms > lo,
            )
        ).all()
        worked_on = tc.human_parents(s, [sid for sid, status, _s, _e in rows if status == "auto"])
        return [
            (start, end) for sid, status, start, end in rows if status != "auto" or sid in worked_on
        ]

    def _write(
        self, rec: revisions.Recorder, new: NewSegment, protected: list[tuple[int, int]]
    ) -> Segment | None:
        span = fit_around(new.start_ms, min(new.end_ms, self.duration_ms), protected)
        if span is None:
            self.skipped += 1
            return None
        self.added += 1
        seg = rec.create(
            Segment(
                recording_id=self.recording_id,
                tier_id=self.tier_id,
                start_ms=span[0],
                end_ms=span[1],
                text=new.text,
                speaker_id=new.speaker_id or speaker_at(self._turns, *span),
                language=new.language,
                status="auto",
                confidence=new.confidence,
                model_version_id=self.model.id,
                words=new.words,
                word_langs=auto_tags(rec.session, self.tier_id, new.text, new.language, new.words),
            )
        )
        tc.add_children(rec.session, rec, seg)
        return seg

    def _record_progress(self, s: Session) -> None:
        if self.job_id is None:
            return
        job = s.get(Job, self.job_id)
        if job is not None:
            params: dict[str, Any] = dict(job.params or {})
            params.update(done_ms=self.done_ms, operation_id=self.operation_id)
            job.params = params
            if self.duration_ms:
                job.progress = self.done_ms / self.duration_ms


def speaker_at(turns: list[tuple[int, int, int]], start: int, end: int) -> int | None:
    """The speaker of the old draft that overlaps ``start``–``end`` most (a
    diarization's labels carry over to the new draft that replaces it)."""
    best, most = None, 0
    for t_start, t_end, speaker in turns:
        overlap = min(end, t_end) - max(start, t_start)
        if overlap > most:
            best, most = speaker, overlap
    return best


def fit_around(start: int, end: int, protected: list[tuple[int, int]]) -> tuple[int, int] | None:
    """Trim ``[start, end)`` off protected spans; None when too little is left
    or when it overlaps one of them by more than :data:`MAX_TRIM_MS`."""
    for p_start, p_end in protected:
        overlap = min(end, p_end) - max(start, p_start)
        if overlap <= 0:
            continue
        if overlap > MAX_TRIM_MS:
            return None
        if p_start <= start:
            start = p_end
        else:
            end = p_start
    return (start, end) if end - start >= MIN_SEGMENT_MS else None
