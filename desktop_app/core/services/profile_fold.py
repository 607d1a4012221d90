"""What accepting a "sounds like" suggestion does besides the speaker merge, and
how undo and redo reverse and repeat it.

Accepting folds the found speaker's voice profile into the known speaker's and
closes the suggestion (and the found speaker's other open suggestions). All
that is remembered in the merge operation's detail, so undoing the merge
restores the known speaker's profile exactly as it was and reopens the
suggestions, and redoing it folds again. The found speaker's own profile is
never deleted (a merged speaker's profile is simply not matched against).

Profiles are per embedding model: each of the found speaker's profiles folds
into the known speaker's profile of the same model (or becomes it); profiles
of other models are left alone. Merges recorded before profiles were per model
(``target_profile`` / ``source_profile``, one each) undo and redo too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.core.store.schema import SpeakerProfile, SpeakerSuggestion


def unit(v: Any) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    return v / max(float(np.linalg.norm(v)), 1e-12)


def fold(a: Any, n_a: int, b: Any, n_b: int) -> np.ndarray:
    """The profile of two profiles' embeddings together (count-weighted mean direction)."""
    return unit(n_a * unit(a) + n_b * unit(b))


def profile_states(session: Session, speaker_id: int) -> dict[str, dict[str, Any]]:
    """The speaker's profiles by model id."""
    rows = session.scalars(select(SpeakerProfile).where(SpeakerProfile.speaker_id == speaker_id))
    return {
        p.model_id: {"model_id": p.model_id, "centroid": list(p.centroid), "count": p.count}
        for p in rows
    }


def accept_detail(session: Session, suggestion_id: int) -> dict[str, Any]:
    """What an accept changes, taken before it changes anything."""
    sug = session.get(SpeakerSuggestion, suggestion_id)
    assert sug is not None
    moot = session.scalars(
        select(SpeakerSuggestion.id).where(
            SpeakerSuggestion.speaker_id == sug.speaker_id,
            SpeakerSuggestion.status == "open",
            SpeakerSuggestion.id != suggestion_id,
        )
    ).all()
    source = profile_states(session, sug.speaker_id)
    target = profile_states(session, sug.suggested_id)
    return {
        "suggestion": suggestion_id,
        "moot": list(moot),
        "target": sug.suggested_id,
        "target_profiles": {m: target.get(m) for m in source},
        "source_profiles": source,
    }


def _profiles_of(detail: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(target's profiles before, source's profiles)`` by model, either format."""
    if "source_profiles" in detail:
        return dict(detail.get("target_profiles") or {}), dict(detail["source_profiles"])
    before, source = detail.get("target_profile"), detail.get("source_profile")
    targets = {before["model_id"]: before} if before else {}
    sources = {source["model_id"]: source} if source else {}
    return {**{m: None for m in sources}, **targets}, sources


def apply_accept(session: Session, detail: dict[str, Any], *, undo: bool) -> None:
    """Accept (``undo`` False: also a redo) or reverse an accept recorded in ``detail``."""
    for sid in [detail["suggestion"], *detail.get("moot", [])]:
        row = session.get(SpeakerSuggestion, sid)
        if row is not None:
            accepted = "accepted" if sid == detail["suggestion"] else "rejected"
            row.status = "open" if undo else accepted
    targets, sources = _profiles_of(detail)
    for model_id in sorted(set(targets) | set(sources)):
        before = targets.get(model_id)
        after = before if undo else _folded(before, sources.get(model_id))
        _set_profile(session, detail["target"], model_id, after)


def _folded(target: dict[str, Any] | None, source: dict[str, Any] | None) -> dict[str, Any] | None:
    if source is None:
        return target
    if target is None:
        return {**source, "centroid": [float(x) for x in unit(source["centroid"])]}
    vec = fold(target["centroid"], target["count"], source["centroid"], source["count"])
    return {
        "model_id": target["model_id"],
        "centroid": [float(x) for x in vec],
        "count": target["count"] + source["count"],
    }


def _set_profile(
    session: Session, speaker_id: int, model_id: str, state: dict[str, Any] | None
) -> None:
    prof = session.get(SpeakerProfile, (speaker_id, model_id))
    if state is None:
        if prof is not None:
            session.delete(prof)
        return
    if prof is None:
        session.add(SpeakerProfile(speaker_id=speaker_id, **state))
        return
    prof.centroid, prof.count = state["centroid"], state["count"]
