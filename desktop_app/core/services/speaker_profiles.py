"""Voice profiles of a project's speakers and "sounds like" suggestions.

A profile is the mean direction (unit vector) of a speaker's speech
embeddings under one embedding model, with how many embeddings went into it.
A diarization matches the clusters it finds to the profiles; a match above
the threshold becomes a suggestion the user accepts (the found speaker is
merged into the known one, as one undo step) or rejects. Profiles travel
between projects as JSON, matched to speakers by name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select

from desktop_app.core.errors import EditError, NotFoundError
from desktop_app.core.project import Project
from desktop_app.core.services.dto import OpResult
from desktop_app.core.services.profile_fold import fold, unit
from desktop_app.core.services.speakers import SpeakerService
from desktop_app.core.store.schema import Speaker, SpeakerProfile, SpeakerSuggestion

MATCH_THRESHOLD = 0.75
EXPORT_FORMAT = "jazba-speaker-profiles/1"


@dataclass(frozen=True)
class Profile:
    speaker_id: int
    name: str
    model_id: str
    centroid: np.ndarray
    count: int


@dataclass(frozen=True)
class Match:
    speaker_id: int
    name: str
    score: float


@dataclass(frozen=True)
class SuggestionInfo:
    id: int
    recording_id: int
    speaker_id: int
    speaker_name: str
    suggested_id: int
    suggested_name: str
    score: float
    status: str

    def text(self) -> str:
        return f"{self.speaker_name} sounds like {self.suggested_name}, {self.score:.2f}"


class ProfileService:
    def __init__(self, project: Project) -> None:
        self.project = project

    def profiles(self, model_id: str) -> list[Profile]:
        """The live speakers' profiles under ``model_id``."""
        with self.project.unit() as s:
            rows = s.execute(
                select(SpeakerProfile, Speaker.name)
                .join(Speaker, Speaker.id == SpeakerProfile.speaker_id)
                .where(SpeakerProfile.model_id == model_id, Speaker.merged_into_id.is_(None))
                .order_by(Speaker.id)
            ).all()
            return [
                Profile(p.speaker_id, name, p.model_id, np.asarray(p.centroid), p.count)
                for p, name in rows
            ]

    def add(self, speaker_id: int, model_id: str, centroid: np.ndarray, count: int) -> None:
        """Fold ``count`` embeddings with mean direction ``centroid`` into the speaker's
        profile under ``model_id`` (profiles of other models are kept as they are)."""
        with self.project.unit() as s:
            prof = s.get(SpeakerProfile, (speaker_id, model_id))
            vec = unit(centroid)
            if prof is None:
                s.add(
                    SpeakerProfile(
                        speaker_id=speaker_id,
                        model_id=model_id,
                        centroid=[float(x) for x in vec],
                        count=int(count),
                    )
                )
                return
            merged = fold(np.asarray(prof.centroid), prof.count, vec, count)
            prof.centroid = [float(x) for x in merged]
            prof.count = prof.count + int(count)

    def models(self) -> dict[str, int]:
        """Embedding model id -> how many live speakers have a profile under it."""
        with self.project.unit() as s:
            rows = s.execute(
                select(SpeakerProfile.model_id, Speaker.id)
                .join(Speaker, Speaker.id == SpeakerProfile.speaker_id)
                .where(Speaker.merged_into_id.is_(None))
            ).all()
        out: dict[str, int] = {}
        for model_id, _ in rows:
            out[model_id] = out.get(model_id, 0) + 1
        return out

    def match(
        self,
        centroids: np.ndarray,
        model_id: str,
        threshold: float = MATCH_THRESHOLD,
        exclude: set[int] | frozenset[int] = frozenset(),
    ) -> list[Match | None]:
        """For each row of ``centroids``, the best known speaker above ``threshold``.

        Assignment is greedy by score, so two clusters never get the same speaker.
        """
        known = [p for p in self.profiles(model_id) if p.speaker_id not in exclude]
        out: list[Match | None] = [None] * len(centroids)
        if not known or not len(centroids):
            return out
        mat = np.stack([unit(p.centroid) for p in known])
        rows = np.stack([unit(c) for c in centroids])
        sims = rows @ mat.T
        used_rows: set[int] = set()
        used_cols: set[int] = set()
        for flat in np.argsort(-sims, axis=None):
            i, j = divmod(int(flat), len(known))
            if sims[i, j] < threshold:
                break
            if i in used_rows or j in used_cols:
                continue
            used_rows.add(i)
            used_cols.add(j)
            out[i] = Match(known[j].speaker_id, known[j].name, float(sims[i, j]))
        return out

    # -- suggestions -------------------------------------------------------
    def suggest(self, recording_id: int, speaker_id: int, match: Match) -> int:
        with self.project.unit() as s:
            row = SpeakerSuggestion(
                recording_id=recording_id,
                speaker_id=speaker_id,
                suggested_id=match.speaker_id,
                score=match.score,
            )
            s.add(row)
            s.flush()
            return row.id

    def suggestions(
        self, recording_id: int | None = None, status: str | None = "open"
    ) -> list[SuggestionInfo]:
        with self.project.unit() as s:
            q = select(SpeakerSuggestion).order_by(SpeakerSuggestion.id)
            if recording_id is not None:
                q = q.where(SpeakerSuggestion.recording_id == recording_id)
            if status is not None:
                q = q.where(SpeakerSuggestion.status == status)
            names = dict(s.execute(select(Speaker.id, Speaker.name)).all())
            return [
                SuggestionInfo(
                    r.id,
                    r.recording_id,
                    r.speaker_id,
                    names.get(r.speaker_id, "?"),
                    r.suggested_id,
                    names.get(r.suggested_id, "?"),
                    r.score,
                    r.status,
                )
                for r in s.scalars(q)
            ]

    def accept(self, suggestion_id: int) -> OpResult:
        """Merge the found speaker into the suggested one and fold the found voice
        profile into the known one: one undo step (undo restores the profile and
        reopens the suggestion)."""
        sug = self._open(suggestion_id)
        return SpeakerService(self.project).merge(
            sug.speaker_id, sug.suggested_id, accept_suggestion=suggestion_id
        )

    def reject(self, suggestion_id: int) -> None:
        self._open(suggestion_id)
        with self.project.unit() as s:
            row = s.get(SpeakerSuggestion, suggestion_id)
            assert row is not None
            row.status = "rejected"

    def _open(self, suggestion_id: int) -> SuggestionInfo:
        found = [x for x in self.suggestions(None, None) if x.id == suggestion_id]
        if not found:
            raise NotFoundError(f"There is no speaker suggestion #{suggestion_id}.")
        if found[0].status != "open":
            raise EditError(f"Suggestion #{suggestion_id} was already {found[0].status}.")
        return found[0]

    # -- between projects --------------------------------------------------
    def export_json(self, path: str | Path) -> int:
        with self.project.unit() as s:
            rows = s.execute(
                select(SpeakerProfile, Speaker)
                .join(Speaker, Speaker.id == SpeakerProfile.speaker_id)
                .where(Speaker.merged_into_id.is_(None))
                .order_by(Speaker.name)
            ).all()
            data: dict[str, Any] = {
                "format": EXPORT_FORMAT,
                "speakers": [
                    {
                        "name": sp.name,
                        "gender": sp.gender,
                        "dialect": sp.dialect,
                        "model_id": p.model_id,
                        "count": p.count,
                        "centroid": [round(float(x), 7) for x in p.centroid],
                    }
                    for p, sp in rows
                ],
            }
        Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1), "utf-8")
        return len(data["speakers"])

    def import_json(self, path: str | Path) -> int:
        """Add the file's profiles to the speakers of the same name (created when missing)."""
        try:
            data = json.loads(Path(path).read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise EditError(f"Cannot read speaker profiles from '{path}': {exc}") from exc
        if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
            raise EditError(f"'{path}' is not a Jazba speaker-profile file ({EXPORT_FORMAT}).")
        speakers = SpeakerService(self.project)
        n = 0
        for item in data.get("speakers", []):
            try:
                name = str(item["name"]).strip()
                vec = np.asarray(item["centroid"], dtype=np.float64)
                count = int(item.get("count", 1))
                model_id = str(item["model_id"])
            except (KeyError, TypeError, ValueError) as exc:
                raise EditError(f"A speaker profile in '{path}' is damaged ({exc}).") from exc
            if not name or vec.ndim != 1 or not np.all(np.isfinite(vec)):
                raise EditError(f"A speaker profile in '{path}' is damaged.")
            info = speakers.get_or_create(name)
            self.add(info.id, model_id, vec, max(1, count))
            n += 1
        return n
