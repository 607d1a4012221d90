"""Voice profiles per embedding model: a new model never replaces (or is compared
with) another's profile; accepting a suggestion folds like with like; merges
recorded before profiles were per model still undo; migration 0006 keeps rows."""

from __future__ import annotations

import json

import numpy as np
from sqlalchemy import select, text

from desktop_app.core.project import Project
from desktop_app.core.services import revisions
from desktop_app.core.services.speaker_profiles import ProfileService
from desktop_app.core.services.speakers import SpeakerService
from desktop_app.core.store import database
from desktop_app.core.store.schema import Operation
from tests.core.conftest import add_fake_recording


def _rows(project: Project) -> set[tuple[int, str, int]]:
    with project.unit() as s:
        return {
            tuple(r)
            for r in s.execute(text("SELECT speaker_id, model_id, count FROM speaker_profiles"))
        }


def test_a_second_model_adds_a_profile_and_keeps_the_first(project: Project) -> None:
    sp = SpeakerService(project).create("Айгүл")
    prof = ProfileService(project)
    prof.add(sp.id, "ge2e", np.array([1.0, 0.0, 0.0]), 4)
    prof.add(sp.id, "wespeaker", np.array([0.0, 1.0]), 2)
    prof.add(sp.id, "ge2e", np.array([0.0, 1.0, 0.0]), 4)  # folds into its own model's
    assert _rows(project) == {(sp.id, "ge2e", 8), (sp.id, "wespeaker", 2)}
    [g] = prof.profiles("ge2e")
    assert np.allclose(g.centroid, np.array([1, 1, 0]) / np.sqrt(2))
    assert prof.match(np.array([[0.0, 1.0]]), "wespeaker")[0].speaker_id == sp.id
    assert prof.match(np.array([[0.0, 1.0]]), "other-model") == [None]
    assert prof.models() == {"ge2e": 1, "wespeaker": 1}


def test_accept_folds_each_model_into_its_own_and_undo_restores(project: Project) -> None:
    rec = add_fake_recording(project)
    sp = SpeakerService(project)
    known, found = sp.create("Айгүл"), sp.create("Speaker 1")
    prof = ProfileService(project)
    prof.add(known.id, "ge2e", np.array([1.0, 0.0]), 5)
    prof.add(known.id, "old-model", np.array([0.0, 0.0, 1.0]), 9)  # untouched throughout
    prof.add(found.id, "ge2e", np.array([0.8, 0.6]), 5)
    prof.add(found.id, "wespeaker", np.array([0.0, 1.0, 0.0, 0.0]), 3)  # known has none yet
    before = _rows(project)
    sid = prof.suggest(rec, found.id, prof.match(np.array([[1.0, 0.1]]), "ge2e")[0])
    op = prof.accept(sid).operation_id
    after = {(m, n) for spk, m, n in _rows(project) if spk == known.id}
    assert after == {("ge2e", 10), ("old-model", 9), ("wespeaker", 3)}
    with project.unit() as s:
        revisions.undo(s, op)
    assert _rows(project) == before
    with project.unit() as s:
        revisions.redo(s, op)
    assert {(m, n) for spk, m, n in _rows(project) if spk == known.id} == after


def test_a_merge_recorded_in_the_old_format_undoes(project: Project) -> None:
    """A merge accepted before 0006 recorded one profile each; its undo and redo work."""
    rec = add_fake_recording(project)
    sp = SpeakerService(project)
    known, found = sp.create("Айгүл"), sp.create("Speaker 1")
    prof = ProfileService(project)
    prof.add(known.id, "ge2e", np.array([1.0, 0.0]), 5)
    prof.add(found.id, "ge2e", np.array([0.0, 1.0]), 5)
    sid = prof.suggest(rec, found.id, prof.match(np.array([[1.0, 0.0]]), "ge2e", -1.0)[0])
    op = prof.accept(sid).operation_id
    with project.unit() as s:  # rewrite the detail as the old code wrote it
        row = s.get(Operation, op)
        detail = json.loads(row.source_detail)
        detail["target_profile"] = {"model_id": "ge2e", "centroid": [1.0, 0.0], "count": 5}
        detail["source_profile"] = detail.pop("source_profiles")["ge2e"]
        detail.pop("target_profiles")
        row.source_detail = json.dumps(detail)
    with project.unit() as s:
        revisions.undo(s, op)
    assert {(m, n) for spk, m, n in _rows(project) if spk == known.id} == {("ge2e", 5)}
    with project.unit() as s:
        revisions.redo(s, op)
    assert {(m, n) for spk, m, n in _rows(project) if spk == known.id} == {("ge2e", 10)}


def test_migration_0006_keeps_existing_profiles(project: Project) -> None:
    from alembic import command

    sp = SpeakerService(project).create("Айгүл")
    ProfileService(project).add(sp.id, "ge2e", np.array([0.6, 0.8]), 3)
    cfg = database.alembic_config(project.engine)
    command.downgrade(cfg, "0005")
    with project.engine.connect() as c:
        pk = [r[1] for r in c.execute(text("PRAGMA table_info(speaker_profiles)")) if r[5]]
    assert pk == ["speaker_id"]
    command.upgrade(cfg, "head")
    assert _rows(project) == {(sp.id, "ge2e", 3)}
    ProfileService(project).add(sp.id, "wespeaker", np.array([1.0]), 1)
    with project.unit() as s:
        assert len(s.execute(select(text("1")).select_from(text("speaker_profiles"))).all()) == 2
