"""What accepting a "sounds like" suggestion does besides the speaker merge, and
how undo and redo reverse and repeat it.

Accepting folds the found speaker's voice profile into the known speaker's and
closes the suggestion (and the found speaker's other open suggestions). All
that is remembered in the merge operation's detail, so undoing the merge
restores the known speaker's profile exactly as it was and reopens the
suggestions, and redoing it folds again. The found speaker's own profile is
never deleted (a merged speaker's profile is simply not matched against).
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


def profile_state(session: Session, speaker_id: int) -> dict[str, Any] | None:
    prof = session.get(SpeakerProfile, speaker_id)
    if prof is None:
        return None
    return {"model_id": prof.model_id, "centroid": list(prof.centroid), "count": prof.count}


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
    return {
        "suggestion": suggestion_id,
        "moot": list(moot),
        "target": sug.suggested_id,
        "target_profile": profile_state(session, sug.suggested_id),
        "source_profile": profile_state(session, sug.speaker_id),
    }


def apply_accept(session: Session, detail: dict[str, Any], *, undo: bool) -> None:
    """Accept (``undo`` False: also a redo) or reverse an accept recorded in ``detail``."""
    for sid in [detail["suggestion"], *detail.get("moot", [])]:
        row = session.get(SpeakerSuggestion, sid)
        if row is not None:
            accepted = "accepted" if sid == detail["suggestion"] else "rejected"
            row.status = "open" if undo else accepted
    before, source = detail.get("target_profile"), detail.get("source_profile")
    after = before if undo else _folded(before, source)
    _set_profile(session, detail["target"], after)


def _folded(target: dict[str, Any] | None, source: dict[str, Any] | None) -> dict[str, Any] | None:
    if source is None:
        return target
    if target is None or target["model_id"] != source["model_id"]:
        return {**source, "centroid": [float(x) for x in unit(source["centroid"])]}
    vec = fold(target["centroid"], target["count"], source["centroid"], source["count"])
    return {
        "model_id": target["model_id"],
        "centroid": [float(x) for x in vec],
        "count": target["count"] + source["count"],
    }


def _set_profile(session: Session, speaker_id: int, state: dict[str, Any] | None) -> None:
    prof = session.get(SpeakerProfile, speaker_id)
    if state is None:
        if prof is not None:
            session.delete(prof)
        return
    if prof is None:
        session.add(SpeakerProfile(speaker_id=speaker_id, **state))
        return
    prof.model_id, prof.centroid, prof.count = state["model_id"], state["centroid"], state["count"]
