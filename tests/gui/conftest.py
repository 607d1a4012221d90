"""GUI test fixtures: a demo project per test (copied from one built per
session), a fake audio output, and a main window on throwaway settings.

Every GUI test fails on Qt warnings (except the offscreen plugin's own notice).
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6")

from desktop_app.core.demo import build_demo
from desktop_app.core.project import DEFAULT_TIER, Project
from desktop_app.core.services.recordings import RecordingService
from desktop_app.core.services.segments import NewSegment, SegmentService
from desktop_app.core.services.speakers import TierService
from desktop_app.core.settings import Settings
from tests.fake_engine import FakeEngine, fake_model

QT_LOG_IGNORE = (
    "This plugin does not support propagateSizeHints",
    "This plugin does not support raise",
    "QStandardPaths: XDG_RUNTIME_DIR",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.gui)
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))
            item.add_marker(pytest.mark.qt_log_ignore(*QT_LOG_IGNORE))


@pytest.fixture(scope="session", autouse=True)
def _qt_refcount_guard(qapp) -> None:
    """PySide6 6.12.0 leaks a reference to True per emit() (see gui/qtfix.py)."""
    from desktop_app.gui.qtfix import install_refcount_guard

    install_refcount_guard()


# -- a draft transcript, as the model would leave it -------------------------------
# (reference text, model text, confidence, per-word probabilities)
DRAFT_ERRORS = {
    "сәлеметсіз бе менің атым айгүл": ("сәлеметсіз бе менің атым айгул", 0.71),
    "бүгін ауа райы өте жақсы": ("бүгін ауа райы өте жақсы", 0.93),
    "таудың басында қар жатыр": ("таудын басында кар жатыр", 0.48),
}


def add_draft(project: Project) -> None:
    """Copy each reference segment into the transcription tier as 'auto'
    output with confidences and word probabilities (some deliberately low)."""
    tiers = {t.name: t.id for t in TierService(project).list()}
    segs = SegmentService(project)
    for rec in RecordingService(project).list():
        items = []
        for ref in segs.list(rec.id, tiers["reference"]):
            text, conf = DRAFT_ERRORS.get(ref.text, (ref.text, 0.88))
            words = text.split()
            dur = (ref.end_ms - ref.start_ms) / 1000 / max(1, len(words))
            probs = [
                0.35 if w not in ref.text.split() else 0.95 - 0.02 * i for i, w in enumerate(words)
            ]
            items.append(
                NewSegment(
                    ref.start_ms,
                    ref.end_ms,
                    text,
                    speaker_id=ref.speaker_id,
                    language=ref.language,
                    confidence=conf,
                    words=[
                        {
                            "w": " " + w,
                            "s": ref.start_ms / 1000 + i * dur,
                            "e": ref.start_ms / 1000 + (i + 1) * dur,
                            "p": p,
                        }
                        for i, (w, p) in enumerate(zip(words, probs, strict=True))
                    ],
                )
            )
        segs.add_many(
            rec.id,
            items,
            tier_id=tiers[DEFAULT_TIER],
            status="auto",
            source="model",
            source_detail="test draft",
        )


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("template") / "demo.jazba"
    project = build_demo(folder)
    add_draft(project)
    project.close()
    return folder


@pytest.fixture
def project_path(tmp_path: Path, demo_template: Path) -> Path:
    """A fresh copy of the demo project with a draft transcript."""
    dest = tmp_path / "demo.jazba"
    shutil.copytree(demo_template, dest)
    return dest


# -- fake audio output ------------------------------------------------------------------
class FakeOutput:
    """Stands in for ``sounddevice.OutputStream``: counts what is written and,
    with ``pace`` > 0, takes ``pace`` x real time to "play" it."""

    def __init__(self, rate: int, pace: float = 0.0) -> None:
        self.rate = rate
        self.pace = pace
        self.latency = 0.0
        self.frames = 0
        self.first: list[np.ndarray] = []
        self.started = self.closed = False
        self.lock = threading.Lock()

    def start(self) -> None:
        self.started = True

    def write(self, data: np.ndarray) -> None:
        assert data.dtype == np.float32 and data.ndim == 2 and data.shape[1] == 1
        with self.lock:
            self.frames += len(data)
            if len(self.first) < 50:
                self.first.append(data.copy())
        if self.pace:
            time.sleep(len(data) / self.rate * self.pace)

    def stop(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


class FakeOutputFactory:
    def __init__(self) -> None:
        self.pace = 0.0
        self.streams: list[FakeOutput] = []

    def __call__(self, rate: int) -> FakeOutput:
        stream = FakeOutput(rate, self.pace)
        self.streams.append(stream)
        return stream

    @property
    def last(self) -> FakeOutput:
        return self.streams[-1]


@pytest.fixture
def fake_output() -> FakeOutputFactory:
    return FakeOutputFactory()


# -- dialogs answered by the test ------------------------------------------------------------
class Answers:
    """Replaces the modal dialogs: queued answers, and a record of messages."""

    def __init__(self) -> None:
        self.texts: list[str | None] = []
        self.choices: list[str | None] = []
        self.confirm = True
        self.errors: list[str] = []
        self.infos: list[str] = []
        self.actions: list[int | None] = []  # buttons chosen in choose_action (None: closed)
        self.asked: list[str] = []  # the questions asked (confirm, choose_action)


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> Answers:
    from desktop_app.gui.dialogs import common as dialogs

    a = Answers()

    def choose(_parent, _title, _label, items):
        want = a.choices.pop(0)
        return None if want is None else list(items).index(want)

    monkeypatch.setattr(dialogs, "ask_text", lambda *args, **kw: a.texts.pop(0))
    monkeypatch.setattr(dialogs, "choose", choose)

    def confirm(_parent, message, *args, **kw):
        a.asked.append(message)
        return a.confirm

    def choose_action(_parent, message, _buttons, *args, **kw):
        a.asked.append(message)
        return a.actions.pop(0) if a.actions else None

    monkeypatch.setattr(dialogs, "confirm", confirm)
    monkeypatch.setattr(dialogs, "choose_action", choose_action)
    monkeypatch.setattr(dialogs, "show_error", lambda _p, msg, *x: a.errors.append(msg))
    monkeypatch.setattr(dialogs, "show_info", lambda _p, msg, *x: a.infos.append(msg))
    return a


# -- the main window ------------------------------------------------------------------------
@pytest.fixture
def make_window(qtbot, fake_output: FakeOutputFactory, answers: Answers) -> Callable:
    from desktop_app.gui.app import create_window

    def make(path: Path | None, settings: Settings | None = None):
        window = create_window(path, settings or Settings(), fake_output)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    return make


@pytest.fixture
def window(make_window, project_path: Path) -> Iterator:
    w = make_window(project_path)
    yield w
    w.close()


# -- a fake speech model for the transcription job ------------------------------------------
@pytest.fixture
def fake_asr(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeEngine:
    """The GUI's transcription job runs for real (model pass, undo step, job
    log) with :class:`FakeEngine` as the installed, active model."""
    from desktop_app.services import transcription

    engine = FakeEngine()
    registry, engines = fake_model(engine, tmp_path / "fake-model")
    monkeypatch.setattr(transcription, "ModelRegistry", registry)
    monkeypatch.setattr(transcription, "_DEFAULT_CACHE", engines)
    return engine


# -- a recording's draft replaced by model output of the test's choosing --------------------
def replace_draft(
    project: Project,
    recording_id: int,
    sentences: list[list[tuple[str, float]]],
    model_version: str | None = None,
) -> list[int]:
    """The recording's transcription tier becomes one 'auto' segment per sentence
    of ``(word, probability)``, spread over the recording, as a model pass of
    ``model_version`` writes them (words timed, a confidence). Their ids."""
    from desktop_app.core.store.schema import ModelVersion

    if model_version is not None:
        with project.unit() as s:
            if s.get(ModelVersion, model_version) is None:
                s.add(ModelVersion(id=model_version, name=model_version))
    tier = {t.name: t.id for t in TierService(project).list()}[DEFAULT_TIER]
    segs = SegmentService(project)
    old = [s.id for s in segs.list(recording_id, tier)]
    if old:
        segs.delete(old)
    duration = RecordingService(project).get(recording_id).duration_ms
    step = duration // len(sentences)
    items = []
    for k, words in enumerate(sentences):
        start, end = k * step, (k + 1) * step - 10
        per = (end - start) / 1000 / len(words)
        timed = [
            {"w": " " + w, "s": start / 1000 + i * per, "e": start / 1000 + (i + 1) * per, "p": p}
            for i, (w, p) in enumerate(words)
        ]
        conf = float(np.exp(np.mean(np.log([max(1e-6, p) for _w, p in words]))))
        text = " ".join(w for w, _p in words)
        items.append(NewSegment(start, end, text, language="kk", confidence=conf, words=timed))
    result = segs.add_many(
        recording_id, items, tier_id=tier, source="model", model_version_id=model_version
    )
    return list(result.segment_ids)
