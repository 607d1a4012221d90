"""The whole learning loop on a tiny random Whisper.

approved segments → dataset → a few training steps in the spawned trainer →
ONNX export → scored before/after → registry version with parent, metrics,
card → activation → re-transcription touching only auto segments →
rollback. Also: cancel mid-training, resume from a checkpoint, and a damaged
checkpoint refused with the active model untouched.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from desktop_app.asr.manifest import ModelSource
from desktop_app.asr.options import DecodeOptions
from desktop_app.asr.presets import PRESETS
from desktop_app.core.errors import Cancelled, ModelError
from desktop_app.core.jobs import JobState
from desktop_app.core.project import Project
from desktop_app.core.services.job_log import JobLog
from desktop_app.core.services.segments import SegmentService
from desktop_app.modelbuild.protocol import LogMsg, Message, MetricsMsg
from desktop_app.services.learning_loop import CARD_NAME, FinetuneRequest, finetune, list_runs
from desktop_app.services.transcription import TranscribeRequest, transcribe_recording
from desktop_app.training.__main__ import main as train_main
from tests.training.conftest import small_config


def _request(**config) -> FinetuneRequest:
    return FinetuneRequest(config=small_config(**config), min_train=4, validate_export=False)


def test_whole_loop_installs_an_evaluated_version(
    filled_project: Project, registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = registry.active()
    messages: list[Message] = []
    result = finetune(
        [filled_project], _request(), JobState(), registry=registry, on_message=messages.append
    )

    # Training reported loss at every step and dev WER at every evaluation.
    losses = [m for m in messages if isinstance(m, MetricsMsg) and "loss" in m.values]
    assert [m.step for m in losses] == [1, 2, 3, 4, 5, 6]
    assert all(m.values["eta_s"] >= 0 for m in losses)
    devs = [m for m in messages if isinstance(m, MetricsMsg) and "dev_wer" in m.values]
    assert [m.step for m in devs] == [3, 6]
    assert losses[-1].values["loss"] < losses[0].values["loss"]

    # A new version with its parent, metrics, training config, HF weights and card.
    m = result.manifest
    assert m.source == ModelSource.FINETUNED and m.parent_id == parent.id
    assert registry.active_id() == parent.id  # not activated unless asked
    assert m.metrics["test_n"] == result.after.overall.n > 0
    assert m.metrics["test_wer"] == pytest.approx(result.after.overall.wer)
    assert m.metrics["parent_test_wer"] == pytest.approx(result.before.overall.wer)
    folder = registry.path(m.id)
    registry.verify(m.id)
    training = json.loads((folder / "training.json").read_text("utf-8"))
    assert training["config"]["max_steps"] == 6
    assert training["summary"]["steps"] == 6
    # The kept checkpoint is the evaluation with the lowest dev WER (the default choice).
    best = min(training["history"], key=lambda row: row["dev_wer"])
    assert training["summary"]["best_step"] == best["step"]
    assert training["summary"]["best_dev_cer"] == pytest.approx(best["dev_cer"])
    assert (folder / "hf" / "model.safetensors").is_file()
    card = (folder / CARD_NAME).read_text("utf-8")
    assert f"`{m.id}`" in card and "(before)" in card and "(after)" in card
    assert f"Kept checkpoint:** step {best['step']:.0f}, the best dev WER" in card
    assert set(result.after.breakdown["speaker"]) <= {"Айгүл", "Ерлан", "Дана"}

    # The project's job log has the run.
    jobs = JobLog(filled_project).list()
    assert jobs[0].kind == "finetune" and jobs[0].status == "done"

    # Activate, re-transcribe: only auto segments change.
    registry.set_active(m.id)
    segments = SegmentService(filled_project)
    rec_id = segments.list(1)[0].recording_id
    human = {s.id: s for s in segments.list(rec_id) if s.status != "auto"}
    # A random model would run every fallback temperature: one quick pass is enough here.
    quick = DecodeOptions(temperatures=(0.0,), max_new_tokens=8, no_speech_threshold=None)
    monkeypatch.setitem(PRESETS, "quick", quick)
    transcribe_recording(
        filled_project, TranscribeRequest(rec_id, vad=False, preset="quick"), registry=registry
    )
    after = {s.id: s for s in segments.list(rec_id) if s.status != "auto"}
    assert after == human
    assert all(s.model_version_id == m.id for s in segments.list(rec_id) if s.status == "auto")

    # A second round starts from the fine-tuned weights; rollback returns to the parent.
    assert registry.rollback().id == parent.id
    assert registry.active_id() == parent.id


def test_cancel_then_resume_then_damaged_checkpoint(filled_project: Project, registry) -> None:
    before_versions = [v.id for v in registry.versions()]
    active = registry.active_id()
    state = JobState()

    def cancel_at_step_3(msg: Message) -> None:
        if isinstance(msg, MetricsMsg) and msg.step >= 3 and "loss" in msg.values:
            state.cancel()

    # LoRA on a frozen encoder (cached cross-attention): the other code path of the trainer.
    lora = {"method": "lora", "freeze_encoder": True, "learning_rate": 5e-3}
    request = _request(max_steps=12, eval_every=6, checkpoint_every=1, **lora)
    with pytest.raises(Cancelled):
        finetune([filled_project], request, state, registry=registry, on_message=cancel_at_step_3)
    assert [v.id for v in registry.versions()] == before_versions
    assert JobLog(filled_project).list()[0].status == "cancelled"
    run = list_runs()[-1]
    checkpoints = sorted((run / "train" / "checkpoints").glob("step-*"))
    assert checkpoints, "a checkpoint was written before the cancel"
    assert not (run / "train" / "final_onnx").exists()
    resumed_from = int(checkpoints[-1].name.split("-")[1])

    # A damaged checkpoint is refused and nothing changes.
    weights = checkpoints[-1] / "weights.pt"
    good = weights.read_bytes()
    weights.write_bytes(good[:-100] + b"\0" * 100)
    with pytest.raises(ModelError, match="damaged"):
        finetune([filled_project], request, JobState(), registry=registry, resume=run)
    assert [v.id for v in registry.versions()] == before_versions
    assert registry.active_id() == active
    # The training process refuses it too (when started by hand, or under torchrun).
    out = io.StringIO()
    code = train_main(
        ["finetune", "--data", str(run / "data" / "manifest.jsonl"), "--base",
         str(registry.path(active) / "hf"), "--work", str(run / "train"), "--config",
         str(run / "config.json"), "--resume"],
        stream=out,
    )  # fmt: skip
    assert code == 1
    assert "does not match its checksum" in out.getvalue()

    # Repaired, the run resumes at the checkpoint's step and finishes.
    weights.write_bytes(good)
    messages: list[Message] = []
    same = _request(max_steps=12, eval_every=6, checkpoint_every=1, **lora)
    result = finetune(
        [filled_project], same, JobState(), registry=registry, resume=run,
        on_message=messages.append,
    )  # fmt: skip
    logs = [m.text for m in messages if isinstance(m, LogMsg)]
    assert any(f"Resumed from step-{resumed_from:06d}" in t for t in logs)
    steps = [m.step for m in messages if isinstance(m, MetricsMsg) and "loss" in m.values]
    assert steps[0] == resumed_from + 1 and steps[-1] == 12
    assert result.manifest.parent_id == active
    assert registry.active_id() == active
    training = json.loads((registry.path(result.manifest.id) / "training.json").read_text("utf-8"))
    assert training["config"]["method"] == "lora"
    assert [s for s, _loss in training["losses"]] == list(range(1, 13))  # across the resume
    assert (registry.path(result.manifest.id) / "hf" / "model.safetensors").is_file()  # merged


def test_too_little_data_is_refused_before_any_work(project: Project, registry) -> None:
    with pytest.raises(Exception, match="approve at least"):
        finetune([project], _request(), JobState(), registry=registry)
    assert list_runs() == []


def test_trainer_refuses_an_empty_dataset(tmp_path: Path, tiny_hf_dir: Path) -> None:
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text("", encoding="utf-8")
    out = io.StringIO()
    code = train_main(
        ["finetune", "--data", str(manifest), "--base", str(tiny_hf_dir), "--work",
         str(tmp_path / "w"), "--resume"],
        stream=out,
    )  # fmt: skip
    assert code == 1
    assert "no training examples" in out.getvalue()
