"""Fine-tuning a CTC model (tiny random wav2vec2) through the same learning loop.

Labels from the model's characters; the loss falls on a constant target
with the feature encoder frozen; the whole loop (spawned trainer, ONNX
export, before/after scoring, a ``ctc-onnx/1`` version with its parent,
card and ``hf/`` weights, rollback); cancel installs nothing.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from desktop_app.asr.engines import load_engine
from desktop_app.asr.manifest import CTC_FORMAT, ModelSource
from desktop_app.asr.registry import ModelRegistry
from desktop_app.core.errors import Cancelled
from desktop_app.core.jobs import JobState
from desktop_app.core.project import Project
from desktop_app.modelbuild.protocol import LogMsg, Message, MetricsMsg
from desktop_app.services.learning_loop import (
    CARD_NAME,
    FinetuneRequest,
    base_checkpoint,
    finetune,
    list_runs,
)
from desktop_app.training.__main__ import main as train_main
from tests.asr.ctc_model import build_tiny_ctc_hf, build_tiny_mms_hf, export_tiny_ctc, kazakh_vocab
from tests.training.conftest import SR, fill_project, small_config, utterance


@pytest.fixture(scope="module")
def ctc_hf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_ctc_hf(tmp_path_factory.mktemp("ctc_ft") / "hf")


@pytest.fixture(scope="module")
def ctc_onnx(ctc_hf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_tiny_ctc(ctc_hf, tmp_path_factory.mktemp("ctc_ft") / "onnx")


@pytest.fixture
def ctc_registry(tmp_path: Path, ctc_hf: Path, ctc_onnx: Path) -> ModelRegistry:
    """A registry whose only (active) version is the tiny CTC model, with its ``hf/``."""
    reg = ModelRegistry(tmp_path / "models")
    reg.import_onnx_dir(ctc_onnx, name="Tiny CTC", extra={"hf": ctc_hf})
    return reg


@pytest.fixture
def small_project(project: Project, tmp_path: Path) -> Project:
    fill_project(project, tmp_path, repeats=1)
    return project


def _request(**config) -> FinetuneRequest:
    changes = {"max_steps": 4, "eval_every": 2, "learning_rate": 1e-3, **config}
    return FinetuneRequest(config=small_config(**changes), min_train=4, validate_export=False)


class _Emit:
    def __init__(self, logs: list[str]) -> None:
        self.logs = logs

    def __call__(self, fraction: float, text: str) -> None: ...

    def metrics(self, step: int, values: dict[str, float]) -> None: ...

    def log(self, text: str) -> None:
        self.logs.append(text)


def _dataset(folder: Path, texts: list[str], dev: int = 0) -> Path:
    """An exported dataset (as the learning loop writes it): one 1 s clip per text."""
    (folder / "clips").mkdir(parents=True)
    rows = []
    for i, text in enumerate(texts):
        sf.write(folder / "clips" / f"{i}.wav", utterance(i, 1.0), SR)
        split = "dev" if i < dev else "train"
        rows.append({"audio": f"clips/{i}.wav", "text": text, "key": str(i), "split": split})
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    (folder / "manifest.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder / "manifest.jsonl"


def test_labels_use_the_models_characters_and_count_the_rest() -> None:
    from desktop_app.training.ctc_data import CtcLabels, collate_ctc

    vocab = kazakh_vocab()
    labels = CtcLabels(vocab, blank=vocab["<pad>"])
    ids = labels.labels("Сәлем, Әлем! 5 wow")
    assert labels.decode(ids) == "сәлем әлем бес"  # numbers spelled out, as scored
    assert ids.count(vocab["|"]) == 3 and vocab["<pad>"] not in ids
    assert labels.skipped == {"w": 2, "o": 1}
    assert labels.skipped_summary() == (
        "3 characters not in the model's alphabet were skipped: w×2, o×1"
    )
    assert labels.labels("ok", count=False) == [] and sum(labels.skipped.values()) == 3

    upper = CtcLabels({"<pad>": 0, "|": 1, "A": 2, "B": 3}, blank=0)
    assert upper.labels("ab ba") == [2, 3, 1, 3, 2]

    batch = collate_ctc(
        [
            {"index": 0, "input_values": np.ones(5, np.float32), "labels": [7, 8, 9]},
            {"index": 1, "input_values": np.ones(3, np.float32), "labels": [7]},
        ]
    )
    assert batch["input_values"].shape == (2, 5) and batch["attention_mask"][1].tolist() == [
        1, 1, 1, 0, 0,
    ]  # fmt: skip
    assert batch["labels"].tolist() == [[7, 8, 9], [7, -100, -100]]


def test_loss_falls_on_a_constant_target_with_the_feature_encoder_frozen(
    tmp_path: Path, ctc_hf: Path
) -> None:
    import torch

    from desktop_app.training.ctc_finetune import CtcFinetuner
    from desktop_app.training.finetune import Paths

    data = _dataset(tmp_path / "data", ["ата ана w", "ата ана", "ата ана", "ата ана"])
    logs: list[str] = []

    config = small_config(max_steps=30, eval_every=100, learning_rate=5e-3, batch_size=4)
    trainer = CtcFinetuner(Paths(data, ctc_hf, tmp_path / "w"), config,
                           _Emit(logs), resume=False, validate=False)  # fmt: skip
    assert not any(n.startswith("wav2vec2.feature_extractor") for n in trainer.names)
    frozen = trainer.model.wav2vec2.feature_extractor.conv_layers[0].conv.weight.clone()
    torch.manual_seed(0)
    trainer.train_loop()
    losses = [loss for _step, loss in trainer.state.losses]
    print(f"CTC overfit loss: {losses[0]:.2f} -> {losses[-1]:.2f}")
    assert len(losses) == 30 and losses[-1] < 0.5 * losses[0]
    assert torch.equal(frozen, trainer.model.wav2vec2.feature_extractor.conv_layers[0].conv.weight)
    assert logs == ["1 character not in the model's alphabet was skipped: w×1."]


def test_an_mms_base_trains_its_kazakh_adapter_and_exports_flat(tmp_path: Path) -> None:
    from desktop_app.training.ctc_finetune import CtcFinetuner
    from desktop_app.training.finetune import run_finetune

    base = build_tiny_mms_hf(tmp_path / "mms")
    data = _dataset(tmp_path / "data", ["сәлем", "әлем", "қала"], dev=1)
    config = small_config(max_steps=2, eval_every=2, batch_size=2)
    summary = run_finetune(data, base, tmp_path / "w", config, _Emit([]), trainer=CtcFinetuner)
    assert summary["language"] == "kk" and summary["best_dev_cer"] is not None
    hf = Path(summary["hf_dir"])
    vocab = json.loads((hf / "vocab.json").read_text("utf-8"))
    assert vocab == kazakh_vocab()  # the Kazakh vocabulary, flat
    assert "target_lang" not in json.loads((hf / "tokenizer_config.json").read_text("utf-8"))
    assert not list(hf.glob("adapter.*"))  # merged into the weights
    onnx_config = json.loads((Path(summary["onnx_dir"]) / "ctc_config.json").read_text("utf-8"))
    assert onnx_config["language"] == "kk" and onnx_config["target_lang"] is None


def test_the_loop_installs_a_ctc_version_and_rolls_back(
    small_project: Project, ctc_registry: ModelRegistry, tmp_path: Path
) -> None:
    parent = ctc_registry.active()
    assert parent.format == CTC_FORMAT
    messages: list[Message] = []
    result = finetune(
        [small_project], _request(), JobState(), registry=ctc_registry,
        on_message=messages.append,
    )  # fmt: skip

    losses = [m for m in messages if isinstance(m, MetricsMsg) and "loss" in m.values]
    assert [m.step for m in losses] == [1, 2, 3, 4]
    devs = [m for m in messages if isinstance(m, MetricsMsg) and "dev_wer" in m.values]
    assert [m.step for m in devs] == [2, 4] and "dev_cer" in devs[0].values

    m = result.manifest
    assert m.source == ModelSource.FINETUNED and m.parent_id == parent.id
    assert m.format == CTC_FORMAT and m.languages == ["kk"]
    assert m.metrics["test_n"] == result.after.overall.n > 0
    assert result.before is not None and result.before.overall.n == result.after.overall.n
    folder = ctc_registry.path(m.id)
    ctc_registry.verify(m.id)
    assert (folder / "hf" / "model.safetensors").is_file()
    assert json.loads((folder / "hf" / "ctc_config.json").read_text("utf-8"))["language"] == "kk"
    training = json.loads((folder / "training.json").read_text("utf-8"))
    assert training["summary"]["architecture"] == "ctc" and training["summary"]["steps"] == 4
    card = (folder / CARD_NAME).read_text("utf-8")
    assert "CTC (wav2vec2, characters)" in card and "Whisper" not in card
    assert "learning rate 0.001" in card

    # The new version transcribes with the ONNX engine.
    audio = np.concatenate([utterance(i) for i in range(3)])
    segments, _info = load_engine(folder, device="cpu", threads=1).transcribe(audio)
    assert isinstance(list(segments), list)

    # The training process scores a CTC checkpoint too.
    out = io.StringIO()
    data = result.run_dir / "data" / "manifest.jsonl"
    code = train_main(["evaluate", "--data", str(data), "--model", str(folder / "hf"),
                       "--threads", "1"], stream=out)  # fmt: skip
    assert code == 0, out.getvalue()
    assert '"report"' in out.getvalue()

    # A second round would start from its weights; switch to it, roll back to the parent.
    assert base_checkpoint(ctc_registry, m) == (folder / "hf", False)
    ctc_registry.set_active(m.id)
    assert ctc_registry.rollback().id == parent.id
    assert ctc_registry.active_id() == parent.id


def test_cancel_installs_nothing_and_the_run_resumes(
    small_project: Project, ctc_registry: ModelRegistry
) -> None:
    before = [v.id for v in ctc_registry.versions()]
    state = JobState()

    def cancel_at_step_2(msg: Message) -> None:
        if isinstance(msg, MetricsMsg) and msg.step >= 2 and "loss" in msg.values:
            state.cancel()

    request = _request(max_steps=8, eval_every=4, checkpoint_every=1)
    with pytest.raises(Cancelled):
        finetune(
            [small_project], request, state, registry=ctc_registry, on_message=cancel_at_step_2
        )
    assert [v.id for v in ctc_registry.versions()] == before
    run = list_runs()[-1]
    checkpoints = sorted((run / "train" / "checkpoints").glob("step-*"))
    assert checkpoints and not (run / "train" / "final_onnx").exists()
    resumed_from = int(checkpoints[-1].name.split("-")[1])

    messages: list[Message] = []
    result = finetune([small_project], request, JobState(), registry=ctc_registry, resume=run,
                      on_message=messages.append)  # fmt: skip
    assert any(
        isinstance(m, LogMsg) and f"Resumed from step-{resumed_from:06d}" in m.text
        for m in messages
    )
    steps = [m.step for m in messages if isinstance(m, MetricsMsg) and "loss" in m.values]
    assert steps[0] == resumed_from + 1 and steps[-1] == 8
    assert result.manifest.parent_id == before[0]
    assert result.manifest.format == CTC_FORMAT
