"""Voice profiles: folding, matching, suggestions, JSON between projects; the migration."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from desktop_app.core.errors import EditError
from desktop_app.core.project import Project
from desktop_app.core.services import revisions
from desktop_app.core.services.diarize_apply import SpeakerTurn, apply_turns, speaker_runs
from desktop_app.core.services.segments import NewSegment, SegmentService
from desktop_app.core.services.speaker_profiles import ProfileService, fold
from desktop_app.core.services.speakers import SpeakerService
from desktop_app.core.store import database
from tests.core.conftest import add_fake_recording


def _vec(*xs: float) -> np.ndarray:
    return np.array(xs, dtype=np.float64)


def test_fold_weights_by_count() -> None:
    v = fold(_vec(1, 0), 3, _vec(0, 1), 1)
    assert v[0] > v[1] > 0 and np.isclose(np.linalg.norm(v), 1)


def test_match_is_greedy_and_thresholded(project: Project) -> None:
    sp = SpeakerService(project)
    a, b = sp.create("Айгүл"), sp.create("Болат")
    prof = ProfileService(project)
    prof.add(a.id, "m", _vec(1, 0, 0), 10)
    prof.add(b.id, "m", _vec(0, 1, 0), 10)
    prof.add(b.id, "other-model", _vec(0, 0, 1), 10)  # replaces: another model's profile
    prof.add(b.id, "m", _vec(0, 1, 0), 10)
    got = prof.match(np.array([[0.9, 0.1, 0], [0.95, 0.05, 0], [0, 0, 1]]), "m", 0.8)
    assert got[1] is not None and got[1].name == "Айгүл"  # the closer one wins Айгүл
    assert got[0] is None and got[2] is None
    assert prof.match(np.array([[0, 1, 0]]), "m")[0].speaker_id == b.id


def test_reject_and_double_accept(project: Project) -> None:
    rec = add_fake_recording(project)
    sp = SpeakerService(project)
    a, found = sp.create("Айгүл"), sp.create("Speaker 1")
    prof = ProfileService(project)
    prof.add(a.id, "m", _vec(1, 0), 5)
    match = prof.match(np.array([[1.0, 0.1]]), "m")[0]
    sid = prof.suggest(rec, found.id, match)
    prof.reject(sid)
    with pytest.raises(EditError, match="already rejected"):
        prof.accept(sid)
    assert prof.suggestions(rec) == []
    assert prof.suggestions(rec, status="rejected")[0].suggested_name == "Айгүл"


def test_profiles_travel_between_projects(project: Project, tmp_path: Path) -> None:
    sp = SpeakerService(project)
    a = sp.create("Айгүл", dialect="south")
    ProfileService(project).add(a.id, "ge2e", _vec(0.6, 0.8), 7)
    out = tmp_path / "voices.json"
    assert ProfileService(project).export_json(out) == 1
    other = Project.create(tmp_path / "other")
    try:
        assert ProfileService(other).import_json(out) == 1
        [p] = ProfileService(other).profiles("ge2e")
        assert p.name == "Айгүл" and p.count == 7 and np.allclose(p.centroid, [0.6, 0.8])
        out.write_text("{}", "utf-8")
        with pytest.raises(EditError, match="not a Jazba speaker-profile file"):
            ProfileService(other).import_json(out)
    finally:
        other.close()


def test_speaker_runs_cut_in_gaps_and_fold_short_ones() -> None:
    turns = [SpeakerTurn(0, 3000, 1), SpeakerTurn(3400, 3900, 2), SpeakerTurn(4000, 8000, 3)]
    # the short run goes to its longer neighbour
    assert speaker_runs(500, 7000, turns) == [(500, 3200, 1), (3200, 7000, 3)]
    assert speaker_runs(0, 2000, turns) == [(0, 2000, 1)]
    assert speaker_runs(9000, 9500, turns) == []


def test_apply_leaves_no_empty_undo_step(project: Project) -> None:
    rec = add_fake_recording(project)
    svc = SegmentService(project)
    spk = SpeakerService(project).create("Speaker 1")
    svc.add(rec, NewSegment(0, 1000, "x"), status="auto")
    turns = [SpeakerTurn(0, 1000, spk.id)]
    first = apply_turns(project, rec, turns)
    assert first.labelled == 1
    assert apply_turns(project, rec, turns).operation_id is None
    assert svc.last_undoable() == first.operation_id


def test_old_project_upgrades_with_speakers_intact(project: Project, tmp_path: Path) -> None:
    """A project made before speaker profiles (schema 0003) opens and gains the tables."""
    from alembic import command
    from sqlalchemy import inspect

    sp = SpeakerService(project).create("Айгүл")
    command.downgrade(database.alembic_config(project.engine), "0003")
    assert "speaker_profiles" not in inspect(project.engine).get_table_names()
    path = project.path
    project.close()
    with Project.open(path) as p:
        assert database.current_revision(p.engine) == database.head_revision()
        assert {"speaker_profiles", "speaker_suggestions"} <= set(
            inspect(p.engine).get_table_names()
        )
        assert [s.name for s in SpeakerService(p).list()] == ["Айгүл"]
        ProfileService(p).add(sp.id, "ge2e", _vec(1, 0), 1)


def test_undo_of_an_accept_restores_profile_and_suggestion(project: Project) -> None:
    rec = add_fake_recording(project)
    sp = SpeakerService(project)
    a, found = sp.create("Айгүл"), sp.create("Speaker 1")
    prof = ProfileService(project)
    prof.add(a.id, "m", _vec(1, 0), 5)
    prof.add(found.id, "m", _vec(0.8, 0.6), 5)
    match = prof.match(np.array([[1.0, 0.1]]), "m")[0]
    sid = prof.suggest(rec, found.id, match)
    other = prof.suggest(rec, found.id, match)  # a second open one, made moot by the accept
    op = prof.accept(sid).operation_id
    [folded] = prof.profiles("m")
    assert folded.count == 10 and folded.centroid[1] > 0.2  # the found voice folded in
    assert {s.status for s in prof.suggestions(rec, status="rejected")} == {"rejected"}

    with project.unit() as s:
        revisions.undo(s, op)
    got = {p.name: p for p in prof.profiles("m")}
    assert got["Айгүл"].count == 5 and np.allclose(got["Айгүл"].centroid, [1, 0])
    assert got["Speaker 1"].count == 5  # the found speaker is back, with its own voice
    assert sorted(s.id for s in prof.suggestions(rec)) == sorted([sid, other])

    with project.unit() as s:
        revisions.redo(s, op)
    [again] = prof.profiles("m")
    assert again.count == 10 and np.allclose(again.centroid, folded.centroid)
    assert prof.suggestions(rec) == []
