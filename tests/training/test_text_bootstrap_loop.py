"""The text bootstrap through the whole learning loop, on the tiny random Whisper.

Synthetic clips join the training split only: no held-out (test or dev)
transcript is ever synthesised, the test set holds real speech only, the
model card records the synthetic data, and the evaluation reports word
recall by where a word was seen. Without approved speech the bootstrap
trains alone and nothing is scored.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop_app.core.jobs import JobState
from desktop_app.core.learning import dataset
from desktop_app.core.learning.normalize import normalize_kk
from desktop_app.core.project import Project
from desktop_app.services.learning_loop import CARD_NAME, FinetuneRequest, finetune
from desktop_app.services.text_bootstrap import BootstrapOptions, TextBootstrap
from desktop_app.tts import espeak
from tests.training.conftest import small_config

pytestmark = pytest.mark.skipif(not espeak.available(), reason="espeak-ng and sox are needed")


def _text(tmp_path: Path, transcripts: bool) -> TextBootstrap:
    words = tmp_path / "words.txt"
    words.write_text("бауырсақ\nдомбыра\n", encoding="utf-8")
    options = BootstrapOptions(voices_per_text=1, carriers_per_word=1, speed=(260, 300))
    return TextBootstrap(files=(str(words),), project_transcripts=transcripts, options=options)


def _manifest(run_dir: Path) -> list[dict]:
    lines = (run_dir / "data" / "manifest.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_synthetic_speech_joins_training_only_and_is_recorded(
    filled_project: Project, registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fixed test-set salt: with a random one, now and then every fixture sentence
    # lands in dev or test and no training transcript is left to be read aloud.
    monkeypatch.setattr(dataset.secrets, "token_hex", lambda _n: "5a17f00d5a17f00d")
    request = FinetuneRequest(
        config=small_config(max_steps=2, eval_every=2, synthetic_share=0.5), min_train=4,
        validate_export=False, text=_text(tmp_path, transcripts=True),
    )  # fmt: skip
    result = finetune([filled_project], request, JobState(), registry=registry)

    rows = _manifest(result.run_dir)
    synthetic = [r for r in rows if r["status"] == "synthetic"]
    assert synthetic and all(r["split"] == "train" for r in synthetic)
    held_out = {normalize_kk(r["text"]) for r in rows if r["split"] in ("dev", "test")}
    assert held_out and all(r["status"] != "synthetic" for r in rows if r["split"] != "train")
    # The projects' transcripts were a source, but no held-out one was spoken.
    spoken = {normalize_kk(r["text"]) for r in synthetic}
    assert not spoken & held_out
    real = [r for r in rows if r["split"] == "train" and r["status"] != "synthetic"]
    real_train = {normalize_kk(r["text"]) for r in real}
    assert spoken & real_train, "training transcripts are spoken too"
    assert any("бауырсақ" in t for t in spoken)

    # Scored on real speech only; word recall by group; all recorded in the card.
    assert result.after is not None and result.after.overall.n == len(
        [r for r in rows if r["split"] == "test"]
    )
    assert result.after.word_recall["speech"].words > 0
    card = (registry.path(result.manifest.id) / CARD_NAME).read_text("utf-8")
    assert "Synthetic speech (text bootstrap)" in card
    assert "words.txt (words: 0 sentences, 2 words)" in card
    assert f"{len(synthetic)} clips" in card and "espeak-ng" in card
    assert "at most 50 % of each epoch" in card
    assert result.summary["select_by"] == "cer"  # "auto" with synthetic clips
    assert "| seen in corrected speech |" in card
    # The audit counts real speech only.
    assert result.audit.segments == len(rows) - len(synthetic)
    training = json.loads((registry.path(result.manifest.id) / "training.json").read_text("utf-8"))
    assert training["synthetic"]["clips"] == len(synthetic)
    assert "test_recall_speech" in result.manifest.metrics


def test_text_alone_trains_without_approved_speech(
    project: Project, registry, tmp_path: Path
) -> None:
    request = FinetuneRequest(
        config=small_config(max_steps=1, eval_every=1), min_train=4, validate_export=False,
        text=_text(tmp_path, transcripts=False),
    )  # fmt: skip
    result = finetune([project], request, JobState(), registry=registry)
    assert result.before is None and result.after is None
    rows = _manifest(result.run_dir)
    assert rows and all(r["status"] == "synthetic" and r["split"] == "train" for r in rows)
    assert result.summary["steps"] == 1
    card = (registry.path(result.manifest.id) / CARD_NAME).read_text("utf-8")
    assert "Not evaluated: no real speech was held out" in card
    assert registry.active_id() != result.manifest.id


def test_cli_teaches_words_from_text(
    project: Project, tiny_onnx_dir: Path, tiny_hf_dir: Path, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from desktop_app.asr.registry import ModelRegistry
    from desktop_app.cli.main import app

    reg = ModelRegistry()  # the default registry, under the test's data folder
    reg.import_onnx_dir(tiny_onnx_dir, name="Tiny base", extra={"hf": tiny_hf_dir})
    words = tmp_path / "words.txt"
    words.write_text("бауырсақ\n", encoding="utf-8")
    path = str(project.path)
    refused = CliRunner().invoke(
        app, ["finetune", path, "--from-text", str(words), "--synthetic-share", "0"]
    )
    assert refused.exit_code == 1 and "synthetic share" in refused.output
    args = ["finetune", path, "--from-text", str(words), "--voices-per-text", "1",
            "--max-steps", "1", "--batch-size", "2", "--threads", "1", "-q"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Not evaluated: no approved speech is held out" in result.output
    [new] = [m for m in reg.versions() if m.parent_id]
    assert "synthetic clips" in new.notes and f"Installed {new.id}" in result.output
